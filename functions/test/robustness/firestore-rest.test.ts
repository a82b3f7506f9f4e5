// The importer's REST commit (lib/firestore-rest.ts) against the Firestore emulator: it must store
// exactly what the Firestore client stores, be atomic, refuse what it cannot encode before sending,
// and retry what Firestore asks clients to retry (failures injected by a real HTTP proxy).
import { FieldValue, GeoPoint, Timestamp } from 'firebase-admin/firestore';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../../src/lib/firestore-errors.js';
import { commitCreates, FirestoreRestError } from '../../src/lib/firestore-rest.js';
import { DEFAULT_TASK_CONFIG } from '../../src/tasks/project-config.js';
import { newTaskDefaults, type TaskRecord } from '../../src/tasks/record.js';
import { storedNewTask } from '../../src/tasks/store.js';
import { createTestContext } from '../support/context.js';
import { throughFirestoreProxy } from '../support/firestore-proxy.js';

const ctx = createTestContext('firestore-rest');
const doc = (path: string) => ctx.db.doc(path);
const commits = (seen: { path: string }[]) => seen.filter((r) => r.path.endsWith('/documents:commit')).length;

const zoo = {
  text: 'Ép01 — "quoted" \\ back\nline 🎬',
  empty: '',
  int: 42,
  negative: -7,
  big: 2 ** 53 + 2,
  float: 23.976,
  negativeZero: -0,
  notANumber: NaN,
  infinite: -Infinity,
  yes: true,
  nothing: null,
  list: ['a', 1, null, { nested: [true] }],
  emptyList: [],
  map: { 'Frame In': 1001, 'dotted.key': 'x', '`tick`': 'y', deep: { deeper: { deepest: 'z' } } },
  emptyMap: {},
  when: Timestamp.fromMillis(1_767_225_600_123),
  precise: new Timestamp(1_767_225_600, 123_456_789),
  early: new Timestamp(-86_400, 5),
  date: new Date('2026-03-01T12:00:00.456Z'),
  skipped: undefined,
  created_at: FieldValue.serverTimestamp(),
};

describe('REST commits of creates', () => {
  it('stores a task and every kind of value exactly as the Firestore client does, server times included', async () => {
    const record: TaskRecord = {
      ...newTaskDefaults(DEFAULT_TASK_CONFIG),
      ...{ id: 'ep01_sq0010_sh0010_comp', project: 'REST', project_id: 'REST', episode: 'ep01', sequence: 'sq0010', shot: 'sh0010', task: 'comp', name: 'sh0010 comp', description: 'Grade the plate' },
      ...{ frame_range: { start: 1001, end: 1100 }, deadline: '2026-03-01', versions: ['v001'], filename: 'ep01_sq0010_sh0010_comp', sequence_clean: '0010', shot_clean: '0010', episode_clean: '01', client_submission_history: [] },
    };
    const task = storedNewTask(record, DEFAULT_TASK_CONFIG, 'uid-1', 'bulk-1');
    const before = Date.now();
    for (const [name, data] of Object.entries({ task, zoo })) {
      await doc(`rest_client/${name}`).create(data);
      await commitCreates(ctx.db, [{ path: `rest_plain/${name}`, data }]);
      const [client, plain] = [(await doc(`rest_client/${name}`).get()).data()!, (await doc(`rest_plain/${name}`).get()).data()!];
      const times = Object.keys(client).filter((k) => client[k] instanceof Timestamp && data[k as keyof typeof data] instanceof FieldValue);
      expect(times.length).toBeGreaterThan(0);
      for (const k of times) expect((plain[k] as Timestamp).toMillis()).toBeGreaterThanOrEqual(before - 1000);
      const withoutTimes = (d: Record<string, unknown>) => Object.fromEntries(Object.entries(d).filter(([k]) => !times.includes(k)));
      // The one documented difference: JSON cannot carry -0, so it is stored as 0.
      if (name === 'zoo') expect([client.negativeZero, plain.negativeZero]).toEqual([-0, 0]);
      expect({ ...withoutTimes(plain), negativeZero: null }).toEqual({ ...withoutTimes(client), negativeZero: null });
    }
  });

  it('writes all of a commit or none: one existing document fails it with ALREADY_EXISTS', async () => {
    await doc('rest_atomic/b').create({ by: 'someone else' });
    const err = await commitCreates(ctx.db, ['a', 'b', 'c'].map((id) => ({ path: `rest_atomic/${id}`, data: { id } }))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirestoreRestError);
    expect(hasCode(err, 'ALREADY_EXISTS')).toBe(true);
    expect((await doc('rest_atomic/a').get()).exists).toBe(false);
    expect((await doc('rest_atomic/c').get()).exists).toBe(false);
    expect((await doc('rest_atomic/b').get()).data()).toEqual({ by: 'someone else' });
  });

  it('refuses values it cannot encode, naming the field, before sending anything', async () => {
    const refused = [
      [{ count: FieldValue.increment(1) }, 'count'],
      [{ at: new GeoPoint(1, 2) }, 'at'],
      [{ meta: { raw: Buffer.from('x') } }, 'meta.raw'],
      [{ meta: { at: FieldValue.serverTimestamp() } }, 'meta.at'],
      [{ list: [1, new Map()] }, 'list[1]'],
      [{ list: [[1]] }, 'list[0]'],
    ] as const;
    await throughFirestoreProxy(
      () => undefined,
      async (seen) => {
        for (const [data, field] of refused) {
          await expect(commitCreates(ctx.db, [{ path: 'rest_refused/x', data: { ok: 1 } }, { path: 'rest_refused/y', data }])).rejects.toThrow(new RegExp(`Cannot write ${field.replace(/[.[\]]/g, '\\$&')} through the REST commit`));
        }
        expect(commits(seen)).toBe(0);
      },
    );
    expect((await doc('rest_refused/x').get()).exists).toBe(false);
  });

  it('retries what Firestore asks clients to retry, and writes once', async () => {
    const answers = [{ status: 503, grpcStatus: 'UNAVAILABLE' }, { status: 409, grpcStatus: 'ABORTED' }, { status: 429, message: 'Too many requests' }];
    await throughFirestoreProxy(
      (req) => (req.path.endsWith(':commit') ? answers.shift() : undefined),
      async (seen) => {
        await commitCreates(ctx.db, [{ path: 'rest_retried/a', data: { n: 1 } }]);
        expect(commits(seen)).toBe(4);
      },
    );
    expect((await doc('rest_retried/a').get()).data()).toEqual({ n: 1 });
  });

  it('a commit whose answer was lost counts as written when its retry finds exactly its documents', async () => {
    let lost = false;
    const data = { n: 1, when: new Date('2026-03-01T12:00:00.456Z'), deep: { list: [1, 'a'], skipped: undefined }, created_at: FieldValue.serverTimestamp() };
    await throughFirestoreProxy(
      (req) => (req.path.endsWith(':commit') && !lost ? ((lost = true), { loseAnswer: true }) : undefined),
      async (seen) => {
        await commitCreates(ctx.db, [{ path: 'rest_lost/a', data }, { path: 'rest_lost/b', data: { n: 2 } }]);
        expect(commits(seen)).toBe(2);
      },
    );
    const [a, b] = await ctx.db.getAll(doc('rest_lost/a'), doc('rest_lost/b'));
    expect(a!.get('n')).toBe(1);
    expect(a!.get('deep')).toEqual({ list: [1, 'a'] });
    expect(b!.get('n')).toBe(2);
    expect(a!.updateTime!.isEqual(b!.updateTime!)).toBe(true);
  });

  it('after a lost answer, still fails on documents another writer made, even identical ones', async () => {
    // Another writer made b with other fields, and c and d as this commit would, but in two commits.
    await doc('rest_taken/b').set({ n: 'theirs' });
    await doc('rest_taken/c').set({ n: 3 });
    await doc('rest_taken/d').set({ n: 4 });
    for (const creates of [
      [{ path: 'rest_taken/a', data: { n: 1 } }, { path: 'rest_taken/b', data: { n: 2 } }],
      [{ path: 'rest_taken/c', data: { n: 3 } }, { path: 'rest_taken/d', data: { n: 4 } }],
    ]) {
      let failed = false;
      await throughFirestoreProxy(
        (req) => (req.path.endsWith(':commit') && !failed ? ((failed = true), { status: 503, grpcStatus: 'UNAVAILABLE' }) : undefined),
        async (seen) => {
          const err = await commitCreates(ctx.db, creates).catch((e: unknown) => e);
          expect(hasCode(err, 'ALREADY_EXISTS')).toBe(true);
          expect(commits(seen)).toBe(2);
        },
      );
    }
    expect((await doc('rest_taken/a').get()).exists).toBe(false);
    expect((await doc('rest_taken/b').get()).data()).toEqual({ n: 'theirs' });
  });

  it('gives up after five attempts, and does not retry a refusal', async () => {
    await throughFirestoreProxy(
      (req) => (req.path.endsWith(':commit') ? { status: 503, grpcStatus: 'UNAVAILABLE', message: 'backend down' } : undefined),
      async (seen) => {
        const err = await commitCreates(ctx.db, [{ path: 'rest_down/a', data: { n: 1 } }]).catch((e: unknown) => e);
        expect(err).toMatchObject({ message: 'backend down', httpStatus: 503 });
        expect(hasCode(err, 'UNAVAILABLE')).toBe(true);
        expect(commits(seen)).toBe(5);
      },
    );
    await throughFirestoreProxy(
      (req) => (req.path.endsWith(':commit') ? { status: 403, grpcStatus: 'PERMISSION_DENIED', message: 'Missing or insufficient permissions.' } : undefined),
      async (seen) => {
        const err = await commitCreates(ctx.db, [{ path: 'rest_down/a', data: { n: 1 } }]).catch((e: unknown) => e);
        expect(hasCode(err, 'PERMISSION_DENIED')).toBe(true);
        expect(commits(seen)).toBe(1);
      },
    );
    expect((await doc('rest_down/a').get()).exists).toBe(false);
  });
});
