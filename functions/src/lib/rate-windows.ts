// Hit counters every function instance shares: one `rate_limits` document per key and fixed window,
// expiring (lib/expiry.ts) once it can no longer count. The hits of "the last window length" are
// estimated as sliding-window limiters do: the previous window's count weighted by how much of it
// still overlaps, plus the current window's.
import { createHash } from 'node:crypto';
import { FieldValue, type Firestore } from 'firebase-admin/firestore';
import { expiresAfter } from './expiry.js';
import { RATE_LIMITS } from './collections.js';

/** A key's counts as last read: the window `at` fell in and the one before it. */
export interface WindowCounts {
  at: number;
  previous: number;
  current: number;
}

export class RateWindows {
  constructor(
    private readonly db: Firestore,
    /** Names the limiter, so two limiters never share a key's documents. */
    private readonly scope: string,
    readonly windowMs: number,
  ) {}

  private ref(key: string, window: number) {
    return this.db.collection(RATE_LIMITS).doc(`${this.scope}_${createHash('sha256').update(key).digest('hex').slice(0, 40)}_${window}`);
  }

  /** Adds `n` hits (negative: gives them back) to the key's current window, then reads its counts. */
  async add(key: string, n: number, now: number): Promise<WindowCounts> {
    const window = Math.floor(now / this.windowMs);
    const current = this.ref(key, window);
    // Counted as `previous` through the next window, then no more.
    if (n !== 0) await current.set({ scope: this.scope, count: FieldValue.increment(n), ...expiresAfter(new Date((window + 2) * this.windowMs), 0) }, { merge: true });
    const [cur, prev] = await this.db.getAll(current, this.ref(key, window - 1));
    return { at: now, previous: Math.max(0, Number(prev!.get('count') ?? 0)), current: Math.max(0, Number(cur!.get('count') ?? 0)) };
  }

  /** Forgets the key's hits. */
  async reset(key: string, now: number): Promise<void> {
    const window = Math.floor(now / this.windowMs);
    const batch = this.db.batch();
    for (const w of [window - 1, window]) batch.set(this.ref(key, w), { count: 0 }, { merge: true });
    await batch.commit();
  }

  /** The counts as they stand at `now`, with `extra` hits made since they were read. */
  project(counts: WindowCounts | null, now: number, extra = 0): WindowCounts {
    const shift = counts ? Math.floor(now / this.windowMs) - Math.floor(counts.at / this.windowMs) : 2;
    if (shift === 0) return { at: now, previous: counts!.previous, current: counts!.current + extra };
    if (shift === 1) return { at: now, previous: counts!.current, current: extra };
    return { at: now, previous: 0, current: extra };
  }

  /** Hits in the window length before `counts.at`. */
  hits(counts: WindowCounts): number {
    return counts.previous * (1 - (counts.at % this.windowMs) / this.windowMs) + counts.current;
  }

  /** Milliseconds from `counts.at` until one more hit stays within `limit` (0: now). */
  msUntilRoom(counts: WindowCounts, limit: number): number {
    const room = limit - 1;
    const into = counts.at % this.windowMs;
    if (counts.current <= room) {
      if (counts.previous <= 0) return 0;
      // previous × (1 − f) + current ≤ room, within this window
      const f = 1 - (room - counts.current) / counts.previous;
      return Math.max(0, Math.ceil(f * this.windowMs - into));
    }
    // The current window must first become the previous one and fade: current × (1 − f) ≤ room.
    const f = 1 - room / counts.current;
    return Math.ceil(this.windowMs - into + f * this.windowMs);
  }
}
