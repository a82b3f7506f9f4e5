import type { UserRecord } from 'firebase-admin/auth';
import type { DocumentSnapshot } from 'firebase-admin/firestore';
import { ApiError, notFound, unprocessable } from '../http/errors.js';
import { paginate, type PageParams } from '../http/pagination.js';
import { docToJson } from '../lib/serialize.js';
import { lacksPermission, normalizePermissions } from '../auth/access.js';
import type { Caller, Permission } from '../auth/caller.js';
import { MemberStore, type MemberRecord } from './store.js';
import { DomainService } from '../lib/domain-service.js';

export interface MemberEntry {
  user_id?: string | undefined;
  email?: string | undefined;
  permissions: Permission[];
}

function toMember(json: Record<string, unknown> & { id: string }) {
  const { id, uid: _uid, project_id: _p, updated_by: _u, permissions, ...rest } = json;
  return { user_id: id, ...rest, permissions: normalizePermissions((permissions as Permission[] | undefined) ?? []) };
}

/** Project membership: who may read, write or administer a project (the spec's addProjectUsers). */
export class MembersService extends DomainService {
  private readonly members = new MemberStore(this.deps.db);

  private async requireProjectAdmin(caller: Caller, projectId: string) {
    await this.access.require(caller, projectId, 'admin');
    if (!(await this.projects.get(projectId))) throw notFound(`Project ${projectId}`);
  }

  async list(caller: Caller, projectId: string, page: PageParams) {
    await this.requireProjectAdmin(caller, projectId);
    return paginate(this.members.query(projectId), page, {
      orderBy: [{ field: 'uid', direction: 'asc' }],
      fingerprint: ['members', projectId],
      map: (snap) => toMember(docToJson(snap)),
    });
  }

  private async findUser(entry: MemberEntry): Promise<UserRecord | string> {
    try {
      return entry.user_id ? await this.deps.auth.getUser(entry.user_id) : await this.deps.auth.getUserByEmail(entry.email!);
    } catch (err) {
      if ((err as { code?: string }).code === 'auth/user-not-found') return entry.user_id ? `No user with id ${entry.user_id}` : `No user with email ${entry.email}`;
      throw err;
    }
  }

  async add(caller: Caller, projectId: string, entries: MemberEntry[]) {
    await this.requireProjectAdmin(caller, projectId);
    const added: ReturnType<typeof toMember>[] = [];
    const errors: { index: number; user: string; error: string }[] = [];
    for (const [index, entry] of entries.entries()) {
      const user = await this.findUser(entry);
      if (typeof user === 'string') {
        errors.push({ index, user: entry.user_id ?? entry.email ?? '', error: user });
        continue;
      }
      const record = { uid: user.uid, project_id: projectId, email: user.email ?? null, display_name: user.displayName ?? null, permissions: normalizePermissions(entry.permissions) };
      try {
        await this.change(caller, projectId, user.uid, (existing) => ({ ...record, isNew: !existing }));
      } catch (err) {
        if (!(err instanceof ApiError) || err.code !== 'UNPROCESSABLE') throw err;
        errors.push({ index, user: entry.user_id ?? entry.email ?? '', error: err.message });
        continue;
      }
      added.push(toMember(docToJson((await this.members.get(projectId, user.uid))!)));
    }
    return { added, errors };
  }

  async update(caller: Caller, projectId: string, uid: string, permissions: Permission[]) {
    await this.requireProjectAdmin(caller, projectId);
    await this.change(caller, projectId, uid, (existing) => {
      if (!existing) throw notFound(`Member ${uid} of project ${projectId}`);
      return { ...(existing.data() as MemberRecord), permissions: normalizePermissions(permissions), isNew: false };
    });
    return toMember(docToJson((await this.members.get(projectId, uid))!));
  }

  async remove(caller: Caller, projectId: string, uid: string) {
    await this.requireProjectAdmin(caller, projectId);
    await this.change(caller, projectId, uid, (existing) => {
      if (!existing) throw notFound(`Member ${uid} of project ${projectId}`);
      return null;
    });
  }

  /**
   * Writes (or, for null, removes) one membership in a transaction that re-reads the admins: the
   * caller must still be one (a demotion may have committed since the check before), and the
   * project must keep at least one.
   */
  private async change(caller: Caller, projectId: string, uid: string, next: (existing: DocumentSnapshot | null) => (MemberRecord & { isNew: boolean }) | null) {
    await this.members.changeInTransaction(projectId, uid, (existing, admins, tx) => {
      if (!caller.admin && !admins.includes(caller.uid)) throw lacksPermission('admin', projectId);
      const record = next(existing);
      if (admins.includes(uid) && !record?.permissions.includes('admin') && admins.length <= 1) {
        throw unprocessable(`This would leave project ${projectId} without an admin; make someone else admin first`);
      }
      if (!record) return this.members.remove(projectId, uid, caller.uid, this.deps.clock(), tx);
      const { isNew, ...member } = record;
      return this.members.upsert(member, caller.uid, isNew, tx);
    });
  }
}
