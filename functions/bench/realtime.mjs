// The real-time path on the official Firestore emulator: what the audit and feed trigger handlers
// cost per task write, how long a published feed message takes to reach a web-SDK listener through
// the front-end helper (subscribe('/ws/tasks/SWA'), signed in, rules evaluated), and how fast the
// scheduled cleanup deletes old events. Each beside the bare client in the same run: the handlers'
// writes replayed (support/replay.mjs); a plain web-SDK onSnapshot on the same events, as the same
// user, receiving the same writes; the cleanup's queries and batches replayed on the same events.
//
// Run (from the repository root):
//   bash scripts/run.sh node --experimental-transform-types functions/bench/realtime.mjs [writes=200] [messages=100] [old events=5000]
// (The front-end helper is TypeScript in the client package, client/src/realtime.ts: Node 24 runs it
// with --experimental-transform-types, no build needed.)
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { initializeApp } from 'firebase-admin/app';
import { FieldValue, getFirestore, Timestamp } from 'firebase-admin/firestore';
import { describePlan, record, replay } from './support/replay.mjs';
import { int, median, ms, paired, quantile, ratio, startReport, timed } from './support/report.mjs';
import { startBenchStack } from './support/stack.mjs';

const WRITES = Number(process.argv[2] ?? 200);
const MESSAGES = Number(process.argv[3] ?? 100);
const OLD = Number(process.argv[4] ?? 5000);
const DATA_PROJECT = 'demo-bench-realtime';
const CLIENT_SRC = fileURLToPath(new URL('../../client/src/', import.meta.url));

const report = startReport('Real-time: triggers, listeners, cleanup', {
  command: `bash scripts/run.sh node --experimental-transform-types functions/bench/realtime.mjs ${WRITES} ${MESSAGES} ${OLD}`,
  about: `Handlers called directly with CloudEvent-shaped events for ${WRITES} task writes; ${MESSAGES} feed messages to two signed-in web-SDK clients; cleanup of ${int(OLD)} old events.`,
});
const stack = await startBenchStack({ name: 'realtime', projects: [DATA_PROJECT] });
try {
  await run();
} finally {
  await stack.stop();
}
report.finish({ stack: stack.firestore });
process.exit(0);

/**
 * A module of the firebase (web SDK) package that the client package resolves. npm workspaces give
 * the client the root's copy and functions/ its own; the helper only accepts app, auth and Firestore
 * instances of its copy, so the benchmark takes the same file from that copy.
 */
async function clientFirebase(subpath) {
  const own = fileURLToPath(import.meta.resolve(`firebase/${subpath}`));
  const marker = `${path.sep}node_modules${path.sep}firebase${path.sep}`;
  const inside = own.slice(own.lastIndexOf(marker) + marker.length);
  for (let dir = CLIENT_SRC; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const copy = path.join(dir, 'node_modules', 'firebase');
    if (existsSync(copy)) return import(pathToFileURL(path.join(copy, inside)).href);
  }
  throw new Error('the client package resolves no firebase package');
}

async function run() {
  // Loaded after the environment points at the stack.
  const { recordAuditEntry } = await import('../lib/audit/triggers.js');
  const { publishTaskWrite } = await import('../lib/realtime/triggers.js');
  const { deleteOldFeedEvents } = await import('../lib/realtime/cleanup.js');
  const { eventsCollection, feedEventDoc, writeFeedEvent } = await import('../lib/realtime/feed.js');
  const { subscribe } = await import(pathToFileURL(path.join(CLIENT_SRC, 'realtime.ts')).href);
  const { deleteApp, initializeApp: initializeWebApp } = await clientFirebase('app');
  const { connectAuthEmulator, getAuth: getWebAuth, inMemoryPersistence, setPersistence, signInWithEmailAndPassword, createUserWithEmailAndPassword } = await clientFirebase('auth');
  const { collection, connectFirestoreEmulator, getFirestore: getWebFirestore, onSnapshot, orderBy, query, terminate } = await clientFirebase('firestore');
  const db = getFirestore(initializeApp({ projectId: DATA_PROJECT }, 'bench'));
  db.settings({ ignoreUndefinedProperties: true });

  // 1. Trigger handlers per task write: the events first, then handler and bare replay in turn.
  const events = [];
  for (let i = 0; i <= WRITES + 1; i++) {
    const ref = db.doc(`tasks/ep00_sq0010_sh${String(i).padStart(4, '0')}_comp`);
    await ref.set({ project_id: 'SWA', status: 'not_started', artist: 'artist_0', frame_range: { start: 1001, end: 1100 }, updated_by: 'bench', updated_at: FieldValue.serverTimestamp() });
    const before = await ref.get();
    await ref.update({ status: 'in_progress', artist: `artist_${i % 7}`, frame_range: { start: 1001, end: 1100 + i }, updated_at: FieldValue.serverTimestamp() });
    const after = await ref.get();
    events.push({ id: randomUUID(), time: new Date().toISOString(), params: {}, data: { before, after } });
  }
  const recorded = { id: randomUUID(), time: new Date().toISOString(), params: {}, data: events[WRITES + 1].data };
  for (const [label, handler] of [
    ['audit entry per task write (recordAuditEntry)', recordAuditEntry],
    ['feed event per task write (publishTaskWrite)', publishTaskWrite],
  ]) {
    const { plan } = await record(db, () => handler(db, { ...recorded, id: randomUUID() }));
    const r = await paired(WRITES, (i) => handler(db, events[i]), () => replay(plan));
    report.row({
      figure: `${label}, p50 (p95)`,
      product: `${ms(r.p50)} (${ms(r.p95)})`,
      baseline: `${ms(r.bare50)} (${ms(r.bare95)}): bare client: ${describePlan(plan)}`,
      ratio: ratio(r.p50, r.bare50),
      note: 'One create per call; the emulator and production write a document alike (the emulator in memory, one replica)',
    });
  }

  // 2. Feed write → listeners: the helper and a plain onSnapshot, each in its own signed-in client.
  const email = `listener-${process.pid}@bench.test`;
  const apps = [];
  const webClient = async (create) => {
    const app = initializeWebApp({ projectId: DATA_PROJECT, apiKey: 'demo-api-key' }, `web-${apps.length}`);
    apps.push(app);
    const auth = getWebAuth(app);
    connectAuthEmulator(auth, `http://${process.env.FIREBASE_AUTH_EMULATOR_HOST}`, { disableWarnings: true });
    await setPersistence(auth, inMemoryPersistence);
    const { user } = await (create ? createUserWithEmailAndPassword : signInWithEmailAndPassword)(auth, email, 'bench-password');
    const web = getWebFirestore(app);
    const [host, port] = process.env.FIRESTORE_EMULATOR_HOST.split(':');
    connectFirestoreEmulator(web, host, Number(port));
    return { web, uid: user.uid };
  };
  const helperClient = await webClient(true);
  const bareClient = await webClient(false);
  await db.doc('projects/SWA').set({ name: 'SWA', status: 'active' });
  await db.doc(`projects/SWA/members/${helperClient.uid}`).set({ uid: helperClient.uid, project_id: 'SWA', permissions: ['read'] });

  const sentAt = new Map();
  const helperMs = [];
  const bareMs = [];
  let arrived;
  const allArrived = new Promise((resolve) => (arrived = resolve));
  const check = () => helperMs.length >= MESSAGES && bareMs.length >= MESSAGES && arrived();
  let helperReady;
  const helperIsReady = new Promise((resolve) => (helperReady = resolve));
  const stopHelper = subscribe(helperClient.web, '/ws/tasks/SWA', {
    onMessage: (m) => {
      if (sentAt.has(m.data.task_id)) helperMs.push(performance.now() - sentAt.get(m.data.task_id));
      check();
    },
    onError: (err) => console.error(`helper listener: ${err.message}`),
    onReady: helperReady,
  });
  let bareReady;
  const bareIsReady = new Promise((resolve) => (bareReady = resolve));
  const stopBare = onSnapshot(
    query(collection(bareClient.web, 'projects', 'SWA', 'events'), orderBy('created_at')),
    (snap) => {
      bareReady();
      for (const change of snap.docChanges()) {
        const taskId = change.doc.get('data.task_id');
        if (change.type === 'added' && sentAt.has(taskId)) bareMs.push(performance.now() - sentAt.get(taskId));
      }
      check();
    },
    (err) => console.error(`bare listener: ${err.message}`),
  );
  await Promise.all([helperIsReady, bareIsReady]);
  for (let i = 0; i < MESSAGES; i++) {
    const taskId = `latency_${i}`;
    sentAt.set(taskId, performance.now());
    await writeFeedEvent(db, 'SWA', feedEventDoc('task_updated', 'bench', { task_id: taskId, changes: { status: 'in_progress' } }));
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.race([allArrived, new Promise((r) => setTimeout(r, 30_000))]);
  stopHelper();
  stopBare();
  report.row({
    figure: 'feed write → listener callback, p50 (p95)',
    product: `${ms(median(helperMs))} (${ms(quantile(helperMs, 0.95))}), subscribe('/ws/tasks/SWA') onMessage; ${helperMs.length} of ${MESSAGES} arrived`,
    baseline: `${ms(median(bareMs))} (${ms(quantile(bareMs, 0.95))}): a bare web-SDK onSnapshot on the events, same user, same writes; ${bareMs.length} arrived`,
    ratio: ratio(median(helperMs), median(bareMs)),
    note: 'Rules evaluated by the emulator as in production (a membership get() per listen); the Node web SDK speaks gRPC, a browser WebChannel',
  });
  for (const c of [helperClient, bareClient]) await terminate(c.web);
  for (const app of apps) await deleteApp(app);

  // 3. Cleanup: the product deletes the old events; they are written again; the bare client replays its reads and writes.
  const old = Timestamp.fromMillis(Date.now() - 100 * 3_600_000);
  const seedOld = async () => {
    for (let start = 0; start < OLD; start += 500) {
      const batch = db.batch();
      for (let i = start; i < Math.min(OLD, start + 500); i++) batch.set(eventsCollection(db, `P${i % 10}`).doc(`old_${i}`), { type: 'task_updated', data: {}, created_at: old });
      await batch.commit();
    }
  };
  await seedOld();
  const { plan, result } = await record(db, () => timed(() => deleteOldFeedEvents(db, new Date(), 72)));
  const { ms: productMs, result: deleted } = result;
  await seedOld();
  const bare = await timed(() => replay(plan));
  report.row({
    figure: `cleanup of ${int(OLD)} old events (deleteOldFeedEvents)`,
    product: `${ms(productMs)}: ${int(deleted)} deleted, ${int((deleted * 1000) / productMs)} events/s`,
    baseline: `${ms(bare.ms)}: bare client, the same ${plan.reads.length} page queries and ${plan.batches.length} batches of deletes, all at once`,
    ratio: ratio(productMs, bare.ms),
    note: 'A collection-group query on created_at: production needs its single-field index exemption/collection-group index (firestore.indexes.json), the emulator needs none',
  });
}
