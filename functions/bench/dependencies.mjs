// Task dependencies on the official Firestore emulator: an upstream task with N dependents
// completes, and the task trigger's handler (refreshAfterTaskWrite, called with the write's
// CloudEvent as the emulator calls it) brings all N to ready. Measured: the time until all N are
// ready, and the documents it read and wrote, in a project holding 4×N other tasks that wait for
// nothing (they must cost nothing). Beside it, in the same run and in turn: a bare BulkWriter
// writing the same N updates (no reads), and the bare array-contains query plus those writes.
//
// Run (from the repository root, after `npm run build`):
//   bash scripts/run.sh node functions/bench/dependencies.mjs [dependents=500] [runs=5]
import { randomUUID } from 'node:crypto';
import { initializeApp } from 'firebase-admin/app';
import { FieldValue, getFirestore } from 'firebase-admin/firestore';
import { counting } from './support/replay.mjs';
import { int, median, ms, quantile, ratio, startReport } from './support/report.mjs';
import { runOnBenchStack } from './support/stack.mjs';

const DEPENDENTS = Number(process.argv[2] ?? 500);
const RUNS = Number(process.argv[3] ?? 5);
const DATA_PROJECT = 'demo-bench-dependencies';
const PROJECT = 'DEP';

const report = startReport('Task dependencies: an upstream task with many dependents completes', {
  command: `bash scripts/run.sh node functions/bench/dependencies.mjs ${DEPENDENTS} ${RUNS}`,
  about: `${RUNS} runs: each completes an upstream task with ${int(DEPENDENTS)} dependents (project ${PROJECT} also holds ${int(4 * DEPENDENTS)} tasks that wait for nothing); handler and baselines in turn, each on freshly seeded tasks.`,
});
await runOnBenchStack({ name: 'dependencies', projects: [DATA_PROJECT] }, report, run);

async function run() {
  // Loaded after the environment points at the stack.
  const { refreshAfterTaskWrite } = await import('../lib/tasks/dependency-triggers.js');
  const { storedNewTask, taskRef } = await import('../lib/tasks/store.js');
  const { taskConfigOf } = await import('../lib/tasks/project-config.js');
  const { checkNewTaskInput } = await import('../lib/tasks/validation.js');
  const db = getFirestore(initializeApp({ projectId: DATA_PROJECT }, 'bench'));
  db.settings({ ignoreUndefinedProperties: true });
  const counter = counting(db);
  const config = taskConfigOf(undefined);
  await db.doc(`projects/${PROJECT}`).set({ name: PROJECT, status: 'active' });

  const task = (episode, shot, taskType, extra = {}) => {
    const checked = checkNewTaskInput({ project_id: PROJECT, episode, sequence: 'sq0010', shot: `SH${String(shot).padStart(4, '0')}`, task: taskType, ...extra }, config);
    if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
    return checked.value;
  };
  const seed = async (tasks) => {
    const writer = db.bulkWriter();
    for (const t of tasks) void writer.create(taskRef(db, PROJECT, t.id), storedNewTask(t, config, 'bench'));
    await writer.close();
  };
  /** A fresh upstream task (in progress) and its dependents (blocked by it); resolves their ids. */
  const seedGroup = async (name) => {
    const upstream = task(name, 0, 'animation', { status: 'in_progress' });
    const dependents = Array.from({ length: DEPENDENTS }, (_, i) => Object.assign(task(name, i + 1, 'lighting', { depends_on: [upstream.id] }), { blocked_by: [upstream.id] }));
    await seed([upstream, ...dependents]);
    return { upstream: upstream.id, dependents: dependents.map((d) => d.id) };
  };
  const readyCount = async (ids) => (await db.getAll(...ids.map((id) => taskRef(db, PROJECT, id)), { fieldMask: ['ready'] })).filter((s) => s.get('ready') === true).length;

  await seed(Array.from({ length: 4 * DEPENDENTS }, (_, i) => task('other', i, 'comp')));
  const update = () => ({ blocked_by: [], blocked: false, ready: true, updated_by: 'system', bulk_id: null, updated_at: FieldValue.serverTimestamp() });

  const sides = {
    async handler(group) {
      const ref = taskRef(db, PROJECT, group.upstream);
      const before = await ref.get();
      await ref.update({ status: 'completed', updated_at: FieldValue.serverTimestamp() });
      const after = await ref.get();
      const event = { id: randomUUID(), time: new Date().toISOString(), params: {}, data: { before, after } };
      counter.reset();
      const t0 = performance.now();
      const cost = await refreshAfterTaskWrite(db, event);
      const elapsed = performance.now() - t0;
      const { docs } = counter.read();
      return { ms: elapsed, read: docs, written: cost.written };
    },
    async bareWrites(group) {
      const t0 = performance.now();
      const writer = db.bulkWriter();
      for (const id of group.dependents) void writer.update(taskRef(db, PROJECT, id), update());
      await writer.close();
      return { ms: performance.now() - t0, read: 0, written: group.dependents.length };
    },
    async bareQueryAndWrites(group) {
      counter.reset();
      const t0 = performance.now();
      const found = await db.collection('tasks').where('depends_on', 'array-contains', group.upstream).get();
      const writer = db.bulkWriter();
      for (const doc of found.docs) void writer.update(doc.ref, update());
      await writer.close();
      const elapsed = performance.now() - t0;
      return { ms: elapsed, read: counter.read().docs, written: found.size };
    },
  };
  const names = Object.keys(sides);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < RUNS; i++) {
    // Rotate which side goes first; every side works on its own fresh group.
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + i) % names.length];
      const group = await seedGroup(`r${i}s${names.indexOf(name)}`);
      const r = await sides[name](group);
      const ready = await readyCount(group.dependents);
      if (ready !== DEPENDENTS) throw new Error(`${name}: ${ready} of ${DEPENDENTS} dependents ready`);
      samples[name].push(r);
    }
  }

  const stat = (name, f) => samples[name].map(f);
  const p50 = (name) => median(stat(name, (s) => s.ms));
  const p95 = (name) => quantile(stat(name, (s) => s.ms), 0.95);
  report.row({
    figure: `time until all ${int(DEPENDENTS)} dependents are ready, p50 (p95)`,
    product: `${ms(p50('handler'))} (${ms(p95('handler'))})`,
    baseline: `${ms(p50('bareWrites'))} (${ms(p95('bareWrites'))}): bare BulkWriter, the same ${int(DEPENDENTS)} updates, no reads; query + writes ${ms(p50('bareQueryAndWrites'))}`,
    ratio: ratio(p50('handler'), p50('bareWrites')),
    note: 'From the handler being called to its last write; on the served stack the trigger\'s delivery comes before (served-triggers.mjs measures that)',
  });
  report.row({
    figure: 'documents read, written (median)',
    product: `${int(median(stat('handler', (s) => s.read)))} read, ${int(median(stat('handler', (s) => s.written)))} written`,
    baseline: `query + writes: ${int(median(stat('bareQueryAndWrites', (s) => s.read)))} read, ${int(median(stat('bareQueryAndWrites', (s) => s.written)))} written`,
    ratio: ratio(median(stat('handler', (s) => s.read)), median(stat('bareQueryAndWrites', (s) => s.read))),
    note: `The project's ${int(4 * DEPENDENTS)} tasks that wait for nothing are never read; the emulator and production count reads alike`,
  });
}
