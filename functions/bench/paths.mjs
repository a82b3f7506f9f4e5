// Path Builder speed. The CPU time the pure builder spends generating (and validating) paths for
// N tasks with the spec's SWA configuration (target: 10,000 paths in under 100 ms of CPU; no
// Firestore involved), then the same N paths through PathsService.generateBatch as calls of 500
// against the official Firestore emulator, each call beside the bare Firestore client doing the
// same reads in the same run (support/replay.mjs).
//
// Run (from the repository root):
//   bash scripts/run.sh node functions/bench/paths.mjs [tasks=10000] [runs=7]
import { readFileSync } from 'node:fs';
import { initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { describePlan, record, replay } from './support/replay.mjs';
import { median, ms, paired, ratio, startReport } from './support/report.mjs';
import { runOnBenchStack } from './support/stack.mjs';

const TASKS = Number(process.argv[2] ?? 10_000);
const RUNS = Number(process.argv[3] ?? 7);
const DATA_PROJECT = 'demo-bench-paths';
/** SWA as the demo dataset holds it, without the seed's bookkeeping. */
const { created_at: _at, created_by: _by, ...SWA_PROJECT } = JSON.parse(readFileSync(new URL('../../emulator-data/dataset.json', import.meta.url), 'utf8')).projects.find((p) => p.id === 'SWA');

const report = startReport('Path Builder', {
  command: `bash scripts/run.sh node functions/bench/paths.mjs ${TASKS} ${RUNS}`,
  about: `${TASKS.toLocaleString('en-US')} tasks, the SWA configuration; builder figures are CPU time (user + system), median of ${RUNS} runs.`,
});
await runOnBenchStack({ name: 'paths', projects: [DATA_PROJECT] }, report, run);

async function run() {
  // Loaded after the environment points at the stack.
  const { PathBuilder } = await import('../lib/paths/builder.js');
  const { PathsService } = await import('../lib/paths/service.js');
  const { AccessControl } = await import('../lib/auth/access.js');
  const { defaultConfig } = await import('../lib/config/app-config.js');

  const tasks = Array.from({ length: TASKS }, (_, i) => ({
    episode: `Ep${String(i % 12).padStart(2, '0')}`,
    sequence: `SQ${String((i % 40) * 10).padStart(4, '0')}`,
    shot: `SH${String(i % 250).padStart(4, '0')}`,
    task: SWA_PROJECT.task_types[i % SWA_PROJECT.task_types.length],
    version: (i % 40) + 1,
    frame: 1001 + (i % 100),
    ext: 'exr',
  }));
  const cpuMs = (fn) => {
    const before = process.cpuUsage();
    fn();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  };
  const target = (100 * TASKS) / 10_000;
  for (const [template, pattern] of [
    ['working_file', 'maya_scene'],
    ['render_output', 'render_sequence'],
    ['media_file', undefined],
  ]) {
    const builder = PathBuilder.compile(SWA_PROJECT);
    const paths = [];
    const generate = [];
    const validate = [];
    for (let run = 0; run < RUNS; run++) {
      paths.length = 0;
      generate.push(
        cpuMs(() => {
          for (const values of tasks) {
            const r = builder.generate({ template, pattern, values });
            if (!r.ok) throw new Error(r.message);
            paths.push(r.path);
          }
        }),
      );
      validate.push(
        cpuMs(() => {
          for (const p of paths) if (!builder.validate(p).valid) throw new Error(`not valid: ${p}`);
        }),
      );
    }
    const g = median(generate);
    report.row({
      figure: `builder: generate ${TASKS.toLocaleString('en-US')} paths, ${template}${pattern ? ` + ${pattern}` : ''} (CPU)`,
      product: `${ms(g)} (${((g * 1000) / TASKS).toFixed(2)} µs a path); validating them ${ms(median(validate))}`,
      baseline: `target ${ms(target)}`,
      ratio: ratio(g, target),
      note: 'Pure CPU, no Firestore: the same on production (per CPU)',
    });
  }

  // Through the service: access check, project read, config compile, per-task checks, calls of 500.
  const db = getFirestore(initializeApp({ projectId: DATA_PROJECT }, 'bench'));
  await db.doc('projects/SWA').set({ ...SWA_PROJECT });
  const service = new PathsService({ db, auth: undefined, bucket: undefined, clock: () => new Date(), config: defaultConfig({ projectId: 'demo-montu' }) }, new AccessControl(db));
  // A global admin: the membership read is skipped, so the figures are the path generation itself.
  const caller = { uid: 'bench', email: null, displayName: 'bench', admin: true, token: {}, permissionsByProject: new Map() };
  const calls = Math.ceil(TASKS / 500);
  const call = async (i) => {
    const r = await service.generateBatch(caller, { project_id: 'SWA', template_type: 'working_file', filename_pattern: 'maya_scene', tasks: tasks.slice((i % calls) * 500, (i % calls) * 500 + 500) });
    if (r.failed) throw new Error(`${r.failed} failed`);
  };
  const { plan } = await record(db, () => call(0));
  const r = await paired(calls, call, () => replay(plan));
  report.row({
    figure: 'PathsService.generateBatch, one call of 500 paths, p50 (p95)',
    product: `${ms(r.p50)} (${ms(r.p95)}); ${calls} calls: ${ms(r.product.reduce((a, b) => a + b, 0))} in all`,
    baseline: `${ms(r.bare50)} (${ms(r.bare95)}): bare client: ${describePlan(plan)}`,
    ratio: ratio(r.p50, r.bare50),
    note: 'One document read per call: the rest is CPU (compile the configuration, check and build 500 paths)',
  });
}
