// Writes that race other writes, in the two ways the services make them. A transaction
// (`runTransaction`) locks what it reads; when two want the same documents, the database aborts one
// (ABORTED) and the SDK runs it again after a backoff. An optimistic write (`retryStale`) locks
// nothing and instead writes only if what it read is unchanged, running again when it was not.
// Both give up after CONTENTION_ATTEMPTS, and what is left becomes one of the API's errors: 409
// CONFLICT when others keep changing the same documents, 503 UNAVAILABLE when Firestore itself did
// not answer, both with Retry-After. Never a 500, and nothing half-written: each attempt commits
// whole or not at all.
import type { Firestore, Transaction } from 'firebase-admin/firestore';
import { ApiError } from '../http/errors.js';
import { isStaleWrite } from './etag.js';
import { FirestoreCode, hasCode } from './firestore-errors.js';

/** Attempts a contended write gets (the SDK's default for transactions) before the caller is told to retry. */
const CONTENTION_ATTEMPTS = 5;
/** A document others are changing is usually free again within a second. */
const CONFLICT_RETRY_AFTER_SECONDS = 1;
/** Firestore not answering takes longer to pass. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * The emulator closes a transaction whose read waited too long for locks, and the read fails with
 * INVALID_ARGUMENT "Transaction is invalid or closed", which the SDK does not retry (it retries
 * production's "transaction has expired"). Both mean the same as ABORTED: the transaction lost.
 */
function isClosedTransaction(err: unknown): boolean {
  const e = err as { details?: unknown; message?: unknown } | null;
  return hasCode(err, 'INVALID_ARGUMENT') && /transaction is invalid or closed/i.test(String(e?.details ?? e?.message));
}

/** 409 for a write that lost to concurrent writes more often than it may retry. */
function contentionError(what: string): ApiError {
  return retryLater('CONFLICT', `${what} is being changed by others at the same moment; retry in a second`, CONFLICT_RETRY_AFTER_SECONDS);
}

function retryLater(code: 'CONFLICT' | 'UNAVAILABLE', message: string, seconds: number): ApiError {
  return new ApiError(code, message, { retry_after_seconds: seconds }, { retryAfterSeconds: seconds });
}

/** The API error for a Firestore failure that the same request may get past later, else undefined. */
export function retryLaterError(err: unknown, what: string): ApiError | undefined {
  if (hasCode(err, 'ABORTED') || isClosedTransaction(err)) return contentionError(what);
  if (hasCode(err, 'UNAVAILABLE') || hasCode(err, 'DEADLINE_EXCEEDED') || hasCode(err, 'RESOURCE_EXHAUSTED')) {
    return retryLater('UNAVAILABLE', 'The database is not answering right now; retry shortly', UNAVAILABLE_RETRY_AFTER_SECONDS);
  }
  return undefined;
}

/**
 * Runs `fn` as a Firestore transaction, retried while it loses to contention; `what` names the
 * contended thing in the 409 ("Media abc"). `fn` may run more than once: it must only read through
 * `tx` and write through `tx`.
 */
export async function runTransaction<T>(db: Firestore, what: string, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  try {
    return await db.runTransaction(
      (tx) =>
        fn(tx).catch((err: unknown) => {
          // Rethrown as ABORTED so the SDK retries it like any other lost race.
          throw isClosedTransaction(err) ? Object.assign(new Error(`Transaction aborted: ${(err as Error).message}`), { code: FirestoreCode.ABORTED, cause: err }) : err;
        }),
      { maxAttempts: CONTENTION_ATTEMPTS },
    );
  } catch (err) {
    throw retryLaterError(err, what) ?? err;
  }
}

/**
 * Runs an optimistic write: `attempt` reads without locks and writes with `lastUpdateTime`
 * preconditions on what it read, so it fails whole (a stale write) when another write got there
 * first. Then it runs again on fresh reads after a short random pause, so the writers that lost a
 * round do not all collide again; after CONTENTION_ATTEMPTS in all the caller hears 409.
 */
export async function retryStale<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isStaleWrite(err)) throw err;
      if (n >= CONTENTION_ATTEMPTS) throw contentionError(what);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * 2 ** n));
    }
  }
}
