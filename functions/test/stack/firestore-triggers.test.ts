// The offline stack's Firestore trigger delivery (stack/triggers), against a real Firestore
// stand-in and a stand-in Functions emulator that answers like firebase-tools' (GET /backends, POST
// /functions/projects/{p}/triggers/{key}) and runs real firebase-functions v2 handlers on the
// CloudEvents it gets. The served stack's end-to-end test covers the real Functions emulator.
import { once } from 'node:events';
import http from 'node:http';
import { initializeApp } from 'firebase-admin/app';
import { FieldValue, getFirestore, type DocumentSnapshot, type Firestore, type Timestamp } from 'firebase-admin/firestore';
import { onDocumentCreated, onDocumentDeleted, onDocumentUpdated, onDocumentWritten } from 'firebase-functions/v2/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFirestoreStandIn, type FirestoreStandIn } from '../../../stack/firestore.mjs';
import { freePort } from '../../../stack/ports.mjs';
import { startFirestoreTriggers, type FirestoreTriggerDispatcher } from '../../../stack/triggers/firestore-dispatcher.mjs';
import { matchesPathPattern, triggerMatches, updatedFieldPaths } from '../../../stack/triggers/firestore-events.mjs';
import type { DocumentChangeEvent } from '../../../stack/firestore.d.mts';
import type { EmulatedTrigger } from '../../../stack/triggers/firestore-events.d.mts';

const PROJECT = 'demo-triggers';

interface Received {
  fn: string;
  id: string;
  time: string;
  document: string;
  params: Record<string, string>;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

const dataOf = (snap: DocumentSnapshot | undefined) => (snap?.exists ? (snap.data() as Record<string, unknown>) : null);

/** A stand-in for firebase-tools' Functions emulator: its trigger list, its trigger route, its runtime's answers. */
async function fakeFunctionsEmulator(port: number) {
  const received: Received[] = [];
  const posts: { key: string; id: string }[] = [];
  // Written and updated handlers get a Change; created ones the new snapshot, deleted ones the old.
  const record = (fn: string, single: 'before' | 'after' = 'after') => (event: { id: string; time: string; document: string; params: Record<string, string>; data?: unknown }) => {
    const data = event.data as { before?: DocumentSnapshot; after?: DocumentSnapshot } | DocumentSnapshot | undefined;
    const change = data && 'before' in data ? data : { [single]: data as DocumentSnapshot | undefined };
    received.push({ fn, id: event.id, time: event.time, document: event.document, params: event.params, before: dataOf(change.before), after: dataOf(change.after) });
  };
  const functions: Record<string, object> = {
    taskWritten: onDocumentWritten('tasks/{taskId}', record('taskWritten')),
    taskCreated: onDocumentCreated('tasks/{taskId}', record('taskCreated')),
    taskUpdated: onDocumentUpdated('tasks/{taskId}', record('taskUpdated')),
    taskDeleted: onDocumentDeleted('tasks/{taskId}', record('taskDeleted', 'before')),
    memberWritten: onDocumentWritten('projects/{projectId}/members/{uid}', record('memberWritten')),
    anyNote: onDocumentWritten('notes/{path=**}', record('anyNote')),
    failing: onDocumentWritten('fragile/{id}', (event) => {
      if ((event.data?.after.get('n') as number) === 1) throw new Error('boom');
      record('failing')(event);
    }),
  };
  const state = {
    generation: 0,
    delayMs: (_event: { document: string }) => 0,
    /** Answers the next POSTs by dropping the connection, as a dying worker does. */
    dropNext: 0,
    inFlight: 0,
    maxInFlight: 0,
  };
  const defs = () =>
    Object.entries(functions).map(([name, fn]) => {
      const endpoint = (fn as { __endpoint: { eventTrigger: Record<string, unknown> } }).__endpoint;
      const { eventType, eventFilters, eventFilterPathPatterns } = endpoint.eventTrigger;
      return { id: `us-central1-${name}`, entryPoint: name, platform: 'gcfv2', eventTrigger: { eventType, eventFilters, eventFilterPathPatterns } };
    });

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'GET' && req.url === '/backends') {
      res.setHeader('content-type', 'application/json').end(JSON.stringify({ backends: [{ functionTriggers: defs() }] }));
      return;
    }
    const m = /^\/functions\/projects\/([^/]+)\/triggers\/(.+)$/.exec(req.url ?? '');
    const keys = defs().map((d) => `${d.id}-${state.generation}`);
    if (req.method !== 'POST' || !m || m[1] !== PROJECT || !keys.includes(m[2]!)) {
      res.statusCode = 404;
      res.end(`Function ${m?.[2]} does not exist, valid functions are: ${keys.join(', ')}`);
      return;
    }
    const event = JSON.parse(Buffer.concat(chunks).toString()) as { id: string; document: string };
    posts.push({ key: m[2]!, id: event.id });
    if (state.dropNext > 0) {
      state.dropNext--;
      req.socket.destroy();
      return;
    }
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      await new Promise((r) => setTimeout(r, state.delayMs(event)));
      const name = m[2]!.replace(/^us-central1-/, '').replace(/-\d+$/, '');
      // As the emulator's runtime does: the exported function called with the parsed CloudEvent.
      await (functions[name] as (event: unknown) => unknown)(event);
      res.end(JSON.stringify({ status: 'acknowledged' }));
    } catch (err) {
      res.statusCode = 500;
      res.end((err as Error).message);
    } finally {
      state.inFlight--;
    }
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return { received, posts, state, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let standIn: FirestoreStandIn;
let emulator: Awaited<ReturnType<typeof fakeFunctionsEmulator>>;
let dispatcher: FirestoreTriggerDispatcher;
let functionsPort: number;
const logged: string[] = [];
const savedHost = process.env.FIRESTORE_EMULATOR_HOST;
let db: Firestore;

beforeAll(async () => {
  standIn = await startFirestoreStandIn({ port: await freePort() });
  // This file's clients talk to its own stand-in, whose changes it observes.
  process.env.FIRESTORE_EMULATOR_HOST = standIn.host;
  db = getFirestore(initializeApp({ projectId: PROJECT }, 'firestore-triggers'));
  functionsPort = await freePort();
  emulator = await fakeFunctionsEmulator(functionsPort);
  dispatcher = startFirestoreTriggers({
    functionsUrl: `http://127.0.0.1:${functionsPort}`,
    projectId: PROJECT,
    subscribe: (listener) => standIn.onDocumentChange(listener),
    maxInFlightPerTrigger: 2,
    log: { warn: (...args: unknown[]) => logged.push(args.join(' ')), error: (...args: unknown[]) => logged.push(args.join(' ')) },
  });
});

afterAll(async () => {
  dispatcher.stop();
  await emulator.close();
  await standIn.stop();
  process.env.FIRESTORE_EMULATOR_HOST = savedHost;
});

const forDoc = (document: string, fn?: string) => emulator.received.filter((r) => r.document === document && (!fn || r.fn === fn));

describe('Firestore triggers offline', () => {
  it('a create, an update and a delete reach the matching triggers with before/after snapshots, params and one id per change', async () => {
    const ref = db.doc('tasks/t-crud');
    await ref.set({ status: 'not_started', n: 1 });
    await ref.update({ status: 'in_progress' });
    await ref.delete();
    await dispatcher.idle();

    const written = forDoc('tasks/t-crud', 'taskWritten');
    expect(written.map((r) => [r.before, r.after])).toEqual([
      [null, { status: 'not_started', n: 1 }],
      [{ status: 'not_started', n: 1 }, { status: 'in_progress', n: 1 }],
      [{ status: 'in_progress', n: 1 }, null],
    ]);
    expect(written.every((r) => r.params.taskId === 't-crud')).toBe(true);
    expect(forDoc('tasks/t-crud', 'taskCreated').map((r) => r.after)).toEqual([{ status: 'not_started', n: 1 }]);
    expect(forDoc('tasks/t-crud', 'taskUpdated').map((r) => [r.before?.status, r.after?.status])).toEqual([['not_started', 'in_progress']]);
    expect(forDoc('tasks/t-crud', 'taskDeleted').map((r) => r.before)).toEqual([{ status: 'in_progress', n: 1 }]);

    // Every trigger of one change gets the same id; each change has its own.
    const ids = written.map((r) => r.id);
    expect(new Set(ids).size).toBe(3);
    expect(forDoc('tasks/t-crud', 'taskCreated')[0]!.id).toBe(ids[0]);
    expect(forDoc('tasks/t-crud', 'taskUpdated')[0]!.id).toBe(ids[1]);
    expect(forDoc('tasks/t-crud', 'taskDeleted')[0]!.id).toBe(ids[2]);
    // The event time is the commit time: ordered like the writes.
    expect([...written.map((r) => r.time)].sort()).toEqual(written.map((r) => r.time));
  });

  it('delivers server timestamps, nested paths and multi-segment wildcards', async () => {
    await db.doc('projects/P1/members/u1').set({ permissions: ['read'], added_at: FieldValue.serverTimestamp() });
    await db.doc('notes/a/b/c').set({ text: 'deep' });
    await db.doc('elsewhere/x').set({ text: 'no trigger' });
    await dispatcher.idle();

    const [member] = forDoc('projects/P1/members/u1', 'memberWritten');
    expect(member!.params).toEqual({ projectId: 'P1', uid: 'u1' });
    expect(member!.after!.permissions).toEqual(['read']);
    expect((member!.after!.added_at as Timestamp).toMillis()).toBeGreaterThan(Date.now() - 60_000);
    expect(forDoc('notes/a/b/c', 'anyNote').map((r) => r.params)).toEqual([{ path: 'a/b/c' }]);
    expect(forDoc('elsewhere/x')).toEqual([]);
  });

  it('keeps commit order per document while documents are delivered side by side, a few at a time', async () => {
    emulator.state.maxInFlight = 0;
    // Later events answer faster: only the dispatcher's ordering keeps them in line.
    emulator.state.delayMs = () => 5 + Math.floor(Math.random() * 25);
    const docs = ['o1', 'o2', 'o3', 'o4'];
    for (let n = 1; n <= 4; n++) for (const id of docs) await db.doc(`tasks/${id}`).set({ n });
    await dispatcher.idle();
    emulator.state.delayMs = () => 0;

    for (const id of docs) expect(forDoc(`tasks/${id}`, 'taskWritten').map((r) => r.after!.n)).toEqual([1, 2, 3, 4]);
    // maxInFlightPerTrigger is 2; the created/updated triggers run beside the written one.
    expect(emulator.state.maxInFlight).toBeLessThanOrEqual(2 * 3);
    expect(emulator.state.maxInFlight).toBeGreaterThan(1);
  });

  it('by default gives each trigger every change in commit order, across documents', async () => {
    const port = await freePort();
    const ordered = await fakeFunctionsEmulator(port);
    ordered.state.delayMs = () => 5 + Math.floor(Math.random() * 15);
    const serial = startFirestoreTriggers({ functionsUrl: `http://127.0.0.1:${port}`, projectId: PROJECT, subscribe: (l) => standIn.onDocumentChange(l) });
    const writes = ['s1', 's2', 's3', 's1', 's3', 's2', 's1'].map((id, n) => ({ id, n }));
    for (const { id, n } of writes) await db.doc(`tasks/${id}`).set({ n });
    await serial.idle();
    serial.stop();
    await ordered.close();

    const seen = ordered.received.filter((r) => r.fn === 'taskWritten').map((r) => `${r.document} ${r.after!.n}`);
    expect(seen).toEqual(writes.map(({ id, n }) => `tasks/${id} ${n}`));
    // One call per trigger at a time: the written, created and updated triggers at most.
    expect(ordered.state.maxInFlight).toBeLessThanOrEqual(3);
  });

  it('logs a handler that throws, does not retry it, and goes on with the next change', async () => {
    await db.doc('fragile/f1').set({ n: 1 });
    await db.doc('fragile/f1').set({ n: 2 });
    await dispatcher.idle();

    const failed = emulator.posts.filter((p) => p.key === 'us-central1-failing-0');
    expect(failed.length).toBe(2);
    expect(forDoc('fragile/f1', 'failing').map((r) => r.after)).toEqual([{ n: 2 }]);
    expect(logged.filter((l) => l.includes('failing'))).toEqual([`[triggers] failing (written fragile/f1, event ${failed[0]!.id}) failed: boom`]);
    expect(dispatcher.stats().failed).toBe(1);
  });

  it('sends an event the emulator did not take again, with the same id', async () => {
    emulator.state.dropNext = 1;
    await db.doc('projects/P2/members/u2').set({ permissions: ['read'] });
    await dispatcher.idle();

    const posts = emulator.posts.filter((p) => p.key === 'us-central1-memberWritten-0').slice(-2);
    expect(posts.length).toBe(2);
    expect(posts[1]!.id).toBe(posts[0]!.id);
    expect(forDoc('projects/P2/members/u2').map((r) => r.id)).toEqual([posts[0]!.id]);
  });

  it('follows the emulator when it files its triggers under a new generation', async () => {
    emulator.state.generation = 1;
    await db.doc('tasks/t-gen').set({ n: 1 });
    await dispatcher.idle();
    emulator.state.generation = 0;

    expect(forDoc('tasks/t-gen', 'taskWritten').map((r) => r.after)).toEqual([{ n: 1 }]);
    expect(emulator.posts.some((p) => p.key === 'us-central1-taskWritten-1')).toBe(true);
  });

  it('holds changes while the Functions emulator is not answering, then delivers them', async () => {
    const port = await freePort();
    const late = startFirestoreTriggers({ functionsUrl: `http://127.0.0.1:${port}`, projectId: PROJECT, subscribe: (l) => standIn.onDocumentChange(l), log: { warn: () => {}, error: () => {} } });
    await db.doc('tasks/t-late').set({ n: 1 });
    await new Promise((r) => setTimeout(r, 400));
    const second = await fakeFunctionsEmulator(port);
    await late.idle();
    late.stop();
    await second.close();

    expect(second.received.filter((r) => r.document === 'tasks/t-late').map((r) => r.fn).sort()).toEqual(['taskCreated', 'taskWritten']);
  });

  it('fires nothing for another project', async () => {
    const other = getFirestore(initializeApp({ projectId: 'demo-other' }, 'firestore-triggers-other'));
    await other.doc('tasks/t-other').set({ n: 1 });
    await dispatcher.idle();

    expect(forDoc('tasks/t-other')).toEqual([]);
  });
});

describe('trigger matching', () => {
  const change = (path: string, before: boolean, after: boolean, databaseId = '(default)'): DocumentChangeEvent => {
    const doc = { name: `projects/p/databases/${databaseId}/documents/${path}`, fields: {}, createTime: '2026-01-01T00:00:00.000000Z', updateTime: '2026-01-01T00:00:00.000000Z' };
    return { path, name: doc.name, projectId: 'p', databaseId, before: before ? doc : null, after: after ? doc : null, updateTime: doc.updateTime, commitTime: doc.updateTime };
  };
  const trigger = (eventType: string, document: string, exact = false, database = '(default)'): EmulatedTrigger => ({
    id: 'us-central1-t',
    platform: 'gcfv2',
    eventTrigger: {
      eventType: `google.cloud.firestore.document.v1.${eventType}`,
      eventFilters: { database, namespace: '(default)', ...(exact ? { document } : {}) },
      eventFilterPathPatterns: exact ? {} : { document },
    },
  });

  it('matches path patterns segment by segment', () => {
    expect(matchesPathPattern('tasks/{taskId}', 'tasks/t1')).toBe(true);
    expect(matchesPathPattern('tasks/{taskId}', 'tasks/t1/notes/n1')).toBe(false);
    expect(matchesPathPattern('tasks/{taskId}', 'projects/t1')).toBe(false);
    expect(matchesPathPattern('projects/{p}/members/{uid}', 'projects/P/members/u')).toBe(true);
    expect(matchesPathPattern('projects/*/members/*', 'projects/P/members/u')).toBe(true);
    expect(matchesPathPattern('notes/{rest=**}', 'notes/a/b/c')).toBe(true);
    expect(matchesPathPattern('{all=**}/comments/{id}', 'a/b/comments/c')).toBe(true);
    expect(matchesPathPattern('notes/{rest=**}', 'tasks/a')).toBe(false);
  });

  it('matches the event type to the kind of change, and the database and exact document filters', () => {
    expect(triggerMatches(trigger('created', 'tasks/{id}'), change('tasks/a', false, true))).toBe(true);
    expect(triggerMatches(trigger('created', 'tasks/{id}'), change('tasks/a', true, true))).toBe(false);
    expect(triggerMatches(trigger('updated.withAuthContext', 'tasks/{id}'), change('tasks/a', true, true))).toBe(true);
    expect(triggerMatches(trigger('deleted', 'tasks/{id}'), change('tasks/a', true, false))).toBe(true);
    expect(triggerMatches(trigger('written', 'tasks/{id}'), change('tasks/a', true, false))).toBe(true);
    expect(triggerMatches(trigger('written', 'tasks/{id}'), change('tasks/a', true, true, 'other-db'))).toBe(false);
    expect(triggerMatches(trigger('written', 'tasks/{id}', false, 'other-db'), change('tasks/a', true, true, 'other-db'))).toBe(true);
    expect(triggerMatches(trigger('written', 'tasks/a', true), change('tasks/a', false, true))).toBe(true);
    expect(triggerMatches(trigger('written', 'tasks/a', true), change('tasks/b', false, true))).toBe(false);
  });

  it('lists the changed field paths of an update, inside maps too', () => {
    const before = { a: { stringValue: 'x' }, m: { mapValue: { fields: { k: { integerValue: '1' }, same: { booleanValue: true } } } }, gone: { nullValue: null } };
    const after = { a: { stringValue: 'x' }, m: { mapValue: { fields: { k: { integerValue: '2' }, same: { booleanValue: true } } } }, 'new field': { stringValue: 'y' } };
    expect(updatedFieldPaths(before, after)).toEqual(['`new field`', 'gone', 'm.k']);
  });
});
