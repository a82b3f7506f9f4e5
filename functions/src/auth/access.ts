// The one authorization helper every domain uses. Reads need `read`, changes need `write`, approving
// or rejecting media needs `review`, project configuration and membership need project `admin`;
// global admins may do everything. A caller outside a project is told its resources do not exist
// (404), a member lacking a permission gets 403.
import type { Firestore } from 'firebase-admin/firestore';
import { forbidden, notFound } from '../http/errors.js';
import { normalizePermissions, PERMISSIONS, type Caller, type Permission } from './caller.js';
import { MemberStore } from '../members/store.js';
import { step } from '../lib/timing.js';

export { normalizePermissions };

/** The refusal of a member who lacks `needed` on a project. */
export function lacksPermission(needed: Permission, projectId: string) {
  return forbidden(`This needs '${needed}' permission on project ${projectId}`);
}

export class AccessControl {
  private readonly members: MemberStore;
  /** Per request (a Caller lives for one): all of a caller's memberships, once prefetched. */
  private readonly everyMembership = new WeakMap<Caller, Promise<Map<string, Permission[]>>>();

  constructor(db: Firestore) {
    this.members = new MemberStore(db);
  }

  /** The caller's permissions on a project (empty when they are not a member). */
  async permissions(caller: Caller, projectId: string): Promise<Permission[]> {
    if (caller.admin) return [...PERMISSIONS];
    const cached = caller.permissionsByProject.get(projectId);
    if (cached) return cached;
    const every = this.everyMembership.get(caller);
    const perms = every ? ((await every).get(projectId) ?? []) : await this.readMembership(caller, projectId);
    caller.permissionsByProject.set(projectId, perms);
    return perms;
  }

  private async readMembership(caller: Caller, projectId: string): Promise<Permission[]> {
    const snap = await step('members', () => this.members.get(projectId, caller.uid));
    return snap ? normalizePermissions((snap.get('permissions') as Permission[] | undefined) ?? []) : [];
  }

  /**
   * Starts reading all the caller's memberships (one query), for a check whose project another
   * read has yet to name (a media's, a task's): the two reads then overlap instead of following
   * each other, and the check itself reads nothing more.
   */
  prefetchMemberships(caller: Caller): void {
    if (caller.admin || this.everyMembership.has(caller)) return;
    const every = step('members', () => this.members.forUser(caller.uid)).then((records) => new Map(records.map((m) => [m.project_id, m.permissions])));
    // A refusal found before the check (the media is gone) leaves it unawaited: not an unhandled rejection.
    every.catch(() => undefined);
    this.everyMembership.set(caller, every);
  }

  /**
   * Throws unless the caller holds `needed` on the project. `resource` names what was asked for,
   * so a non-member hears "Task X not found" rather than learning the project exists.
   */
  async require(caller: Caller, projectId: string, needed: Permission, resource = `Project ${projectId}`): Promise<Permission[]> {
    const perms = await this.permissions(caller, projectId);
    if (perms.length === 0) throw notFound(resource);
    if (!perms.includes(needed)) throw lacksPermission(needed, projectId);
    return perms;
  }

  requireGlobalAdmin(caller: Caller, action: string): void {
    if (!caller.admin) throw forbidden(`Only global admins may ${action}`);
  }

  /** Project ids the caller may read, or 'all' for global admins. */
  async readableProjects(caller: Caller): Promise<string[] | 'all'> {
    if (caller.admin) return 'all';
    this.prefetchMemberships(caller);
    const every = await this.everyMembership.get(caller)!;
    for (const [projectId, perms] of every) caller.permissionsByProject.set(projectId, perms);
    return [...every].filter(([, perms]) => perms.includes('read')).map(([projectId]) => projectId);
  }
}
