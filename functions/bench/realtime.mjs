// The real-time path on the official Firestore emulator: what the audit and feed trigger handlers
// cost per task write, how long a published feed message takes to reach a web-SDK listener through
// the front-end helper (subscribe('/ws/tasks/SWA'), signed in, rules evaluated), and how fast the
// scheduled cleanup deletes old events. Each beside the bare client in the same run: the handlers'
// writes replayed (support/replay.mjs); the bare web SDK opening the helper's listener itself (the
// events after the newest), as the same user, for as many writes (blocks heard in turn); the
// cleanup's queries and batches replayed on the same events.
//
// Run (from the repository root):
//   bash scripts/run.sh node --experimental-transform-types --disable-warning=ExperimentalWarning functions/bench/realtime.mjs [writes=200] [messages=100] [old events=5000]
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
import { runOnBenchStack } from './support/stack.mjs';

const WRITES = Number(process.argv[2] ?? 200);
const MESSAGES = Number(process.argv[3] ?? 100);
const OLD = Number(process.argv[4] ?? 5000);
const DATA_PROJECT = 'demo-bench-realtime';
const CLIENT_SRC = fileURLToPath(new URL('../../client/src/', import.meta.url));

const report = startReport('Real-time: triggers, listeners, cleanup', {
  command: `bash scripts/run.sh node --experimental-transform-types --disable-warning=ExperimentalWarning functions/bench/realtime.mjs ${WRITES} ${MESSAGES} ${OLD}`,
  about: `Handlers called directly with CloudEvent-shaped events for ${WRITES} task writes; ${MESSAGES} feed messages in 4 blocks, each heard by one of two signed-in web-SDK clients (the helper, a bare listener, the bare, the helper); cleanup of ${int(OLD)} old events.`,
});
await runOnBenchStack({ name: 'realtime', projects: [DATA_PROJECT] }, report, run);

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
  const { collection, connectFirestoreEmulator, getDocs, getFirestore: getWebFirestore, limit, onSnapshot, orderBy, query, startAfter, terminate } = await clientFirebase('firestore');
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

  // Blocks of messages, each heard by one listener (helper, bare, bare, helper, ...), freshly subscribed.
  const BLOCKS = 4;
  const perBlock = Math.ceil(MESSAGES / BLOCKS);
  const helperMs = [];
  const bareMs = [];
  const listenHelper = (onArrival, onReady) =>
    subscribe(helperClient.web, '/ws/tasks/SWA', {
      onMessage: (m) => onArrival(m.data.task_id),
      onError: (err) => console.error(`helper listener: ${err.message}`),
      onReady,
    });
  // The same listener the helper opens (the events after the newest one), without the helper.
  const listenBare = (onArrival, onReady) => {
    const events = collection(bareClient.web, 'projects', 'SWA', 'events');
    let stop = () => {};
    getDocs(query(events, orderBy('created_at', 'desc'), limit(1))).then((latest) => {
      stop = onSnapshot(
        query(events, orderBy('created_at'), ...(latest.docs[0] ? [startAfter(latest.docs[0])] : [])),
        (snap) => {
          onReady();
          for (const change of snap.docChanges()) if (change.type === 'added') onArrival(change.doc.get('data.task_id'));
        },
        (err) => console.error(`bare listener: ${err.message}`),
      );
    });
    return () => stop();
  };
  for (let block = 0; block < BLOCKS; block++) {
    const helper = block % 4 === 0 || block % 4 === 3;
    const into = helper ? helperMs : bareMs;
    const sentAt = new Map();
    let heard = 0;
    let allHeard;
    const done = new Promise((resolve) => (allHeard = resolve));
    let ready;
    const isReady = new Promise((resolve) => (ready = resolve));
    const onArrival = (taskId) => {
      if (!sentAt.has(taskId)) return;
      into.push(performance.now() - sentAt.get(taskId));
      sentAt.delete(taskId);
      if (++heard === perBlock) allHeard();
    };
    const stop = (helper ? listenHelper : listenBare)(onArrival, ready);
    await isReady;
    for (let i = 0; i < perBlock; i++) {
      const taskId = `latency_${block}_${i}`;
      sentAt.set(taskId, performance.now());
      await writeFeedEvent(db, 'SWA', feedEventDoc('task_updated', 'bench', { task_id: taskId, changes: { status: 'in_progress' } }));
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
    stop();
  }
  report.row({
    figure: 'feed write → listener callback, p50 (p95)',
    product: `${ms(median(helperMs))} (${ms(quantile(helperMs, 0.95))}), subscribe('/ws/tasks/SWA') onMessage; ${helperMs.length} of ${perBlock * 2} arrived`,
    baseline: `${ms(median(bareMs))} (${ms(quantile(bareMs, 0.95))}): the bare web SDK opening the same listener (events after the newest), same user, as many writes; ${bareMs.length} of ${perBlock * 2} arrived`,
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
