import { FieldPath, FieldValue, type DocumentData, type DocumentSnapshot, type Firestore, type Query, type Transaction, type UpdateData } from 'firebase-admin/firestore';
import { DIRECTORY_OPERATIONS, PROJECTS } from '../lib/collections.js';
import { runTransaction } from '../lib/transaction.js';
import type { ProjectStatus } from './schemas.js';
import { DocumentStore } from '../lib/document-store.js';

/** Fields stored for queries only, never returned. */
export const PROJECT_INDEX_FIELDS = ['search_tokens', 'id_key'] as const;

export interface ProjectFilters {
  statuses: readonly ProjectStatus[];
  /** One search token (see searchKey); the project must carry it in `search_tokens`. */
  searchKey?: string | undefined;
  /** Restrict to these ids (at most MAX_DISJUNCTIONS / statuses.length of them). */
  ids?: readonly string[] | undefined;
}

export interface DirectoryOperationRecord {
  project_id: string;
  operation: 'create_structure';
  /** A studio-side agent creates the folders and moves it to completed or failed. */
  status: 'pending';
  request: Record<string, unknown>;
  directories: string[];
  directory_count: number;
  created_by: string;
  updated_by: string;
}

/** Firestore access for projects, their directory operations, and the aggregations their stats need. */
export class ProjectStore extends DocumentStore {
  constructor(db: Firestore) {
    super(db, PROJECTS);
  }

  /** Projects matching the filters, ordered by id (the caller adds paging). */
  query(filters: ProjectFilters): Query {
    let q: Query = this.db.collection(PROJECTS).where('status', 'in', filters.statuses);
    if (filters.ids) q = q.where(FieldPath.documentId(), 'in', filters.ids.map((id) => this.ref(id)));
    if (filters.searchKey) q = q.where('search_tokens', 'array-contains', filters.searchKey);
    return q;
  }

  /**
   * Creates the project unless its id exists in any letter case (`swa` beside `SWA` would confuse
   * every path and task id). Returns false on a duplicate. `alongside` adds writes to the same
   * transaction (the creator's membership), so a project never exists without its admin.
   */
  async create(id: string, data: DocumentData & { id_key: string }, actor: string, alongside?: (tx: Transaction) => Promise<void>): Promise<boolean> {
    return runTransaction(this.db, `Project ${id}`, async (tx) => {
      const [same, sameKey] = await Promise.all([tx.get(this.ref(id)), tx.get(this.db.collection(PROJECTS).where('id_key', '==', data.id_key).limit(1))]);
      if (same.exists || !sameKey.empty) return false;
      const now = FieldValue.serverTimestamp();
      tx.create(this.ref(id), { ...data, created_by: actor, updated_by: actor, created_at: now, updated_at: now });
      await alongside?.(tx);
      return true;
    });
  }

  /** Reads the project inside a transaction and applies `change` to it; `change` may throw to abort. */
  async change(id: string, change: (snap: DocumentSnapshot, tx: Transaction) => UpdateData<DocumentData> | null): Promise<DocumentSnapshot | null> {
    const ref = this.ref(id);
    const found = await runTransaction(this.db, `Project ${id}`, async (tx) => {
      const snap = await tx.get(ref);
      if (!snap.exists) return false;
      const update = change(snap, tx);
      if (update) tx.update(ref, update);
      return true;
    });
    return found ? ref.get() : null;
  }

  async recordDirectoryOperation(record: DirectoryOperationRecord): Promise<DocumentSnapshot> {
    const ref = this.db.collection(DIRECTORY_OPERATIONS).doc();
    const now = FieldValue.serverTimestamp();
    await ref.create({ ...record, created_at: now, updated_at: now });
    return ref.get();
  }
}
