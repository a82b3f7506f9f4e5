import { afterEach, describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../src/http/rate-limit.js';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';

// A budget of 5 requests a minute: one token every 12 s.
const ctx = createTestContext('rate-limit', { rateLimitPerMinute: 5 });
const realClock = ctx.deps.clock;
let now = Date.parse('2026-03-02T09:00:00Z');
const freezeClock = () => {
  ctx.deps.clock = () => new Date(now);
};
afterEach(() => {
  ctx.deps.clock = realClock;
});

const me = (user: TestUser) => ctx.http().get('/api/v1/auth/me').set('Authorization', user.bearer);
const login = (email: string, password: string, ip: string) => ctx.http().post('/api/v1/auth/login').set('X-Forwarded-For', ip).send({ email, password });

describe('per-user request budget', () => {
  it('answers the request over the budget with 429, Retry-After and the envelope; other users and public routes are unaffected', async () => {
    freezeClock();
    const [greedy, neighbour] = await Promise.all([ctx.createUser({ name: 'greedy' }), ctx.createUser({ name: 'neighbour' })]);
    for (let i = 0; i < 5; i++) await me(greedy).expect(200);
    const refused = await me(greedy).expect(429);
    expect(refused.headers['retry-after']).toBe('12');
    const error = expectEnvelope(refused.body, 'RATE_LIMITED');
    expect(error.message).toBe('Too many requests: at most 5 per minute per user; retry in 12 s');
    expect(error.details).toEqual({ limit_per_minute: 5, retry_after_seconds: 12 });
    await me(neighbour).expect(200);
    for (let i = 0; i < 8; i++) await ctx.http().get('/api/v1/health').expect(200);
  });

  it('refills one request every 12 s, and refused requests cost nothing', async () => {
    freezeClock();
    const user = await ctx.createUser({ name: 'steady' });
    for (let i = 0; i < 5; i++) await me(user).expect(200);
    for (let i = 0; i < 10; i++) await me(user).expect(429);
    now += 6_000;
    expect((await me(user).expect(429)).headers['retry-after']).toBe('6');
    now += 6_000;
    await me(user).expect(200);
    await me(user).expect(429);
    now += 60_000;
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await me(user)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('counts concurrent requests exactly', async () => {
    freezeClock();
    const user = await ctx.createUser({ name: 'burst' });
    const statuses = (await Promise.all(Array.from({ length: 20 }, () => me(user)))).map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(5).fill(200), ...Array(15).fill(429)]);
  });

  it('lets the budget come from configuration', async () => {
    const roomy = createTestContext('rate-limit-roomy', { rateLimitPerMinute: 40 });
    const user = await roomy.createUser({ name: 'roomy' });
    const statuses = (await Promise.all(Array.from({ length: 45 }, () => roomy.http().get('/api/v1/auth/me').set('Authorization', user.bearer)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
  });
});

describe('the buckets', () => {
  it('track at most maxKeys keys: fully recovered keys are forgotten first, then the least recently used', () => {
    let t = 0;
    const buckets = new TokenBuckets(2, 60_000, () => t, 10);
    for (const key of 'abcdefghij') buckets.take(key);
    expect(buckets.size).toBe(10);
    buckets.take('a'); // a is now the most recently used, and empty
    buckets.take('k'); // full: b, the least recently used, makes room
    expect(buckets.size).toBe(10);
    expect(buckets.wait('a')).toBe(30_000);
    expect(buckets.wait('c')).toBe(0);
    t += 60_000; // everyone has recovered
    buckets.take('l');
    expect(buckets.size).toBe(1);
  });
});

describe('failed sign-ins on /auth/login', () => {
  it('refuses an email after 5 wrong passwords, even with the right one, for 3 minutes per attempt', async () => {
    freezeClock();
    const user = await ctx.createUser({ name: 'target' });
    for (let i = 0; i < 5; i++) expectEnvelope((await login(user.email, `guess-${i}`, '198.51.100.1').expect(401)).body, 'UNAUTHENTICATED');
    const refused = await login(user.email, user.password, '198.51.100.1').expect(429);
    expect(refused.headers['retry-after']).toBe('180');
    const error = expectEnvelope(refused.body, 'RATE_LIMITED');
    expect(error.message).toBe('Too many failed sign-in attempts; retry in 180 s');
    expect(error.details).toEqual({ field: 'email', issue: 'too many failed attempts', retry_after_seconds: 180 });
    // The email is the key, whatever its case and wherever the guesses come from.
    await login(user.email.toUpperCase(), user.password, '198.51.100.2').expect(429);
    now += 180_000;
    await login(user.email, user.password, '198.51.100.1').expect(200);
  });

  it('forgets earlier failures after a successful sign-in', async () => {
    freezeClock();
    const user = await ctx.createUser({ name: 'clumsy' });
    for (let i = 0; i < 4; i++) await login(user.email, 'typo', '198.51.100.3').expect(401);
    await login(user.email, user.password, '198.51.100.3').expect(200);
    for (let i = 0; i < 5; i++) await login(user.email, 'typo', '198.51.100.3').expect(401);
    await login(user.email, 'typo', '198.51.100.3').expect(429);
  });

  it('counts a burst of parallel guesses before any is answered', async () => {
    freezeClock();
    const user = await ctx.createUser({ name: 'burst-target' });
    const statuses = (await Promise.all(Array.from({ length: 12 }, (_, i) => login(user.email, `guess-${i}`, '198.51.100.4')))).map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(7).fill(429)]);
  });

  it('does not count malformed requests as attempts', async () => {
    freezeClock();
    const user = await ctx.createUser({ name: 'fumbler' });
    for (let i = 0; i < 8; i++) await ctx.http().post('/api/v1/auth/login').set('X-Forwarded-For', '198.51.100.5').send({ email: user.email }).expect(400);
    await login(user.email, user.password, '198.51.100.5').expect(200);
  });

  it('refuses a client address after 50 failures over many emails, and only that address', async () => {
    freezeClock();
    const user = await ctx.createUser({ name: 'office' });
    for (let i = 0; i < 50; i++) await login(`nobody-${i}@studio.test`, 'guess', '203.0.113.9').expect(401);
    const refused = await login(user.email, user.password, '203.0.113.9').expect(429);
    expect(refused.headers['retry-after']).toBe('18');
    await login(user.email, user.password, '203.0.113.10').expect(200);
  });
});
