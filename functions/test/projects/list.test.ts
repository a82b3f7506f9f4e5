import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';

const ctx = createTestContext('project-list');
let admin: TestUser;
let member: TestUser;
let stranger: TestUser;

const api = '/api/v1';
const ids = (body: { items: { id: string }[] }) => body.items.map((p) => p.id);

/** 40 projects L00..L39: every 5th completed, every 7th archived; `member` belongs to L00..L32. */
const numbered = Array.from({ length: 40 }, (_, i) => ({ id: `L${String(i).padStart(2, '0')}`, status: i % 7 === 3 ? 'archived' : i % 5 === 1 ? 'completed' : 'active' }));
const memberOf = numbered.slice(0, 33);

const named = [
  { id: 'SWA', name: 'Sky Wars Anthology', description: 'VFX project for Sky Wars Anthology series' },
  { id: 'NMK', name: 'Night Market', description: 'Stylised COMMERCIAL for a night market' },
  { id: 'SKY', name: 'Skyline Tower', description: 'Architectural visualisation' },
];

beforeAll(async () => {
  [admin, member, stranger] = await Promise.all([ctx.createUser({ admin: true, name: 'admin' }), ctx.createUser({ name: 'member' }), ctx.createUser({ name: 'stranger' })]);
  for (const p of named) await ctx.http().post(`${api}/projects`).set('Authorization', admin.bearer).send(p).expect(201);
  await Promise.all(numbered.map((p) => ctx.seedProject(p.id, { name: `Numbered ${p.id}`, status: p.status })));
  await Promise.all(memberOf.map((p) => ctx.addMember(p.id, member, ['read'])));
  await ctx.addMember('NMK', member, ['write']);
});

async function list(user: TestUser, query: Record<string, string | number>) {
  const res = await ctx.http().get(`${api}/projects`).query(query).set('Authorization', user.bearer).expect(200);
  return res.body;
}

describe('GET /projects', () => {
  it('shows a global admin every unarchived project, in id order, with the planned wrapper', async () => {
    const expected = [...named.map((p) => p.id), ...numbered.filter((p) => p.status !== 'archived').map((p) => p.id)].sort();
    const body = await list(admin, { page_size: 100 });
    expect(ids(body)).toEqual(expected);
    expect(body).toMatchObject({ total: expected.length, page: 1, page_size: 100, total_pages: 1, next_page_token: null });
  });

  it('shows a member only their projects, across more ids than one query takes, by page and by token', async () => {
    const expected = [...memberOf.filter((p) => p.status !== 'archived').map((p) => p.id), 'NMK'].sort();
    expect(expected.length).toBe(29);
    const pages: string[][] = [];
    for (let page = 1; page <= 5; page++) {
      const body = await list(member, { page, page_size: 7 });
      expect(body).toMatchObject({ total: 29, page, page_size: 7, total_pages: 5 });
      pages.push(ids(body));
    }
    expect(pages.flat()).toEqual(expected);
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 1]);

    const walked: string[] = [];
    let token: string | null = null;
    let page = 0;
    do {
      const body = await list(member, token ? { page_size: 13, page_token: token } : { page_size: 13 });
      walked.push(...ids(body));
      expect(body.page).toBe(++page);
      token = body.next_page_token;
    } while (token);
    expect(walked).toEqual(expected);
    expect(page).toBe(3);
  });

  it('filters by status, several at once, and shows archived projects only when asked', async () => {
    const archived = memberOf.filter((p) => p.status === 'archived').map((p) => p.id);
    expect(ids(await list(member, { status: 'archived', page_size: 100 }))).toEqual(archived);
    const completed = memberOf.filter((p) => p.status === 'completed').map((p) => p.id);
    expect(ids(await list(member, { status: 'completed', page_size: 100 }))).toEqual(completed);
    const both = await list(member, { status: 'completed,archived', page_size: 100 });
    expect(ids(both)).toEqual([...completed, ...archived].sort());
    const all = await list(member, { include_archived: 'true', page_size: 100 });
    expect(all.total).toBe(34);
    expect(ids(await list(admin, { status: 'archived', page_size: 100 }))).toEqual(numbered.filter((p) => p.status === 'archived').map((p) => p.id));
  });

  it('searches name and description in any case, by words and word starts', async () => {
    expect(ids(await list(admin, { search: 'sky' }))).toEqual(['SKY', 'SWA']);
    expect(ids(await list(admin, { search: 'SKY WARS' }))).toEqual(['SWA']);
    expect(ids(await list(admin, { search: 'wars anth' }))).toEqual(['SWA']);
    expect(ids(await list(admin, { search: 'commercial' }))).toEqual(['NMK']);
    expect(ids(await list(admin, { search: 'Visualis' }))).toEqual(['SKY']);
    expect(ids(await list(admin, { search: 'submarine' }))).toEqual([]);
    expect(ids(await list(member, { search: 'sky' }))).toEqual([]);
    expect(ids(await list(member, { search: 'night' }))).toEqual(['NMK']);
  });

  it('gives a user without memberships an empty page', async () => {
    expect(await list(stranger, {})).toEqual({ items: [], total: 0, page: 1, page_size: 50, total_pages: 0, next_page_token: null });
  });

  it('refuses bad parameters with the field named', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ status: 'paused' }, 'query.status.0'],
      [{ page_size: '500' }, 'query.page_size'],
      [{ search: 'x' }, 'search'],
      [{ sort: 'name' }, 'query'],
    ];
    for (const [query, field] of cases) {
      const res = await ctx.http().get(`${api}/projects`).query(query).set('Authorization', member.bearer).expect(400);
      expect((expectEnvelope(res.body, 'VALIDATION_ERROR').details as { field: string }).field).toBe(field);
    }
    const token = await ctx.http().get(`${api}/projects`).query({ page_token: 'garbage' }).set('Authorization', member.bearer).expect(400);
    expect(expectEnvelope(token.body, 'VALIDATION_ERROR').message).toBe('page_token is not a valid page token');
    const first = await list(member, { page_size: 5 });
    const other = await ctx.http().get(`${api}/projects`).query({ page_token: first.next_page_token, status: 'archived' }).set('Authorization', member.bearer).expect(400);
    expect(expectEnvelope(other.body, 'VALIDATION_ERROR').message).toBe('page_token belongs to a different query (filters or sort changed)');
  });
});
