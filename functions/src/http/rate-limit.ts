// Rate limits: a request budget per user, and a brake on password guessing at /auth/login.
//
// The counters live in this instance's memory. A Firestore counter per user would be global, but it
// costs a write and a round trip on every request, and a runaway client hammering its one counter
// document would hit Firestore's per-document write rate and contend with itself: the very client
// we want to stop would slow everyone down. In memory the check is free; the price is that each
// function instance counts on its own, so a client spread over N instances gets up to N budgets
// (bounded by the function's maxInstances). Per instance is enough to keep one client from
// starving the instance that serves a studio; a hard global cap belongs in front of the function
// (API Gateway or Cloud Armor), not in Firestore.
import type { Request, RequestHandler, Response } from 'express';
import type { Caller } from '../auth/caller.js';
import type { AppDeps } from '../deps.js';
import { ApiError } from './errors.js';
import { sendError } from './middleware.js';

/**
 * Token buckets, one per key: `capacity` tokens, refilled continuously at `capacity` per
 * `windowMs`. A client may burst up to the whole budget, then runs at the sustained rate. At most
 * `maxKeys` keys are tracked, so a flood of new keys (made-up emails) cannot grow memory without
 * bound: keys that have fully recovered are forgotten first (they hold no state), then the least
 * recently used.
 */
export class TokenBuckets {
  /** In least-recently-used order: a key is moved to the end whenever it is used. */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly maxKeys = 100_000,
  ) {}

  private level(key: string, at: number): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return this.capacity;
    return Math.min(this.capacity, bucket.tokens + ((at - bucket.at) * this.capacity) / this.windowMs);
  }

  /** Takes a token; returns 0 when granted, else the milliseconds until one is available. */
  take(key: string): number {
    const at = this.now();
    const tokens = this.level(key, at);
    if (tokens < 1) return Math.ceil(((1 - tokens) * this.windowMs) / this.capacity);
    this.buckets.delete(key);
    if (this.buckets.size >= this.maxKeys) this.evict(at);
    this.buckets.set(key, { tokens: tokens - 1, at });
    return 0;
  }

  /** Milliseconds until `key` has a token, without taking one (0: it has one now). */
  wait(key: string): number {
    const tokens = this.level(key, this.now());
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * this.windowMs) / this.capacity);
  }

  /** Gives a token back (an attempt that turned out not to count). */
  refund(key: string): void {
    const at = this.now();
    if (this.buckets.has(key)) this.buckets.set(key, { tokens: Math.min(this.capacity, this.level(key, at) + 1), at });
  }

  /** Forgets `key`: it starts again with a full budget. */
  reset(key: string): void {
    this.buckets.delete(key);
  }

  /** Frees a tenth of the room: recovered keys first, then the least recently used. */
  private evict(at: number): void {
    const target = Math.floor(this.maxKeys * 0.9);
    for (const key of this.buckets.keys()) if (this.level(key, at) >= this.capacity) this.buckets.delete(key);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }

  /** How many keys are tracked. */
  get size(): number {
    return this.buckets.size;
  }
}

const retryAfterSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

function rateLimited(res: Response, waitMs: number, message: string, details: Record<string, unknown>): ApiError {
  const seconds = retryAfterSeconds(waitMs);
  res.set('Retry-After', String(seconds));
  return new ApiError('RATE_LIMITED', `${message}; retry in ${seconds} s`, { ...details, retry_after_seconds: seconds });
}

/**
 * The per-user budget (config.rateLimitPerMinute), checked right after authentication on every
 * non-public route; a request over it gets 429 RATE_LIMITED with Retry-After.
 */
export function userRateLimit(deps: AppDeps): (caller: Caller, req: Request, res: Response) => void {
  const limit = deps.config.rateLimitPerMinute;
  const buckets = new TokenBuckets(limit, 60_000, () => deps.clock().getTime());
  return (caller, _req, res) => {
    const wait = buckets.take(caller.uid);
    if (wait > 0) throw rateLimited(res, wait, `Too many requests: at most ${limit} per minute per user`, { limit_per_minute: limit });
  };
}

/** Failed password sign-ins allowed per email address per window. */
export const LOGIN_FAILURES_PER_EMAIL = 5;
/** Failed password sign-ins allowed per client address per window (many users behind one studio NAT). */
export const LOGIN_FAILURES_PER_IP = 50;
export const LOGIN_WINDOW_MS = 15 * 60_000;
const MAX_EMAIL_LENGTH = 320;

/**
 * Brute-force brake for POST /auth/login. Every attempt takes a token from its email's bucket and
 * from its client address's bucket before Firebase Auth is asked, so a burst of parallel guesses
 * is counted before any of them is answered. Attempts that were not wrong passwords give their
 * tokens back, and a successful sign-in clears the email's count. Once either bucket is empty the
 * route answers 429 with Retry-After without asking Firebase Auth.
 */
export function loginThrottle(deps: AppDeps): RequestHandler {
  const now = () => deps.clock().getTime();
  const byEmail = new TokenBuckets(LOGIN_FAILURES_PER_EMAIL, LOGIN_WINDOW_MS, now);
  const byIp = new TokenBuckets(LOGIN_FAILURES_PER_IP, LOGIN_WINDOW_MS, now);
  return (req, res, next) => {
    const body = req.body as { email?: unknown } | undefined;
    // Malformed bodies are not sign-in attempts; validation answers them (and no huge key is kept).
    if (typeof body?.email !== 'string' || body.email.length > MAX_EMAIL_LENGTH) return next();
    const email = `email:${body.email.trim().toLowerCase()}`;
    const ip = `ip:${req.ip ?? 'unknown'}`;
    const wait = Math.max(byEmail.wait(email), byIp.wait(ip));
    if (wait > 0) {
      return sendError(req, res, rateLimited(res, wait, 'Too many failed sign-in attempts', { field: 'email', issue: 'too many failed attempts' }));
    }
    byEmail.take(email);
    byIp.take(ip);
    res.on('finish', () => {
      if (res.statusCode === 401) return;
      byIp.refund(ip);
      if (res.statusCode < 300) byEmail.reset(email);
      else byEmail.refund(email);
    });
    next();
  };
}
