// Many clients at once, through the API: optimistic concurrency with If-Match, overlapping bulk
// updates, and the counters that summarise tasks and annotations.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';
import { TINY_PNG } from './world.js';

const ctx = createTestContext('concurrency', { rateLimitPerMinute: 1_000_000 });
let producer: TestUser;
let artist: TestUser;


/** Task ids do not name their project, so each project gets its own episode. */
const EPISODE: Record<string, string> = { OPT: 'ep01', BLK: 'ep02', CNT: 'ep03' };

async function createTask(project: string, shot: string, step = 'comp'): Promise<string> {
  const res = await ctx.as(producer).post('/tasks', { project_id: project, episode: EPISODE[project], sequence: 'sq0010', shot, task: step }).expect(201);
  return res.body.id as string;
}

beforeAll(async () => {
  [producer, artist] = await Promise.all([ctx.createUser({ admin: true, name: 'producer' }), ctx.createUser({ name: 'artist' })]);
  for (const id of ['OPT', 'BLK', 'CNT']) {
    await ctx.as(producer).post('/projects', { id, name: `Concurrency ${id}` }).expect(201);
    await ctx.as(producer).post(`/projects/${id}/users`, [{ user_id: artist.uid, permissions: ['write'] }]).expect(200);
  }
});

describe('50 concurrent PATCHes of one task with If-Match', () => {
  it('let exactly one win from the same version; the other 49 get 412 and change nothing', async () => {
    const task = await createTask('OPT', 'sh0010');
    const first = await ctx.as(artist).get(`/tasks/${task}`).expect(200);
    const etag = first.headers.etag as string;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => ctx.as(artist).patch(`/tasks/${task}`, { milestone_note: `client ${i}` }, etag)));
    const winners = results.filter((r) => r.status === 200);
    const losers = results.filter((r) => r.status !== 200);
    expect(winners).toHaveLength(1);
    expect(losers.map((r) => r.status)).toEqual(Array(49).fill(412));
    for (const r of losers) expectEnvelope(r.body, 'PRECONDITION_FAILED');
    const after = await ctx.as(artist).get(`/tasks/${task}`).expect(200);
    expect(after.body.milestone_note).toBe(winners[0]!.body.milestone_note);
    expect(after.headers.etag).toBe(winners[0]!.headers.etag);
    expect(after.headers.etag).not.toBe(etag);
  });

  it('lose nothing when clients re-read and retry on 412: 12 clients log an hour each, every version has exactly one successor', async () => {
    const task = await createTask('OPT', 'sh0020');
    const start = (await ctx.as(artist).get(`/tasks/${task}`).expect(200)).headers.etag as string;
    // Each retry round lets one client through, so the rounds grow with the square of the clients.
    const CLIENTS = 12;
    // Each client logs one hour: read, add, write back conditionally; on 412 read again.
    const logHour = async () => {
      for (;;) {
        const current = await ctx.as(artist).get(`/tasks/${task}`).expect(200);
        const res = await ctx.as(artist).patch(`/tasks/${task}`, { actual_time_logged: (current.body.actual_time_logged as number) + 1 }, current.headers.etag as string);
        if (res.status === 200) return { from: current.headers.etag as string, to: res.headers.etag as string };
        expect(res.status).toBe(412);
      }
    };
    const wins = await Promise.all(Array.from({ length: CLIENTS }, logHour));
    const final = await ctx.as(artist).get(`/tasks/${task}`).expect(200);
    expect(final.body.actual_time_logged).toBe(CLIENTS);
    // Versions form one chain from the start to the final ETag: no version was written twice.
    const next = new Map(wins.map((w) => [w.from, w.to]));
    expect(next.size).toBe(CLIENTS);
    let version = start;
    for (let i = 0; i < CLIENTS; i++) version = next.get(version)!;
    expect(version).toBe(final.headers.etag);
  });

  it('without If-Match, 20 concurrent writers of different fields all land, retrying when told to', async () => {
    const task = await createTask('OPT', 'sh0030');
    // Without If-Match the API re-reads and retries a write a few times itself, then answers 409 "retry".
    const refusals: number[] = [];
    const addNote = async (i: number) => {
      for (;;) {
        const res = await ctx.as(artist).post(`/tasks/${task}/add-field`, { [`review_note_${i}`]: `note ${i}` });
        if (res.status === 200) return;
        expectEnvelope(res.body, 'CONFLICT');
        refusals.push(res.status);
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => addNote(i)));
    const after = await ctx.as(artist).get(`/tasks/${task}`).expect(200);
    for (let i = 0; i < 20; i++) expect(after.body[`review_note_${i}`]).toBe(`note ${i}`);
    expect(new Set(refusals)).toEqual(new Set(refusals.length ? [409] : []));
  });
});

describe('20 concurrent bulk updates over overlapping tasks', () => {
  it('end in the state of some serial order of the calls applied, each whole; a call refused for contention (409, Retry-After) writes nothing', async () => {
    const tasks: string[] = [];
    for (let i = 0; i < 10; i++) tasks.push(await createTask('BLK', `sh${String(i + 1).padStart(3, '0')}0`));
    const covered = (call: number) => [0, 1, 2, 3, 4].map((k) => tasks[(call + k * 3) % 10]!);
    const calls = Array.from({ length: 20 }, (_, call) =>
      ctx.as(artist).patch('/tasks/bulk-update', covered(call).map((task_id) => ({ task_id, updates: { milestone_note: `bulk ${call}`, artist: `artist_${call}`, status: call % 2 ? 'in_progress' : 'on_hold' } }))),
    );
    const results = await Promise.all(calls);
    const applied = new Set(results.flatMap((r, call) => (r.status === 200 ? [call] : [])));
    for (const r of results) {
      if (r.status === 200) expect(r.body.updated_count).toBe(5);
      else expect([r.status, expectEnvelope(r.body, 'CONFLICT').details, r.headers['retry-after']]).toEqual([409, { retry_after_seconds: 1 }, '1']);
    }
    // One feed event per call applied, none for a refused one.
    const events = await ctx.db.collection('projects/BLK/events').where('type', '==', 'tasks_bulk_updated').get();
    expect(events.size).toBe(applied.size);

    // Which call wrote each task last; all three fields must come from that one call.
    const page = await ctx.as(artist).get('/tasks?project_id=BLK&page_size=100').expect(200);
    const lastWriter = new Map<string, number>();
    for (const t of page.body.items as { id: string; milestone_note: string; artist: string; status: string }[]) {
      const call = Number(t.milestone_note.replace('bulk ', ''));
      expect({ task: t.id, artist: t.artist, status: t.status }).toEqual({ task: t.id, artist: `artist_${call}`, status: call % 2 ? 'in_progress' : 'on_hold' });
      expect(covered(call)).toContain(t.id);
      expect(applied).toContain(call);
      lastWriter.set(t.id, call);
    }
    expect(lastWriter.size).toBe(10);
    // A serial order exists iff "every other call touching a task came before its last writer" has no cycle.
    const before = new Map<number, Set<number>>([...applied].map((c) => [c, new Set<number>()]));
    for (const [task, winner] of lastWriter) {
      for (const c of applied) if (c !== winner && covered(c).includes(task)) before.get(winner)!.add(c);
    }
    const order: number[] = [];
    const placed = new Set<number>();
    while (order.length < applied.size) {
      const ready = [...before.keys()].find((c) => !placed.has(c) && [...before.get(c)!].every((d) => placed.has(d)));
      expect(ready, `no serial order explains the final state (placed so far: ${order.join(', ')})`).toBeDefined();
      order.push(ready!);
      placed.add(ready!);
    }
  });
});

describe('counters under concurrent writes', () => {
  it('project stats count exactly what the tasks and media say after a burst of creates, changes, archives and uploads', async () => {
    const seeded: string[] = [];
    for (let i = 0; i < 8; i++) seeded.push(await createTask('CNT', `sh${String(i + 1).padStart(3, '0')}0`, 'lighting'));
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => ctx.as(artist).post('/tasks', { project_id: 'CNT', episode: 'ep04', sequence: 'sq0010', shot: `sh${String(i + 1).padStart(3, '0')}0`, task: i % 2 ? 'comp' : 'fx', artist: `artist_${i % 3}` })),
      ...seeded.slice(0, 4).map((id) => ctx.as(artist).patch(`/tasks/${id}`, { status: 'completed' })),
      ...seeded.slice(4, 6).map((id) => ctx.as(artist).delete(`/tasks/${id}`)),
      ...seeded.slice(6).map((id) => ctx.as(artist).patch(`/tasks/${id}`, { status: 'in_progress', artist: 'artist_9' })),
      ...Array.from({ length: 6 }, (_, i) =>
        ctx.http().post('/api/v1/media').set('Authorization', artist.bearer).field('task_id', seeded[7]!).field('version', `v00${i + 1}`).attach('file', TINY_PNG, `plate_${i}.png`),
      ),
    ]).then((all) => expect(all.filter((r) => r.status >= 300).map((r) => r.status)).toEqual([]));

    const stats = (await ctx.as(artist).get('/projects/CNT/stats').expect(200)).body;
    expect(stats).toMatchObject({
      total_tasks: 26,
      tasks_by_status: { not_started: 20, completed: 4, in_progress: 2, pending_review: 0, needs_revision: 0, approved: 0, on_hold: 0 },
      total_media_files: 6,
      total_storage_bytes: 6 * TINY_PNG.length,
      active_artists: 1,
      completion_percentage: Math.round((4 / 26) * 1000) / 10,
    });
    expect(stats.tasks_by_type).toMatchObject({ lighting: 6, comp: 10, fx: 10 });
  });

  it("a media's open and total annotation counts match a recount after racing creates, replies, resolves, reopens and archives", async () => {
    const task = await createTask('CNT', 'sh9990');
    const upload = await ctx.http().post('/api/v1/media').set('Authorization', artist.bearer).field('task_id', task).attach('file', TINY_PNG, 'dailies.png').expect(201);
    const media = upload.body.id as string;
    const note = (body: Record<string, unknown>) => ctx.as(artist).post('/annotations', { media_id: media, annotation_type: 'note', content: 'note', ...body });
    const roots: string[] = [];
    for (let i = 0; i < 10; i++) roots.push((await note({ frame_number: i }).expect(201)).body.id as string);

    const storm = [
      // The same five threads resolved and reopened by many reviewers at once.
      ...roots.slice(0, 5).flatMap((id) => Array.from({ length: 6 }, (_, k) => ctx.as(artist).post(`/annotations/${id}/${k % 2 ? 'reopen' : 'resolve'}`))),
      ...roots.slice(5, 8).flatMap((id) => Array.from({ length: 4 }, () => note({ parent_id: id }))),
      // Threads archived while replies to them arrive.
      ...roots.slice(8).flatMap((id) => [ctx.as(artist).delete(`/annotations/${id}`), note({ parent_id: id }), note({ parent_id: id })]),
      ...Array.from({ length: 10 }, (_, i) => note({ frame_number: 100 + i })),
    ];
    const statuses = (await Promise.all(storm)).map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);

    const count = async (filters: [string, '==' | '!=', unknown][]) => {
      let q = ctx.db.collection('annotations').where('media_id', '==', media);
      for (const [field, op, value] of filters) q = q.where(field, op, value);
      return (await q.count().get()).data().count;
    };
    const recount = { total: await count([['status', '!=', 'archived']]), open: await count([['parent_id', '==', null], ['status', '==', 'active']]) };
    const counters = (await ctx.as(artist).get(`/media/${media}`).expect(200)).body as { open_annotations: number; total_annotations: number };
    expect({ open: counters.open_annotations, total: counters.total_annotations }).toEqual(recount);
    // 10 roots + 12 replies + up to 4 replies that raced the archiving + 10 new roots, less what was archived.
    expect(recount.total).toBeGreaterThanOrEqual(30);
  });
});
