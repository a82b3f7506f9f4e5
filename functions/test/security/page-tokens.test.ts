// Finding 6: a page token is client-held, so any part of it may be forged. A token carrying the
// right query fingerprint but tampered cursor values was a 500 (Firestore refused the values).
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';
import { configOf, newTask, seedTasks } from '../tasks/fixture.js';

const ctx = createTestContext('page-tokens');
let admin: TestUser;

beforeAll(async () => {
  admin = await ctx.createUser({ admin: true });
  await ctx.seedProject('SWA');
  const now = Date.now();
  await seedTasks(
    ctx.db,
    ['sh010', 'sh020', 'sh030'].map((shot, i) => ({ task: newTask({ project_id: 'SWA', episode: 'ep01', sequence: 'sq010', shot, task: 'comp' }, configOf('SWA')), config: configOf('SWA'), created: now - i, updated: now - i })),
  );
});

type Token = { p: number; q: string; v: unknown[] };
const open = (token: string) => JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Token;
const seal = (token: Token) => Buffer.from(JSON.stringify(token)).toString('base64url');

async function firstToken(): Promise<Token> {
  const res = await ctx.http().get('/api/v1/tasks?page_size=1').set('Authorization', admin.bearer).expect(200);
  return open(res.body.next_page_token as string);
}

describe('a forged page token (right fingerprint, tampered values)', () => {
  const forgeries: [string, (t: Token) => Token][] = [
    ['a timestamp past the year 9999', (t) => ({ ...t, v: [{ $ts: [999_999_999_999, 0] }, t.v[1]] })],
    ['a timestamp before the year 1', (t) => ({ ...t, v: [{ $ts: [-999_999_999_999, 0] }, t.v[1]] })],
    ['nanoseconds out of range', (t) => ({ ...t, v: [{ $ts: [0, 2_000_000_000] }, t.v[1]] })],
    ['a document id holding a slash', (t) => ({ ...t, v: [t.v[0], 'tasks/x'] })],
    ['an empty document id', (t) => ({ ...t, v: [t.v[0], ''] })],
    ['a page number past the safe integers', (t) => ({ ...t, p: 2 ** 60 })],
  ];
  for (const [what, forge] of forgeries) {
    it(`${what} is a 400 naming page_token`, async () => {
      const token = seal(forge(await firstToken()));
      const res = await ctx.http().get(`/api/v1/tasks?page_size=1&page_token=${token}`).set('Authorization', admin.bearer);
      expect(res.status).toBe(400);
      expect(expectEnvelope(res.body, 'VALIDATION_ERROR').details).toEqual({ field: 'page_token', issue: 'malformed' });
    });
  }

  it('an untampered token still leads to the next page', async () => {
    const res = await ctx.http().get(`/api/v1/tasks?page_size=1&page_token=${seal(await firstToken())}`).set('Authorization', admin.bearer).expect(200);
    expect(res.body.page).toBe(2);
    expect(res.body.items).toHaveLength(1);
  });
});
