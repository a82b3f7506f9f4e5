// Documents that matter only for a while (deletion records, rate-limit windows) carry `expires_at`.
// One Firestore TTL policy per collection on that field (firestore.indexes.json) deletes them in
// production; TTL deletion can lag by a day and the emulator has none, so readers treat an expired
// document as absent.
import { Timestamp, type DocumentData } from 'firebase-admin/firestore';

export const EXPIRES_AT = 'expires_at';

/** The field that makes a document expire `ms` after `now`. */
export function expiresAfter(now: Date, ms: number): { [EXPIRES_AT]: Timestamp } {
  return { [EXPIRES_AT]: Timestamp.fromMillis(now.getTime() + ms) };
}

/** Whether a document read at `now` has expired (missing documents count as expired). */
export function isExpired(data: DocumentData | undefined, now: Date): boolean {
  const at = data?.[EXPIRES_AT];
  return !(at instanceof Timestamp) || at.toMillis() <= now.getTime();
}
