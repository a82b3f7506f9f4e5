// Firestore access for the audit log: `audit_logs/{cloud event id}`, written only by triggers and
// read only through the API (the security rules refuse clients).
import type { DocumentData, Firestore, Query } from 'firebase-admin/firestore';
import { createOnce } from '../lib/document-change.js';
import { AUDIT_LOGS } from '../lib/collections.js';

/** The equality filters of the audit queries, in any combination, always with a range and order on `time`. */
export const AUDIT_EQUALITY_FILTERS = ['project_id', 'collection', 'document_id', 'actor'] as const;

export interface AuditFilters {
  project_id?: string | undefined;
  collection?: string | undefined;
  document_id?: string | undefined;
  actor?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

export class AuditStore {
  constructor(private readonly db: Firestore) {}

  ref(id: string) {
    return this.db.collection(AUDIT_LOGS).doc(id);
  }

  /** Writes an entry once: false when it already exists (a redelivered event). */
  create(id: string, entry: DocumentData): Promise<boolean> {
    return createOnce(this.ref(id).create(entry));
  }

  /**
   * Entries matching every given filter; ordered by `time` by the pager. Each combination of
   * equality filters has its (…, time DESC) index in firestore.indexes.json.
   */
  query(filters: AuditFilters): Query {
    let q: Query = this.db.collection(AUDIT_LOGS);
    for (const field of AUDIT_EQUALITY_FILTERS) {
      const value = filters[field];
      if (value !== undefined) q = q.where(field, '==', value);
    }
    if (filters.from) q = q.where('time', '>=', filters.from);
    if (filters.to) q = q.where('time', '<=', filters.to);
    return q;
  }
}
