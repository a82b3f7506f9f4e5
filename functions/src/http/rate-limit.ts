// Rate limits: a request budget per user, and a brake on password guessing at /auth/login. Both
// count in Firestore (lib/rate-windows.ts), so every function instance sees the same counts: a
// client spread over many instances gets one budget, not one per instance. Keys are what the
// platform vouches for: the verified uid, and the client address as the trusted front end reports
// it (`trust proxy` is the number of proxies the deployment names, config.trustedProxyHops), never
// an X-Forwarded-For entry the client wrote itself.
import * as logger from 'firebase-functions/logger';
import type { Caller } from '../auth/caller.js';
import type { AppDeps } from '../config/deps.js';
import { RateWindows, type WindowCounts } from '../lib/rate-windows.js';
import { ApiError } from './errors.js';

/** How often, at least, an instance adds a user's requests to the shared count. */
export const SYNC_MS = 1000;
/** Users an instance keeps a tally for; the least recently seen go first. */
const MAX_TALLIES = 100_000;

function rateLimited(waitMs: number, message: string, details: Record<string, unknown>): ApiError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new ApiError('RATE_LIMITED', `${message}; retry in ${seconds} s`, { ...details, retry_after_seconds: seconds }, { retryAfterSeconds: seconds });
}

interface Tally {
  /** The shared counts as last read. */
  counts: WindowCounts | null;
  /** Requests being added to the shared count right now. */
  inflight: number;
  /** Requests not added yet (negative: refused ones to give back). */
  pending: number;
  syncedAt: number;
}

/**
 * The per-user budget (config.rateLimitPerMinute) over a sliding minute, checked right after
 * authentication on every non-public route; a request over it gets 429 RATE_LIMITED with
 * Retry-After, and costs nothing. An instance adds a user's accepted requests to the shared count
 * once a second or every twentieth of the budget, whichever comes first (the request that does
 * waits for it), and in between adds its own to the last shared count. So a busy user costs each
 * instance about one Firestore write and read a second, never one per request, a runaway client
 * cannot push its counter document past Firestore's per-document write rate, and N instances
 * together let through at most N twentieths of the budget more. Each sync counts before it reads,
 * so concurrent syncs never let a burst beyond the budget; at its very edge they may let through
 * fewer than the budget has left (each sees the others' requests too).
 */
export function userRateLimit(deps: AppDeps): (caller: Caller) => Promise<void> {
  const limit = deps.config.rateLimitPerMinute;
  const syncBatch = Math.max(1, Math.floor(limit / 20));
  const windows = new RateWindows(deps.db, 'user', 60_000);
  const tallies = new Map<string, Tally>();
  const tallyOf = (uid: string): Tally => {
    const tally = tallies.get(uid) ?? { counts: null, inflight: 0, pending: 0, syncedAt: -Infinity };
    tallies.delete(uid);
    tallies.set(uid, tally);
    if (tallies.size > MAX_TALLIES) tallies.delete(tallies.keys().next().value!);
    return tally;
  };
  return async (caller) => {
    const now = deps.clock().getTime();
    const tally = tallyOf(caller.uid);
    let counts: WindowCounts;
    let synced = false;
    tally.pending += 1;
    if (now - tally.syncedAt >= SYNC_MS || tally.pending >= syncBatch) {
      synced = true;
      const n = tally.pending;
      tally.pending = 0;
      tally.syncedAt = now;
      tally.inflight += n;
      try {
        tally.counts = await windows.add(caller.uid, n, now);
      } catch (err) {
        // A guard, not data: with Firestore unreachable the request goes on (and fails on its own if it needs Firestore).
        tally.pending += n;
        logger.warn('Rate limit count unavailable', { uid: caller.uid, error: String(err) });
        return;
      } finally {
        tally.inflight -= n;
      }
      // Fresh from Firestore: this request and every one counted before it, from any instance.
      counts = windows.project(tally.counts, now);
    } else {
      counts = windows.project(tally.counts, now, tally.inflight + tally.pending);
    }
    if (windows.hits(counts) <= limit) return;
    // Refused requests cost nothing: one already added to the shared count is taken back at once.
    if (synced) await windows.add(caller.uid, -1, now).catch((err: unknown) => logger.warn('Rate limit refund failed', { uid: caller.uid, error: String(err) }));
    else tally.pending -= 1;
    const wait = windows.msUntilRoom({ ...counts, current: counts.current - 1 }, limit);
    throw rateLimited(wait, `Too many requests: at most ${limit} per minute per user`, { limit_per_minute: limit });
  };
}

/** Failed password sign-ins allowed per account from one client address, per 5 minutes. */
export const LOGIN_FAILURES_PER_ACCOUNT_SOURCE = 5;
export const LOGIN_ACCOUNT_WINDOW_MS = 5 * 60_000;
/** Failed password sign-ins allowed per client address (many users behind one studio NAT), per 15 minutes. */
export const LOGIN_FAILURES_PER_SOURCE = 50;
export const LOGIN_SOURCE_WINDOW_MS = 15 * 60_000;

/**
 * Brute-force brake for POST /auth/login: at most 5 failed sign-ins per account from one client
 * address in a sliding 5 minutes, and 50 per client address over all accounts in 15. The account's
 * brake is per source, so guesses made elsewhere never lock its owner out: from their own address
 * the owner's password always gets through. Each attempt is counted before Firebase Auth is asked,
 * so a parallel burst is counted before any guess is answered; attempts that were not wrong
 * passwords give their count back, and a successful sign-in clears its account's count there.
 */
export class LoginBrake {
  private readonly accounts: RateWindows;
  private readonly sources: RateWindows;

  constructor(private readonly deps: AppDeps) {
    this.accounts = new RateWindows(deps.db, 'login_account', LOGIN_ACCOUNT_WINDOW_MS);
    this.sources = new RateWindows(deps.db, 'login_source', LOGIN_SOURCE_WINDOW_MS);
  }

  /** Runs the sign-in `attempt` for `email` from `source` under the brake. */
  async run<T>(email: string, source: string, attempt: () => Promise<T>): Promise<T> {
    const now = this.deps.clock().getTime();
    const account = `${email.trim().toLowerCase()}\n${source}`;
    const giveBack = () => Promise.all([this.accounts.add(account, -1, now), this.sources.add(source, -1, now)]);
    let counts: [WindowCounts, WindowCounts];
    try {
      counts = await Promise.all([this.accounts.add(account, 1, now), this.sources.add(source, 1, now)]);
    } catch (err) {
      logger.error('Sign-in attempt counter unavailable', { error: String(err) });
      throw new ApiError('UNAVAILABLE', 'Sign-in is unavailable right now (its attempt counter cannot be reached); try again shortly', null, { retryAfterSeconds: 5 });
    }
    const over = [
      [this.accounts, counts[0], LOGIN_FAILURES_PER_ACCOUNT_SOURCE],
      [this.sources, counts[1], LOGIN_FAILURES_PER_SOURCE],
    ] as const;
    const waits = over.filter(([w, c, limit]) => w.hits(c) > limit).map(([w, c, limit]) => w.msUntilRoom({ ...c, current: c.current - 1 }, limit));
    if (waits.length > 0) {
      await giveBack();
      throw rateLimited(Math.max(...waits), 'Too many failed sign-in attempts', { field: 'email', issue: 'too many failed attempts' });
    }
    try {
      const result = await attempt();
      await Promise.all([this.accounts.reset(account, now), this.sources.add(source, -1, now)]);
      return result;
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'UNAUTHENTICATED')) await giveBack();
      throw err;
    }
  }
}
