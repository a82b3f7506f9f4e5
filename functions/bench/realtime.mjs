// The real-time path on the local stack: what the audit and feed trigger handlers cost per task
// write, how long a published feed message takes to reach a web-SDK listener (the client helper),
// and how fast the scheduled cleanup deletes old events.
// Run: npx tsc -p tsconfig.build.json && node bench/realtime.mjs
import { randomUUID } from 'node:crypto';
import { initializeApp } from 'firebase-admin/app';
import { FieldValue, getFirestore, Timestamp } from 'firebase-admin/firestore';
import { Change } from 'firebase-functions/v2';
import { initializeApp as initializeWebApp, deleteApp } from 'firebase/app';
import { connectFirestoreEmulator, getFirestore as getWebFirestore, terminate } from 'firebase/firestore';
import { startOfflineStackOnFreePorts } from '../../stack/offline.mjs';

process.env.METADATA_SERVER_DETECTION ??= 'none';
const stack = await startOfflineStackOnFreePorts();
Object.assign(process.env, stack.env);
// Loaded after the environment points at the stack.
const { recordAuditEntry } = await import('../lib/audit/triggers.js');
const { publishTaskWrite } = await import('../lib/realtime/triggers.js');
const { deleteOldFeedEvents } = await import('../lib/realtime/cleanup.js');
const { eventsCollection, feedEventDoc, writeFeedEvent } = await import('../lib/realtime/feed.js');
const { subscribe } = await import('../lib/realtime/client.js');

const PROJECT_DB = 'demo-bench-realtime';
const db = getFirestore(initializeApp({ projectId: PROJECT_DB }, 'bench'));
db.settings({ ignoreUndefinedProperties: true });

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const fmt = (ms) => `${ms.toFixed(2)} ms`;
const report = (name, values) => console.log(`${name.padEnd(44)} median ${fmt(percentile(values, 50))}  p95 ${fmt(percentile(values, 95))}  (n=${values.length})`);

// 1. Trigger handlers per task write (each handler writes one document; no reads).
const WRITES = 300;
const audit = [];
const feed = [];
for (let i = 0; i < WRITES; i++) {
  const ref = db.doc(`tasks/ep00_sq0010_sh${String(i).padStart(4, '0')}_comp`);
  const before = await ref.get();
  await ref.set({ project_id: 'SWA', status: i % 2 ? 'in_progress' : 'not_started', artist: `artist_${i % 7}`, frame_range: { start: 1001, end: 1100 + i }, updated_by: 'bench', updated_at: FieldValue.serverTimestamp() });
  const after = await ref.get();
  const event = { id: randomUUID(), time: new Date().toISOString(), params: {}, data: new Change(before, after) };
  let t0 = performance.now();
  await recordAuditEntry(db, event);
  audit.push(performance.now() - t0);
  t0 = performance.now();
  await publishTaskWrite(db, event);
  feed.push(performance.now() - t0);
}
report('audit entry per write (recordAuditEntry)', audit);
report('feed event per write (publishTaskWrite)', feed);

// 2. Publish → web-SDK listener (subscribe('/ws/tasks/SWA')).
const webApp = initializeWebApp({ projectId: PROJECT_DB, apiKey: 'demo' }, 'bench-web');
const web = getWebFirestore(webApp);
const [host, port] = stack.env.FIRESTORE_EMULATOR_HOST.split(':');
connectFirestoreEmulator(web, host, Number(port));
const sentAt = new Map();
const delivery = [];
let resolveAll;
const allArrived = new Promise((resolve) => (resolveAll = resolve));
const MESSAGES = 100;
let ready;
const isReady = new Promise((resolve) => (ready = resolve));
const stop = subscribe(web, '/ws/tasks/SWA', {
  onMessage: (m) => {
    delivery.push(performance.now() - sentAt.get(m.data.task_id));
    if (delivery.length === MESSAGES) resolveAll();
  },
  onReady: ready,
});
await isReady;
for (let i = 0; i < MESSAGES; i++) {
  const taskId = `latency_${i}`;
  sentAt.set(taskId, performance.now());
  await writeFeedEvent(db, 'SWA', feedEventDoc('task_updated', 'bench', { task_id: taskId, changes: { status: 'in_progress' } }));
  await new Promise((r) => setTimeout(r, 10));
}
await allArrived;
stop();
report('feed write → client onMessage', delivery);
await terminate(web);
await deleteApp(webApp);

// 3. Cleanup throughput.
const OLD = 5000;
const old = Timestamp.fromMillis(Date.now() - 100 * 3_600_000);
for (let start = 0; start < OLD; start += 500) {
  const batch = db.batch();
  for (let i = start; i < start + 500; i++) batch.set(eventsCollection(db, `P${i % 10}`).doc(`old_${i}`), { type: 'task_updated', data: {}, created_at: old });
  await batch.commit();
}
const t0 = performance.now();
const deleted = await deleteOldFeedEvents(db, new Date(), 72);
const seconds = (performance.now() - t0) / 1000;
console.log(`${'cleanup of old events'.padEnd(44)} ${deleted} deleted in ${seconds.toFixed(2)} s (${Math.round(deleted / seconds)} events/s)`);

await stack.stop();
process.exit(0);
