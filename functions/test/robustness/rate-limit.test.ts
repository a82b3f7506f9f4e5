// Rate limits as every instance sees them: counts live in Firestore (rate_limits), over sliding
// windows. Finding 1 of the security review: the login brake was keyed on a client-written
// X-Forwarded-For entry, an account's brake locked its owner out, and every instance counted alone.
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';

// A budget of 5 requests a minute.
const ctx = createTestContext('rate-limit', { rateLimitPerMinute: 5 });
/** A second instance of the function: same project, its own memory. */
const other = createApp(ctx.deps);
const realClock = ctx.deps.clock;
// A minute boundary, and a 15-minute one: windows start here.
let now = Date.parse('2026-03-02T09:00:00Z');
const freezeClock = () => {
  ctx.deps.clock = () => new Date(now);
};
afterEach(() => {
  ctx.deps.clock = realClock;
  now = (Math.floor(now / 3_600_000) + 1) * 3_600_000; // each test in windows of its own, from their start
});

const me = (user: TestUser, app = ctx.app) => request(app).get('/api/v1/auth/me').set('Authorization', user.bearer);
/** A sign-in as Google's front end delivers it: whatever the client sent, then the address it saw. */
const login = (email: string, password: string, ip: string, forged = '', app = ctx.app) =>
  request(app).post('/api/v1/auth/login').set('X-Forwarded-For', forged ? `${forged}, ${ip}` : ip).send({ email, password });

describe('per-user request budget', () => {
  it('answers the request over the budget with 429, Retry-After and the envelope; other users and public routes are unaffected', async () => {
    freezeClock();
    const [greedy, neighbour] = await Promise.all([ctx.createUser({ name: 'greedy' }), ctx.createUser({ name: 'neighbour' })]);
    for (let i = 0; i < 5; i++) await me(greedy).expect(200);
    const refused = await me(greedy).expect(429);
    // 5 in this minute: one more fits once a fifth of them has slid out of the window, 72 s from now.
    expect(refused.headers['retry-after']).toBe('72');
    const error = expectEnvelope(refused.body, 'RATE_LIMITED');
    expect(error.message).toBe('Too many requests: at most 5 per minute per user; retry in 72 s');
    expect(error.details).toEqual({ limit_per_minute: 5, retry_after_seconds: 72 });
    await me(neighbour).expect(200);
    for (let i = 0; i < 8; i++) await request(ctx.app).get('/api/v1/health').expect(200);
  });

  it('lets requests through again after Retry-After, and refused requests cost nothing', async () => {
    freezeClock();
    const user = await ctx.createUser({ name: 'steady' });
    for (let i = 0; i < 5; i++) await me(user).expect(200);
    for (let i = 0; i < 10; i++) await me(user).expect(429);
    now += 72_000;
    await me(user).expect(200);
    await me(user).expect(429);
  });

  it('is one budget across instances (finding 1: each instance counted alone)', async () => {
    freezeClock();
    const user = await ctx.createUser({ name: 'spread' });
    for (let i = 0; i < 3; i++) await me(user).expect(200);
    for (let i = 0; i < 2; i++) await me(user, other).expect(200);
    expectEnvelope((await me(user, other).expect(429)).body, 'RATE_LIMITED');
    await me(user).expect(429);
  });

  it('never lets a concurrent burst through beyond the budget', async () => {
    freezeClock();
    const user = await ctx.createUser({ name: 'burst' });
    const statuses = (await Promise.all(Array.from({ length: 20 }, (_, i) => me(user, i % 2 ? other : ctx.app)))).map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const admitted = statuses.filter((s) => s === 200).length;
    expect(admitted).toBeLessThanOrEqual(5);
    // The refused ones cost nothing: exactly the rest of the budget is left.
    for (let i = admitted; i < 5; i++) await me(user).expect(200);
    await me(user, other).expect(429);
  });

  it('lets the budget come from configuration', async () => {
    const roomy = createTestContext('rate-limit-roomy', { rateLimitPerMinute: 40 });
    const user = await roomy.createUser({ name: 'roomy' });
    const statuses: number[] = [];
    for (let i = 0; i < 45; i++) statuses.push((await roomy.http().get('/api/v1/auth/me').set('Authorization', user.bearer)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
  });
});

describe('failed sign-ins on /auth/login', () => {
  it('refuses an account from one address after 5 wrong passwords, the right one too, and says when to retry', async () => {
    freezeClock();
    const user = await ctx.createUser({ name: 'target' });
    for (let i = 0; i < 5; i++) expectEnvelope((await login(user.email, `guess-${i}`, '198.51.100.1').expect(401)).body, 'UNAUTHENTICATED');
    const refused = await login(user.email, user.password, '198.51.100.1').expect(429);
    expect(refused.headers['retry-after']).toBe('360');
    const error = expectEnvelope(refused.body, 'RATE_LIMITED');
    expect(error.message).toBe('Too many failed sign-in attempts; retry in 360 s');
    expect(error.details).toEqual({ field: 'email', issue: 'too many failed attempts', retry_after_seconds: 360 });
    // The account is the key in any letter case.
    await login(user.email.toUpperCase(), user.password, '198.51.100.1').expect(429);
    now += 360_000;
    await login(user.email, user.password, '198.51.100.1').expect(200);
  });

  it("never locks the owner out: guesses from elsewhere do not stop the right password from the owner's address", async () => {
    freezeClock();
    const victim = await ctx.createUser({ name: 'victim' });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await login(victim.email, `guess-${i}`, '192.0.2.66')).status);
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(5).fill(429)]);
    await login(victim.email, victim.password, '198.51.100.20').expect(200);
  });

  it('takes the address the front end saw, not one the client wrote into X-Forwarded-For', async () => {
    freezeClock();
    const user = await ctx.createUser({ name: 'spoofed' });
    for (let i = 0; i < 5; i++) await login(user.email, `guess-${i}`, '192.0.2.77', `10.${i}.0.1`).expect(401);
    await login(user.email, user.password, '192.0.2.77', '10.99.0.1').expect(429);
    for (let i = 0; i < 45; i++) await login(`nobody-${i}@studio.test`, 'guess', '192.0.2.77', `172.16.${i}.1`).expect(401);
    const refused = await login(`someone@studio.test`, 'guess', '192.0.2.77', '172.31.0.1').expect(429);
    expectEnvelope(refused.body, 'RATE_LIMITED');
  });

  it('counts sign-ins on every instance together', async () => {
    freezeClock();
    const user = await ctx.createUser({ name: 'roaming' });
    for (let i = 0; i < 3; i++) await login(user.email, 'guess', '198.51.100.30').expect(401);
    for (let i = 0; i < 2; i++) await login(user.email, 'guess', '198.51.100.30', '', other).expect(401);
    await login(user.email, user.password, '198.51.100.30', '', other).expect(429);
    await login(user.email, user.password, '198.51.100.30').expect(429);
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
    const statuses = (await Promise.all(Array.from({ length: 12 }, (_, i) => login(user.email, `guess-${i}`, '198.51.100.4')))).map((r) => r.status);
    const answered = statuses.filter((s) => s === 401).length;
    expect(answered).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    // The refused ones cost nothing: exactly the rest of the 5 guesses are left.
    for (let i = answered; i < 5; i++) await login(user.email, 'guess', '198.51.100.4').expect(401);
    await login(user.email, user.password, '198.51.100.4').expect(429);
  });

  it('does not count malformed requests as attempts', async () => {
    freezeClock();
    const user = await ctx.createUser({ name: 'fumbler' });
    for (let i = 0; i < 8; i++) await request(ctx.app).post('/api/v1/auth/login').set('X-Forwarded-For', '198.51.100.5').send({ email: user.email }).expect(400);
    await login(user.email, user.password, '198.51.100.5').expect(200);
  });

  it('refuses a client address after 50 failures over many accounts, and only that address', async () => {
    freezeClock();
    const user = await ctx.createUser({ name: 'office' });
    for (let i = 0; i < 50; i++) await login(`nobody-${i}@studio.test`, 'guess', '203.0.113.9').expect(401);
    const refused = await login(user.email, user.password, '203.0.113.9').expect(429);
    // 50 in this quarter hour: one more fits once a fiftieth of them has slid out, 15 min 18 s from now.
    expect(refused.headers['retry-after']).toBe('918');
    await login(user.email, user.password, '203.0.113.10').expect(200);
  });
});
