// Triggers on the served stack (`node stack/serve.mjs`, what `npm run serve` runs: the official
// emulators, Firestore triggers fired by the Firestore emulator into the Functions emulator): how
// long the stack takes to serve, how long a PATCHed task waits for its feed message (functions
// warm), and how long a bulk update of N tasks takes until every per-task message is written.
// Beside each, in the same run: the bare Firestore client from this process making the same change
// straight to Firestore (no Hosting, no Functions emulator hop for the request), and how long the
// same triggers then take to write the messages of that bare write.
//
// Run (from the repository root; needs functions/lib built, as `npm run bench` does first):
//   bash scripts/run.sh node functions/bench/served-triggers.mjs [tasks=200] [patches=10]
import { FieldValue } from 'firebase-admin/firestore';
import { median, ms, ratio, startReport } from './support/report.mjs';
import { servedSession, startServedStack, until } from './support/stack.mjs';

const { taskKey } = await import('../lib/tasks/keys.js');

const N = Number(process.argv[2] ?? 200);
const PATCHES = Number(process.argv[3] ?? 10);

const report = startReport('Served stack: triggers', {
  command: `bash scripts/run.sh node functions/bench/served-triggers.mjs ${N} ${PATCHES}`,
  about: `\`node stack/serve.mjs\` on free ports, not seeded; requests through its Hosting rewrite with a global admin's token; ${N} tasks, ${PATCHES} single PATCHes (and as many bare updates) in turn.`,
});
const served = await startServedStack();
try {
  await run();
} finally {
  await served.stop();
}
report.finish({ stack: `the served stack (firebase emulators:start: Auth, Functions, Firestore, Hosting, Pub/Sub where installed); its log ${served.log}` });
process.exit(0);

async function run() {
  const { db, admin, api } = await servedSession(served, 'bench@studio.test');
  const updates = db.collection('projects/BENCH/events').where('type', '==', 'task_updated');
  const messagesFor = async (taskId) => (await updates.where('data.task_id', '==', taskId).count().get()).data().count;
  const updateCount = async () => (await updates.count().get()).data().count;

  report.row({ figure: 'serve command until it prints "serving" (no seed)', product: `${served.seconds.toFixed(1)} s`, note: 'Emulator start-up (Java Firestore, Functions discovery) on this machine' });

  await api('POST', '/projects', { id: 'BENCH', name: 'Bench' });
  const ids = [];
  for (let i = 0; i < N; i++) ids.push((await api('POST', '/tasks', { project_id: 'BENCH', episode: 'Ep01', sequence: 'sq0010', shot: `SH${String(i).padStart(4, '0')}`, task: 'comp' })).id);
  await until(async () => (await db.collection('projects/BENCH/events').count().get()).data().count >= N);

  // One change at a time, functions warm: through the API, and the same change bare, in turn.
  const product = [];
  const bare = [];
  const viaApi = async (i) => {
    const t0 = performance.now();
    await api('PATCH', `/tasks/${ids[i]}`, { milestone_note: `note ${i}` });
    const answered = performance.now();
    const done = await until(async () => (await messagesFor(ids[i])) > 0);
    product.push({ answer: answered - t0, message: done - answered });
  };
  const viaClient = async (i) => {
    const id = ids[PATCHES + i];
    const t0 = performance.now();
    const ref = db.doc(`tasks/${taskKey('BENCH', id)}`);
    await db.getAll(ref, db.doc('projects/BENCH'));
    await ref.update({ milestone_note: `bare ${i}`, updated_by: admin.uid, updated_at: FieldValue.serverTimestamp() });
    const answered = performance.now();
    const done = await until(async () => (await messagesFor(id)) > 0);
    bare.push({ answer: answered - t0, message: done - answered });
  };
  for (let i = 0; i < PATCHES; i++) {
    if (i % 2) await viaClient(i).then(() => viaApi(i));
    else await viaApi(i).then(() => viaClient(i));
  }
  const p = (key, xs) => median(xs.map((x) => x[key]));
  report.row({
    figure: 'PATCH /tasks/{id} through Hosting → Functions emulator: answer, p50',
    product: ms(p('answer', product)),
    baseline: `${ms(p('answer', bare))}: bare client here, get the task and its project, update it`,
    ratio: ratio(p('answer', product), p('answer', bare)),
    note: 'Two local hops (Hosting emulator, Functions emulator worker) where production has Google\'s front end and a Cloud Run instance',
  });
  report.row({
    figure: 'then its feed message written by the emulated trigger, p50',
    product: `${ms(p('message', product))} after the answer`,
    baseline: `${ms(p('message', bare))} after the bare update commits`,
    ratio: ratio(p('message', product), p('message', bare)),
    note: 'Delivered by the Firestore emulator straight to the Functions emulator; production delivers through Eventarc, at least once, with a latency not measured here',
  });

  // A bulk update of N tasks, then the same N tasks updated bare in one transaction.
  let before = await updateCount();
  let t0 = performance.now();
  await api('PATCH', '/tasks/bulk-update', ids.map((id) => ({ task_id: id, updates: { priority: 'high' } })));
  let answered = performance.now();
  let done = await until(async () => (await updateCount()) >= before + N);
  const apiBulk = { answer: answered - t0, messages: done - answered };
  before = await updateCount();
  t0 = performance.now();
  await db.runTransaction(async (tx) => {
    const refs = ids.map((id) => db.doc(`tasks/${taskKey('BENCH', id)}`));
    await tx.getAll(...refs, db.doc('projects/BENCH'));
    for (const ref of refs) tx.update(ref, { priority: 'low', updated_by: admin.uid, updated_at: FieldValue.serverTimestamp() });
  });
  answered = performance.now();
  done = await until(async () => (await updateCount()) >= before + N);
  const bareBulk = { answer: answered - t0, messages: done - answered };
  report.row({
    figure: `bulk update of ${N} tasks: answer`,
    product: ms(apiBulk.answer),
    baseline: `${ms(bareBulk.answer)}: one bare transaction reading the ${N} tasks and the project, updating the ${N}`,
    ratio: ratio(apiBulk.answer, bareBulk.answer),
  });
  report.row({
    figure: `then all ${N} per-task messages (audit entry and feed message per trigger call)`,
    product: `${(apiBulk.messages / 1000).toFixed(1)} s later, ${Math.round((N * 1000) / apiBulk.messages)} trigger calls/s`,
    baseline: `${(bareBulk.messages / 1000).toFixed(1)} s after the bare commit, ${Math.round((N * 1000) / bareBulk.messages)} calls/s`,
    ratio: ratio(apiBulk.messages, bareBulk.messages),
    note: 'The Functions emulator runs at most 8 calls at once here (FUNCTIONS_EMULATOR_PARALLEL), each in a local worker; production scales instances out',
  });
}
