import { FieldValue, type DocumentSnapshot, type Firestore, type Query, type Transaction } from 'firebase-admin/firestore';
import { MEMBERS, PROJECTS } from '../lib/collections.js';
import { deleteAs } from '../lib/deletions.js';
import { runTransaction } from '../lib/transaction.js';
import { normalizePermissions, type Permission } from '../auth/caller.js';

export interface MemberRecord {
  uid: string;
  project_id: string;
  email: string | null;
  display_name: string | null;
  permissions: Permission[];
}

/** Membership documents `projects/{p}/members/{uid}`: what each user may do in each project. */
export class MemberStore {
  constructor(private readonly db: Firestore) {}

  ref(projectId: string, uid: string) {
    return this.db.collection(PROJECTS).doc(projectId).collection(MEMBERS).doc(uid);
  }

  query(projectId: string): Query {
    return this.db.collection(PROJECTS).doc(projectId).collection(MEMBERS);
  }

  async get(projectId: string, uid: string): Promise<DocumentSnapshot | null> {
    const snap = await this.ref(projectId, uid).get();
    return snap.exists ? snap : null;
  }

  /** Every membership of one user, across projects (a collection-group query on `uid`). */
  async forUser(uid: string): Promise<MemberRecord[]> {
    const snap = await this.db.collectionGroup(MEMBERS).where('uid', '==', uid).get();
    return snap.docs.map((d) => {
      const record = d.data() as MemberRecord;
      return { ...record, permissions: normalizePermissions(record.permissions ?? []) };
    });
  }

  /**
   * Runs `change` in a transaction that first reads the membership of `uid` and the uids of the
   * project's admins. Every membership change reads the admins this way, so two changes that
   * together would remove the last admin cannot both commit: the second sees the first.
   */
  async changeInTransaction<T>(projectId: string, uid: string, change: (member: DocumentSnapshot | null, admins: string[], tx: Transaction) => T): Promise<T> {
    return runTransaction(this.db, `Membership of project ${projectId}`, async (tx) => {
      const [member, admins] = await Promise.all([tx.get(this.ref(projectId, uid)), tx.get(this.query(projectId).where('permissions', 'array-contains', 'admin'))]);
      return change(member.exists ? member : null, admins.docs.map((d) => d.id), tx);
    });
  }

  /** Writes a membership; inside `tx` when given, so it lands exactly when the caller's change does. */
  async upsert(record: MemberRecord, actor: string, isNew: boolean, tx?: Transaction): Promise<void> {
    const now = FieldValue.serverTimestamp();
    const data = { ...record, updated_by: actor, updated_at: now, ...(isNew ? { added_by: actor, added_at: now } : {}) };
    if (tx) tx.set(this.ref(record.project_id, record.uid), data, { merge: true });
    else await this.ref(record.project_id, record.uid).set(data, { merge: true });
  }

  remove(projectId: string, uid: string, actor: string, now: Date, tx: Transaction): void {
    deleteAs(tx, this.ref(projectId, uid), actor, now);
  }
}
