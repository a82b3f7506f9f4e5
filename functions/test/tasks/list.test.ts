import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';
import { NO_DEADLINE_KEY } from '../../src/tasks/indexing.js';
import { taskKey } from '../../src/tasks/keys.js';
import { RFX_CONFIG, SWA_CONFIG, configOf, newTask, seedTasks } from './fixture.js';

const ctx = createTestContext('tasks-list');
const STATUSES = ['not_started', 'in_progress', 'pending_review', 'needs_revision', 'approved', 'completed', 'on_hold', 'archived'];
const TYPES = ['comp', 'lighting', 'animation', 'fx', 'layout'];
const ARTISTS = ['alice', 'Bob', 'carol', 'Unassigned'];
const BASE = Date.UTC(2025, 8, 1);
const N = 300;

interface Row {
  i: number;
  id: string;
  project: string;
  episode: string;
  sequence: string;
  shot: string;
  task: string;
  artist: string;
  status: string;
  priority: string;
  rank: number;
  deadline: string;
  created: number;
  updated: number;
}

/** 300 tasks over three projects; HID is a project the reader does not belong to. */
const rows: Row[] = Array.from({ length: N }, (_, i) => {
  const project = i % 10 < 6 ? 'SWA' : i % 10 < 9 ? 'RFX' : 'HID';
  const levels = (project === 'RFX' ? RFX_CONFIG : SWA_CONFIG).priority_levels;
  const rank = (i * 7) % levels.length;
  const day = (i % 28) + 1;
  return {
    i,
    id: '',
    project,
    episode: ['Ep01', 'Ep02', 'Ep03'][i % 3]!,
    sequence: `sq${String(((i % 4) + 1) * 10).padStart(4, '0')}`,
    shot: `SH${String(i).padStart(4, '0')}`,
    task: TYPES[i % 5]!,
    artist: ARTISTS[Math.floor(i / 3) % 4]!,
    status: STATUSES[i % 8]!,
    priority: levels[rank]!,
    rank,
    deadline: i % 6 === 0 ? NO_DEADLINE_KEY : `2025-10-${String(day).padStart(2, '0')}T00:00:00.000Z`,
    created: BASE + ((i * 37) % N) * 1000,
    updated: BASE + ((i * 91) % N) * 1000 + 500,
  };
});
for (const r of rows) r.id = `${r.episode}_${r.sequence}_${r.shot}_${r.task}`.toLowerCase();

type Key = 'created' | 'updated' | 'rank' | 'deadline';
function expected(filter: (r: Row) => boolean, key: Key = 'created', order: 'asc' | 'desc' = 'desc', includeArchived = false): string[] {
  const dir = order === 'asc' ? 1 : -1;
  return rows
    .filter((r) => (includeArchived || r.status !== 'archived') && filter(r))
    // Ties go by document id, the task's key: its project, then its id.
    .sort((a, b) => (a[key] < b[key] ? -dir : a[key] > b[key] ? dir : taskKey(a.project, a.id) < taskKey(b.project, b.id) ? -dir : dir))
    .map((r) => r.id);
}

let admin: TestUser;
let reader: TestUser;

beforeAll(async () => {
  await ctx.seedProject('SWA', SWA_CONFIG);
  await ctx.seedProject('RFX', RFX_CONFIG);
  await ctx.seedProject('HID', SWA_CONFIG);
  [admin, reader] = await Promise.all([ctx.createUser({ admin: true, name: 'admin' }), ctx.createUser({ name: 'reader' })]);
  await ctx.addMember('SWA', reader, ['read']);
  await ctx.addMember('RFX', reader, ['read']);
  await seedTasks(
    ctx.db,
    rows.map((r) => ({
      task: newTask(
        {
          project_id: r.project, episode: r.episode.toLowerCase(), sequence: r.sequence.toUpperCase(), shot: r.shot.toLowerCase(), task: r.task, artist: r.artist, status: r.status,
          priority: r.priority, deadline: r.deadline === NO_DEADLINE_KEY ? null : r.deadline.slice(0, 10),
          name: r.i % 10 === 0 ? `Hero explosion ${r.i}` : `Shot ${r.i}`, description: r.i % 15 === 0 ? 'Fix the explosion edge' : '',
        },
        configOf(r.project),
      ),
      config: configOf(r.project),
      created: r.created,
      updated: r.updated,
    })),
  );
}, 60_000);

async function list(user: TestUser, query: string) {
  const res = await ctx.http().get(`/api/v1/tasks?${query}`).set('Authorization', user.bearer);
  if (res.status !== 200) throw new Error(`GET /tasks?${query} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { items: { id: string }[]; total: number; page: number; page_size: number; total_pages: number; next_page_token: string | null };
}
const ids = (page: { items: { id: string }[] }) => page.items.map((t) => t.id);

describe('GET /tasks: visibility and the wrapper', () => {
  it('lists non-archived tasks newest first, in the planned wrapper, with the stored spec shape', async () => {
    const all = expected(() => true);
    const page = await list(admin, 'page_size=20');
    expect(ids(page)).toEqual(all.slice(0, 20));
    expect({ total: page.total, page: page.page, page_size: page.page_size, total_pages: page.total_pages }).toEqual({ total: all.length, page: 1, page_size: 20, total_pages: Math.ceil(all.length / 20) });
    expect(all.length).toBe(263);
    const first = page.items[0] as Record<string, unknown>;
    expect(first).toMatchObject({ id: all[0], episode: expect.stringMatching(/^Ep0\d$/), sequence: expect.stringMatching(/^sq00\d0$/), shot: expect.stringMatching(/^SH\d{4}$/) });
    expect(first.search_tokens).toBeUndefined();
    expect(first.episode_key).toBeUndefined();
    expect(new Date(first.created_at as string).toISOString()).toBe(first.created_at);
  });

  it('shows a member only the tasks of projects they can read', async () => {
    const page = await list(reader, 'page_size=100');
    const visible = expected((r) => r.project !== 'HID');
    expect(page.total).toBe(visible.length);
    expect(ids(page)).toEqual(visible.slice(0, 100));
  });

  it('answers 404 for a project the caller cannot read, and an empty page to a user without projects', async () => {
    const res = await ctx.http().get('/api/v1/tasks?project_id=HID').set('Authorization', reader.bearer).expect(404);
    expect(expectEnvelope(res.body, 'NOT_FOUND').message).toBe('Project HID not found');
    const loner = await ctx.createUser({ name: 'loner' });
    expect(await list(loner, '')).toEqual({ items: [], total: 0, page: 1, page_size: 50, total_pages: 0, next_page_token: null });
  });

  it('includes archived tasks on request, or when the status filter names archived', async () => {
    expect((await list(admin, 'include_archived=true&page_size=100')).total).toBe(N);
    const archived = await list(admin, 'status=archived&page_size=100');
    expect(ids(archived)).toEqual(expected((r) => r.status === 'archived', 'created', 'desc', true));
  });
});

describe('GET /tasks: filters', () => {
  const cases: [string, (r: Row) => boolean][] = [
    ['project_id=RFX', (r) => r.project === 'RFX'],
    ['project_id=RFX,HID', (r) => r.project !== 'SWA'],
    ['episode=ep02', (r) => r.episode === 'Ep02'],
    ['episode=EP01&episode=ep03', (r) => r.episode !== 'Ep02'],
    ['sequence=SQ0010,sq0030', (r) => r.sequence === 'sq0010' || r.sequence === 'sq0030'],
    ['shot=sh0042', (r) => r.shot === 'SH0042'],
    ['shot=SH0007,sh0123,Sh0200', (r) => ['SH0007', 'SH0123', 'SH0200'].includes(r.shot)],
    ['task_type=COMP', (r) => r.task === 'comp'],
    ['task_type=fx,layout', (r) => r.task === 'fx' || r.task === 'layout'],
    ['artist=bob', (r) => r.artist === 'Bob'],
    ['artist=ALICE,unassigned', (r) => r.artist === 'alice' || r.artist === 'Unassigned'],
    ['status=in_progress,not_started', (r) => r.status === 'in_progress' || r.status === 'not_started'],
    ['priority=HIGH', (r) => r.priority === 'high'],
    ['priority=urgent,critical', (r) => r.priority === 'urgent' || r.priority === 'critical'],
    ['project_id=SWA&episode=ep01,EP02&status=approved,completed,in_progress,not_started&artist=carol,alice', (r) => r.project === 'SWA' && r.episode !== 'Ep03' && ['approved', 'completed', 'in_progress', 'not_started'].includes(r.status) && ['carol', 'alice'].includes(r.artist)],
    ['task_type=lighting&sequence=sq0020,sq0030&priority=low,minor,high', (r) => r.task === 'lighting' && ['sq0020', 'sq0030'].includes(r.sequence) && ['low', 'minor', 'high'].includes(r.priority)],
  ];
  for (const [query, filter] of cases) {
    it(`filters by ${query}`, async () => {
      const want = expected(filter);
      expect(want.length).toBeGreaterThan(0);
      const page = await list(admin, `${query}&page_size=100`);
      expect(ids(page)).toEqual(want.slice(0, 100));
      expect(page.total).toBe(want.length);
    });
  }

  it('gives exactly the shots asked for (an archived one stays hidden)', async () => {
    expect(ids(await list(admin, 'shot=sh0005,SH0123,sh0007'))).toEqual(['ep03_sq0020_sh0005_comp', 'ep01_sq0040_sh0123_fx']);
  });

  it('refuses filter combinations beyond Firestore\'s 30 disjunctions, and unknown values', async () => {
    const tooMany = await ctx.http().get('/api/v1/tasks?episode=a,b,c,d,e,f&status=in_progress,approved,completed,on_hold,not_started,pending_review').set('Authorization', admin.bearer).expect(400);
    expect(expectEnvelope(tooMany.body, 'VALIDATION_ERROR').message).toBe('Too many filter combinations: the multi-valued filters combine into 36 (Firestore allows 30); give fewer values');
    const badStatus = await ctx.http().get('/api/v1/tasks?status=done').set('Authorization', admin.bearer).expect(400);
    expect(expectEnvelope(badStatus.body, 'VALIDATION_ERROR').message).toContain('status must be one of');
    const unknown = await ctx.http().get('/api/v1/tasks?colour=red').set('Authorization', admin.bearer).expect(400);
    expect(expectEnvelope(unknown.body, 'VALIDATION_ERROR').message).toContain('Unknown field(s): colour');
    await ctx.http().get('/api/v1/tasks?sort=name').set('Authorization', admin.bearer).expect(400);
    await ctx.http().get('/api/v1/tasks').expect(401);
  });
});

describe('GET /tasks: search', () => {
  it('finds a word of the name or description, in any case', async () => {
    const want = expected((r) => r.i % 10 === 0 || r.i % 15 === 0);
    const page = await list(admin, 'search=EXPLO&page_size=100');
    expect(ids(page)).toEqual(want);
    expect(page.total).toBe(want.length);
  });

  it('finds runs of id words, and combines with filters', async () => {
    expect(ids(await list(admin, 'search=sq0040_sh0123'))).toEqual(['ep01_sq0040_sh0123_fx']);
    expect(ids(await list(admin, 'search=SH0123 fx'))).toEqual(['ep01_sq0040_sh0123_fx']);
    expect(ids(await list(admin, 'search=sq0010_sh000&page_size=100'))).toEqual(expected((r) => r.sequence === 'sq0010' && r.i < 10));
    expect(ids(await list(admin, 'search=hero&project_id=RFX&page_size=100'))).toEqual(expected((r) => r.i % 10 === 0 && r.project === 'RFX'));
    expect((await list(admin, 'search=nothing-like-this')).total).toBe(0);
  });

  it('needs at least two characters', async () => {
    const res = await ctx.http().get('/api/v1/tasks?search=a').set('Authorization', admin.bearer).expect(400);
    expect(expectEnvelope(res.body, 'VALIDATION_ERROR').message).toBe('Invalid query: query.search: search needs at least 2 characters');
  });
});

describe('GET /tasks: sorting', () => {
  const sorts: [string, Key, 'asc' | 'desc'][] = [
    ['sort=created_at&order=asc', 'created', 'asc'],
    ['sort=updated_at', 'updated', 'desc'],
    ['sort=updated_at&order=asc', 'updated', 'asc'],
    ['sort=priority', 'rank', 'desc'],
    ['sort=priority&order=asc', 'rank', 'asc'],
    ['sort=deadline&order=asc', 'deadline', 'asc'],
    ['sort=deadline&order=desc', 'deadline', 'desc'],
  ];
  for (const [query, key, order] of sorts) {
    it(`orders by ${query}`, async () => {
      const want = expected(() => true, key, order);
      expect(ids(await list(admin, `${query}&page_size=100`))).toEqual(want.slice(0, 100));
    });
  }

  it("sorts priority by the project's order, not alphabetically", async () => {
    for (const order of ['desc', 'asc']) {
      const page = await list(admin, `project_id=SWA&sort=priority&order=${order}&page_size=100`);
      const priorities = [...new Set(page.items.map((t) => (t as unknown as { priority: string }).priority))];
      expect(priorities).toEqual(order === 'desc' ? ['urgent', 'high', 'medium'] : ['low', 'medium', 'high']);
    }
  });

  it('puts tasks without a deadline last in ascending order', async () => {
    const page = await list(admin, 'project_id=RFX&sort=deadline&order=asc&page_size=100');
    const deadlines = page.items.map((t) => (t as unknown as { deadline: string | null }).deadline);
    expect(deadlines.indexOf(null)).toBe(deadlines.filter((d) => d !== null).length);
    expect(deadlines.slice(0, 4)).toEqual(['2025-10-01', '2025-10-01', '2025-10-01', '2025-10-02']);
  });
});

describe('GET /tasks: paging', () => {
  it('pages by number', async () => {
    const want = expected((r) => r.project === 'SWA', 'rank', 'asc');
    const page3 = await list(admin, 'project_id=SWA&sort=priority&order=asc&page_size=25&page=3');
    expect(ids(page3)).toEqual(want.slice(50, 75));
    expect(page3.page).toBe(3);
    const last = await list(admin, `project_id=SWA&sort=priority&order=asc&page_size=25&page=${Math.ceil(want.length / 25)}`);
    expect(ids(last)).toEqual(want.slice(Math.floor((want.length - 1) / 25) * 25));
    expect(last.next_page_token).toBeNull();
    expect(ids(await list(admin, 'project_id=SWA&page=100'))).toEqual([]);
  });

  it('walks every page with next_page_token and sees each task once, in order', async () => {
    for (const [query, key, order] of [['sort=deadline&order=asc', 'deadline', 'asc'], ['status=approved,completed,on_hold&sort=updated_at', 'updated', 'desc']] as const) {
      const want = expected((r) => !query.startsWith('status') || ['approved', 'completed', 'on_hold'].includes(r.status), key, order);
      const seen: string[] = [];
      let token: string | null = null;
      let pages = 0;
      do {
        const page = await list(admin, `${query}&page_size=30${token ? `&page_token=${token}` : ''}`);
        seen.push(...ids(page));
        expect(page.page).toBe(++pages);
        token = page.next_page_token;
      } while (token);
      expect(seen).toEqual(want);
      expect(pages).toBe(Math.ceil(want.length / 30));
    }
  });

  it('refuses a token from another query, and a forged one', async () => {
    const first = await list(admin, 'sort=priority&page_size=10');
    const other = await ctx.http().get(`/api/v1/tasks?sort=deadline&page_size=10&page_token=${first.next_page_token}`).set('Authorization', admin.bearer).expect(400);
    expect(expectEnvelope(other.body, 'VALIDATION_ERROR').message).toBe('page_token belongs to a different query (filters or sort changed)');
    await ctx.http().get('/api/v1/tasks?page_token=garbage').set('Authorization', admin.bearer).expect(400);
  });
});
