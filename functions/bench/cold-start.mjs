// Cold start of the `api` function: a fresh Node process loads its module (package.json's `main`),
// serves it behind an express host as the Functions runtime does, and answers its first request
// (GET /api/v1/health: one Firestore read, JSON), against a bare firebase-functions + express +
// firebase-admin app doing the same (support/bare-api.mjs), product and bare in turn, each in its
// own process (support/cold-start-child.mjs). Also: the CPU time each process used until its first
// answer (the machine is shared: wall time includes waiting for a core, CPU time does not), and
// which heavy packages the first answer loaded.
//
// Run (from the repository root, functions/lib built):
//   bash scripts/run.sh node functions/bench/cold-start.mjs [runs=7]
import { execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { int, median, ms, paired, ratio, startReport } from './support/report.mjs';
import { PROJECT_ID, runOnBenchStack } from './support/stack.mjs';

const RUNS = Number(process.argv[2] ?? 7);
const CHILD = fileURLToPath(new URL('./support/cold-start-child.mjs', import.meta.url));
// What the Functions runtime gives every instance (FUNCTION_TARGET: the function it runs).
const FIREBASE_CONFIG = JSON.stringify({ projectId: PROJECT_ID, storageBucket: `${PROJECT_ID}.appspot.com` });
const paramEnv = {};
const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

const report = startReport('Cold start', {
  command: `bash scripts/run.sh node functions/bench/cold-start.mjs ${RUNS}`,
  about: `A fresh Node process per start: load the function's module, then its first answer to GET /api/v1/health (one Firestore read); product and bare in turn, ${RUNS} of each, medians.`,
});
await runOnBenchStack({ name: 'cold-start', projects: [PROJECT_ID] }, report, run);

/** CPU time (user + system, ms) process `pid` has used so far (Linux: /proc/<pid>/stat, fields 14 and 15, in clock ticks). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** One cold start of `which`: `{ ms: process start → first answer, loadMs, firstMs, cpuMs, heavy, modules }`. */
async function coldStart(which) {
  const t0 = performance.now();
  const child = fork(CHILD, [which], { env: { ...process.env, ...paramEnv, FIREBASE_CONFIG, FUNCTION_TARGET: 'api' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const next = () => new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`cold-start child (${which}) exited with ${code}`)));
  });
  const { port, loadMs } = await next();
  const asked = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
  const body = await res.json();
  const firstMs = performance.now() - asked;
  if (res.status !== 200 || body.status !== 'healthy') throw new Error(`${which}: ${res.status} ${JSON.stringify(body)}`);
  const total = performance.now() - t0;
  const cpu = cpuMs(child.pid);
  child.send('loaded?');
  const { heavy, modules } = await next();
  child.kill();
  return { ms: total, loadMs, firstMs, cpuMs: cpu, heavy, modules };
}

async function run() {
  // Each param's value as a deploy sets it (its default; lists as JSON).
  const params = Object.values(await import('../lib/config/params.js')).filter((p) => p?.name && p.options && 'default' in p.options);
  for (const p of params) paramEnv[p.name] = Array.isArray(p.options.default) ? JSON.stringify(p.options.default) : String(p.options.default);
  const samples = { product: [], bare: [] };
  const record = (which) => async () => {
    const s = await coldStart(which);
    samples[which].push(s);
    return s;
  };
  const r = await paired(RUNS, record('product'), record('bare'));
  const med = (which, key) => median(samples[which].slice(1).map((s) => s[key]));
  const p = samples.product.at(-1);
  const b = samples.bare.at(-1);
  report.row({
    figure: 'process start → first answer of GET /api/v1/health, p50 (p95)',
    product: `${ms(r.p50)} (${ms(r.p95)})`,
    baseline: `${ms(r.bare50)} (${ms(r.bare95)}): bare firebase-functions + express + firebase-admin, the same read and JSON`,
    ratio: ratio(r.p50, r.bare50),
    note: 'Node start-up included on both sides; production adds the platform\'s instance start and the container image, the same for both',
  });
  report.row({
    figure: 'module load (import of the function\'s module), p50',
    product: ms(med('product', 'loadMs')),
    baseline: ms(med('bare', 'loadMs')),
    ratio: ratio(med('product', 'loadMs'), med('bare', 'loadMs')),
  });
  report.row({
    figure: 'first answer after the module loaded (builds the app on first use), p50',
    product: ms(med('product', 'firstMs')),
    baseline: ms(med('bare', 'firstMs')),
    ratio: ratio(med('product', 'firstMs'), med('bare', 'firstMs')),
  });
  report.row({
    figure: 'CPU time of the process until its first answer, p50',
    product: ms(med('product', 'cpuMs')),
    baseline: ms(med('bare', 'cpuMs')),
    ratio: ratio(med('product', 'cpuMs'), med('bare', 'cpuMs')),
    note: 'The work itself, without the waits for a core that a busy machine adds to the wall time; one clock tick (10 ms here) is its resolution',
  });
  report.row({
    figure: 'modules resolved by then; heavy packages among them',
    product: `${int(p.modules)}; ${p.heavy.join(', ') || 'none'}`,
    baseline: `${int(b.modules)}; ${b.heavy.join(', ') || 'none'}`,
    note: 'Heavy: sharp, csv-parse, busboy, swagger-ui-dist, @google-cloud/storage, firebase-admin auth',
  });
}
