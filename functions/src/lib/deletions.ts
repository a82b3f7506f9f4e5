// A Firestore delete carries no data, so nothing left in a deleted document says who deleted it (its
// `updated_by` names its last editor). Every API delete of an audited document therefore writes a
// deletion record in the same batch or transaction, and the audit trigger reads the deleter there.
import { createHash } from 'node:crypto';
import type { DocumentReference, Firestore, Transaction, WriteBatch } from 'firebase-admin/firestore';
import { expiresAfter, isExpired } from './expiry.js';
import { DELETIONS } from './collections.js';

/** Longer than any retry of the trigger that reads the record. */
const KEEP_MS = 7 * 24 * 3600_000;

const recordRef = (db: Firestore, path: string) => db.collection(DELETIONS).doc(createHash('sha256').update(path).digest('hex'));

/** Deletes `ref` in `writer`, recording `actor` as its deleter in the same commit. */
export function deleteAs(writer: Transaction | WriteBatch, ref: DocumentReference, actor: string, now: Date): void {
  const record = { path: ref.path, actor, deleted_at: now, ...expiresAfter(now, KEEP_MS) };
  // Both writers take the same calls; TypeScript cannot pick an overload on the union.
  (writer as WriteBatch).delete(ref).set(recordRef(ref.firestore, ref.path), record);
}

/** Who deleted the document at `path` (null when the API did not, e.g. a console delete). */
export async function deleterOf(db: Firestore, path: string, now: Date): Promise<string | null> {
  const snap = await recordRef(db, path).get();
  const data = snap.data();
  return !isExpired(data, now) && data?.path === path && typeof data.actor === 'string' ? data.actor : null;
}
