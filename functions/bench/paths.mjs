// Path Builder speed. Prints the CPU time the pure builder spends generating (and validating) paths
// for 10,000 tasks with the spec's SWA configuration (target: generation under 100 ms of CPU), then
// the same 10,000 paths through the API as 20 generate-batch calls of 500 against the offline stack.
// Run: npx tsc -p tsconfig.build.json && node bench/paths.mjs
import { initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { startOfflineStackOnFreePorts } from '../../stack/offline.mjs';

process.env.METADATA_SERVER_DETECTION ??= 'none';
const stack = await startOfflineStackOnFreePorts();
Object.assign(process.env, stack.env);
// Loaded after the environment points at the stack.
const { PathBuilder } = await import('../lib/paths/builder.js');
const { PathsService } = await import('../lib/paths/service.js');
const { SWA_PROJECT } = await import('../lib/projects/swa-example.js');
const { defaultConfig } = await import('../lib/config.js');

const TASKS = 10_000;
const RUNS = 7;
const tasks = Array.from({ length: TASKS }, (_, i) => ({
  episode: `Ep${String(i % 12).padStart(2, '0')}`,
  sequence: `SQ${String((i % 40) * 10).padStart(4, '0')}`,
  shot: `SH${String(i % 250).padStart(4, '0')}`,
  task: SWA_PROJECT.task_types[i % SWA_PROJECT.task_types.length],
  version: (i % 40) + 1,
  frame: 1001 + (i % 100),
  ext: 'exr',
}));
const cases = [
  ['working_file', 'maya_scene'],
  ['render_output', 'render_sequence'],
  ['media_file', undefined],
];

const cpuMs = (fn) => {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(1)} ms`;

console.log(`Path Builder, ${TASKS} tasks, SWA configuration, median of ${RUNS} runs (CPU time, user + system)`);
for (const [template, pattern] of cases) {
  const label = `${template}${pattern ? ` + ${pattern}` : ''}`;
  const compile = cpuMs(() => PathBuilder.compile(SWA_PROJECT));
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
  console.log(`  ${label.padEnd(34)} generate ${fmt(g).padStart(9)} (${((g * 1000) / TASKS).toFixed(2)} µs/path, ${g < 100 ? 'under' : 'OVER'} the 100 ms target)   validate ${fmt(median(validate)).padStart(9)}   compile ${fmt(compile)}`);
}

// Through the service: access check, project read, config compile, per-task checks, 20 calls of 500.
const db = getFirestore(initializeApp({ projectId: 'demo-bench-paths' }, 'bench'));
await db.doc('projects/SWA').set({ ...SWA_PROJECT });
const service = new PathsService({ db, auth: undefined, bucket: undefined, clock: () => new Date(), config: defaultConfig({ projectId: 'demo-montu' }) });
// A global admin: the membership read is skipped, so the figures are the path generation itself.
const caller = { uid: 'bench', email: null, displayName: 'bench', admin: true, token: {}, permissionsByProject: new Map() };
const latencies = [];
const cpuBefore = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < TASKS; i += 500) {
  const t0 = performance.now();
  const r = await service.generateBatch(caller, { project_id: 'SWA', template_type: 'working_file', filename_pattern: 'maya_scene', tasks: tasks.slice(i, i + 500) });
  if (r.failed) throw new Error(`${r.failed} failed`);
  latencies.push(performance.now() - t0);
}
const wall = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
console.log(
  `PathsService.generateBatch, ${TASKS} paths as ${latencies.length} calls of 500 against the offline stack: ` +
    `${fmt(wall)} wall, ${fmt((cpu.user + cpu.system) / 1000)} CPU (process, stand-in Firestore included), median call ${fmt(median(latencies))}`,
);

await stack.stop();
process.exit(0);
