// Optimistic concurrency for offline/optimistic clients: the ETag is the document's update time;
// `If-Match` with a stale one gets 412.
import { Timestamp, type DocumentSnapshot, type Precondition } from 'firebase-admin/firestore';
import { preconditionFailed, validationError } from '../http/errors.js';
import { hasCode } from './firestore-errors.js';

const MAX_TIMESTAMP_SECONDS = 253_402_300_799;

export function etagOf(snap: DocumentSnapshot): string {
  const t = snap.updateTime;
  return t ? `"${t.seconds}.${String(t.nanoseconds).padStart(9, '0')}"` : '"0"';
}

/** Parses an If-Match header into a Firestore precondition (`lastUpdateTime`), or none when absent. */
export function ifMatchPrecondition(ifMatch: string | undefined): Precondition {
  if (ifMatch === undefined) return {};
  const m = /^(?:W\/)?"(\d{1,12})\.(\d{9})"$/.exec(ifMatch.trim());
  // Past Firestore's last representable second (9999-12-31) no ETag of ours can exist.
  if (!m || Number(m[1]) > MAX_TIMESTAMP_SECONDS) throw validationError('If-Match must be an ETag returned by this API, e.g. "1724925600.123456789"', { field: 'If-Match', issue: 'malformed' });
  return { lastUpdateTime: new Timestamp(Number(m[1]), Number(m[2])) };
}

/** Throws 412 when the document changed since the ETag the client holds. */
export function assertIfMatch(snap: DocumentSnapshot, ifMatch: string | undefined): void {
  if (ifMatch === undefined) return;
  ifMatchPrecondition(ifMatch);
  if (etagOf(snap) !== ifMatch.trim().replace(/^W\//, '')) {
    throw preconditionFailed(`The resource changed since ETag ${ifMatch}; reload it and retry`);
  }
}

/** True when a Firestore error is a failed `lastUpdateTime` precondition (gRPC FAILED_PRECONDITION). */
export function isStaleWrite(err: unknown): boolean {
  return hasCode(err, 'FAILED_PRECONDITION');
}
