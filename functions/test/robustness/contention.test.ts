// Writes that race other writes. Through the API, 50 writers at once on one hot document: the
// annotation counters of one media, and one task PATCHed with and without If-Match. Whatever the
// database does under contention, no caller gets a 5xx; a write either lands whole and stays
// visible, or is refused whole with 409 (Retry-After) or 412, and the counters equal a recount.
// Then the shared helper (src/lib/transaction.ts) on its own, for the outcomes a burst may not hit.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Response } from 'supertest';
import { ApiError } from '../../src/http/errors.js';
import { retryLaterError, retryStale, runTransaction } from '../../src/lib/transaction.js';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';
import { TINY_PNG } from './world.js';

const ctx = createTestContext('contention', { rateLimitPerMinute: 1_000_000 });
const WRITERS = 50;
let producer: TestUser;
let artists: TestUser[];


/** Artists take turns, so the writers are several users as in a review session. */
const artist = (i: number) => ctx.as(artists[i % artists.length]!);

/** True for a 2xx; otherwise asserts the refusal is one a client can act on: 412, or 409 with Retry-After. */
function landed(res: Response, refusals: readonly number[]): boolean {
  if (res.status < 300) return true;
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
  expect(refusals).toContain(res.status);
  if (res.status === 412) {
    expectEnvelope(res.body, 'PRECONDITION_FAILED');
  } else {
    const error = expectEnvelope(res.body, 'CONFLICT');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(error.details).toEqual({ retry_after_seconds: Number(res.headers['retry-after']) });
  }
  return false;
}

beforeAll(async () => {
  [producer, ...artists] = await Promise.all([ctx.createUser({ admin: true, name: 'producer' }), ...['artist', 'animator', 'compositor'].map((name) => ctx.createUser({ name }))]);
  await ctx.as(producer).post('/projects', { id: 'HOT', name: 'Hot documents' }).expect(201);
  await ctx.as(producer).post('/projects/HOT/users', artists.map((a) => ({ user_id: a.uid, permissions: ['write'] }))).expect(200);
});

async function createTask(shot: string): Promise<string> {
  return (await ctx.as(producer).post('/tasks', { project_id: 'HOT', episode: 'ep01', sequence: 'sq0010', shot, task: 'comp' }).expect(201)).body.id as string;
}

describe(`${WRITERS} concurrent writers on one media's annotations`, () => {
  it('answer no 5xx; every accepted change is visible, every refused one absent, and the counters equal a recount', async () => {
    const task = await createTask('sh0010');
    const media = (await ctx.http().post('/api/v1/media').set('Authorization', producer.bearer).field('task_id', task).attach('file', TINY_PNG, 'dailies.png').expect(201)).body.id as string;
    const note = (i: number, body: Record<string, unknown> = {}) => artist(i).post('/annotations', { media_id: media, annotation_type: 'note', content: `note ${i}`, ...body });

    // Threads in four roles: to reply to, to resolve, to reopen (resolved now), to archive (each with a reply).
    const roots = (await Promise.all(Array.from({ length: 36 }, (_, i) => note(i, { frame_number: i }).expect(201)))).map((r) => r.body.id as string);
    const [replyTo, toResolve, toReopen, toArchive] = [roots.slice(0, 10), roots.slice(10, 20), roots.slice(20, 28), roots.slice(28, 36)];
    await Promise.all([...toReopen.map((id, i) => artist(i).post(`/annotations/${id}/resolve`).expect(200)), ...toArchive.map((id, i) => note(i, { parent_id: id }).expect(201))]);

    // Every call is valid in any order, so a refusal can only be the race itself.
    const storm = [
      ...Array.from({ length: 14 }, (_, i) => ({ kind: 'create', target: null, call: note(i, { frame_number: 100 + i }) })),
      ...replyTo.map((id, i) => ({ kind: 'reply', target: id, call: note(i, { parent_id: id }) })),
      ...toResolve.map((id, i) => ({ kind: 'resolve', target: id, call: artist(i).post(`/annotations/${id}/resolve`) })),
      ...toReopen.map((id, i) => ({ kind: 'reopen', target: id, call: artist(i).post(`/annotations/${id}/reopen`) })),
      ...toArchive.map((id) => ({ kind: 'archive', target: id, call: ctx.as(producer).delete(`/annotations/${id}`) })),
    ];
    expect(storm).toHaveLength(WRITERS);
    const results = await Promise.all(storm.map((s) => s.call));

    const stored = (await ctx.db.collection('annotations').where('media_id', '==', media).get()).docs;
    const byId = new Map(stored.map((d) => [d.id, d]));
    const repliesTo = (root: string) => stored.filter((d) => d.get('parent_id') === root);
    const status = (id: string) => byId.get(id)!.get('status') as string;
    for (const [i, { kind, target }] of storm.entries()) {
      const res = results[i]!;
      const ok = landed(res, [409]);
      if (kind === 'create') {
        if (ok) expect([status(res.body.id as string), byId.get(res.body.id as string)!.get('parent_id')]).toEqual(['active', null]);
      } else if (kind === 'reply') {
        if (ok) expect(byId.get(res.body.id as string)!.get('parent_id')).toBe(target);
        expect(repliesTo(target!)).toHaveLength(ok ? 1 : 0);
        expect(byId.get(target!)!.get('reply_count')).toBe(ok ? 1 : 0);
      } else if (kind === 'resolve') {
        expect(status(target!)).toBe(ok ? 'resolved' : 'active');
      } else if (kind === 'reopen') {
        expect(status(target!)).toBe(ok ? 'active' : 'resolved');
      } else {
        const expected = ok ? 'archived' : 'active';
        expect([status(target!), ...repliesTo(target!).map((r) => r.get('status'))]).toEqual([expected, expected]);
      }
    }
    const created = storm.filter((s, i) => s.kind === 'create' && results[i]!.status === 201).length;
    const replied = storm.filter((s, i) => s.kind === 'reply' && results[i]!.status === 201).length;
    expect(stored).toHaveLength(36 + 8 + created + replied);

    const recount = {
      open: stored.filter((d) => d.get('parent_id') === null && d.get('status') === 'active').length,
      total: stored.filter((d) => d.get('status') !== 'archived').length,
    };
    const counters = (await artist(0).get(`/media/${media}`).expect(200)).body as { open_annotations: number; total_annotations: number };
    expect({ open: counters.open_annotations, total: counters.total_annotations }).toEqual(recount);
  });
});

describe(`${WRITERS} concurrent PATCHes of one task`, () => {
  it('half with the same If-Match, half without: no 5xx; each accepted field is visible, each refused one unchanged', async () => {
    const task = await createTask('sh0020');
    const slot = (i: number) => `slot_${String(i).padStart(2, '0')}`;
    await artist(0).post(`/tasks/${task}/add-field`, Object.fromEntries(Array.from({ length: WRITERS }, (_, i) => [slot(i), 'initial']))).expect(200);
    const etag = (await artist(0).get(`/tasks/${task}`).expect(200)).headers.etag as string;

    const withIfMatch = (i: number) => i % 2 === 0;
    const results = await Promise.all(Array.from({ length: WRITERS }, (_, i) => artist(i).patch(`/tasks/${task}`, { [slot(i)]: `client ${i}` }, withIfMatch(i) ? etag : undefined)));

    const after = (await artist(0).get(`/tasks/${task}`).expect(200)).body as Record<string, unknown>;
    for (const [i, res] of results.entries()) {
      const ok = landed(res, withIfMatch(i) ? [412] : [409]);
      expect(after[slot(i)], `${slot(i)}: ${res.status}`).toBe(ok ? `client ${i}` : 'initial');
    }
    // All If-Match writers hold the same version: at most one of them can have been first to change it.
    expect(results.filter((r, i) => withIfMatch(i) && r.status === 200).length).toBeLessThanOrEqual(1);
  });
});

describe('the shared contention helper', () => {
  it('runs a transaction again when the emulator closed it mid-read (INVALID_ARGUMENT), and commits it once', async () => {
    const ref = ctx.db.collection('contention').doc('closed');
    let attempts = 0;
    await runTransaction(ctx.db, 'Counter', async (tx) => {
      const snap = await tx.get(ref);
      // What the emulator answers a read of a transaction it closed while the read waited for locks.
      if (++attempts === 1) throw Object.assign(new Error('3 INVALID_ARGUMENT: Transaction is invalid or closed.'), { code: 3, details: 'Transaction is invalid or closed.' });
      tx.set(ref, { n: ((snap.get('n') as number | undefined) ?? 0) + 1 });
    });
    expect(attempts).toBe(2);
    expect((await ref.get()).get('n')).toBe(1);
  });

  it('answers a write that keeps losing with 409 and Retry-After, and writes nothing of it', async () => {
    const ref = ctx.db.collection('contention').doc('stale');
    await ref.set({ n: 0, mine: false });
    let attempts = 0;
    const refusal = await retryStale('Counter', async () => {
      attempts++;
      const snap = await ref.get();
      await ref.update({ n: (snap.get('n') as number) + 1 }); // another writer gets there first
      await ref.update({ mine: true }, { lastUpdateTime: snap.updateTime! });
    }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({ code: 'CONFLICT', status: 409, retryAfterSeconds: 1, details: { retry_after_seconds: 1 } });
    expect((await ref.get()).data()).toEqual({ n: attempts, mine: false });
  });

  it('maps Firestore failures a retry may cure to 409 or 503 with Retry-After, and leaves the rest alone', () => {
    expect(retryLaterError({ code: 10, details: 'Transaction lock timeout.' }, 'Media m1')).toMatchObject({ code: 'CONFLICT', retryAfterSeconds: 1, message: expect.stringMatching(/^Media m1 /) });
    for (const code of [4, 8, 14]) expect(retryLaterError({ code }, 'Media m1')).toMatchObject({ code: 'UNAVAILABLE', status: 503, retryAfterSeconds: 5 });
    for (const err of [{ code: 3, details: 'Invalid field path' }, { code: 5 }, new ApiError('CONFLICT', 'Task exists'), new Error('boom'), null]) {
      expect(retryLaterError(err, 'Media m1')).toBeUndefined();
    }
  });
});
