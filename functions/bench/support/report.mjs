// What every benchmark prints: a header (command, machine, stack), its figures as one markdown
// table (figure, product, the bare baseline measured in the same run, the ratio, how the emulator
// differs from production), and the machine's load average sampled during the run. Other engineers
// share these 2-core machines: the ratios to same-run baselines are what compares across runs.
// Under `npm run bench` the rows also go to the file named by MONTU_BENCH_RESULTS (JSON lines).
import { appendFileSync } from 'node:fs';
import os from 'node:os';

export const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
export const median = (xs) => quantile(xs, 0.5);
export const ms = (v) => (v === undefined || Number.isNaN(v) ? '—' : v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v).toLocaleString('en-US')} ms`);
export const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');
export const int = (n) => Math.round(n).toLocaleString('en-US');

/** Times `fn` (ms). */
export async function timed(fn) {
  const t0 = performance.now();
  const result = await fn();
  return { ms: performance.now() - t0, result };
}

/**
 * Product and bare baseline measured in turn, `runs` times each after one warm-up of each (not of
 * the product with `warmProduct: false`, when its recording was the warm-up); the order alternates
 * so neither side always runs on a warmer (or busier) machine. Each side returns nothing, or
 * `{ ms }` when it times itself. Resolves the samples, medians and p95s. `also`: more baselines,
 * measured in the same rotation (their medians in `others`).
 */
export async function paired(runs, product, bare, { warmProduct = true, also = [] } = {}) {
  const time = async (fn, i) => {
    const t0 = performance.now();
    const r = await fn(i);
    return r && typeof r.ms === 'number' ? r.ms : performance.now() - t0;
  };
  const sides = [product, bare, ...also];
  if (warmProduct) await time(product, 0);
  for (const side of sides.slice(1)) await time(side, 0);
  const samples = sides.map(() => []);
  for (let i = 1; i <= runs; i++) {
    // Rotate which side goes first.
    for (let k = 0; k < sides.length; k++) {
      const s = (k + i) % sides.length;
      samples[s].push(await time(sides[s], i));
    }
  }
  const [p, b, ...others] = samples;
  return { product: p, bare: b, p50: median(p), p95: quantile(p, 0.95), bare50: median(b), bare95: quantile(b, 0.95), others: others.map((o) => ({ p50: median(o), p95: quantile(o, 0.95) })) };
}

/** Starts a benchmark's report: prints the header and samples the load average until finish(). */
export function startReport(name, { command, about }) {
  const loads = [os.loadavg()[0]];
  const sampler = setInterval(() => loads.push(os.loadavg()[0]), 2000);
  sampler.unref();
  const started = performance.now();
  const rows = [];
  const notes = [];
  const cpu = os.cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  console.log(`\n## ${name}\n`);
  console.log(`command: \`${command}\``);
  console.log(`machine: ${machine}; load average (1 min) at start ${loads[0].toFixed(2)}`);
  if (about) console.log(about);
  return {
    /** One figure: `{ figure, product, baseline, ratio, note }` (strings; ratio = product / baseline). */
    row(r) {
      rows.push(r);
    },
    note(text) {
      notes.push(text);
    },
    /** Prints the table, the notes and the load during the run; returns the load figures. */
    finish({ stack } = {}) {
      clearInterval(sampler);
      loads.push(os.loadavg()[0]);
      const load = { min: Math.min(...loads), max: Math.max(...loads), mean: loads.reduce((a, b) => a + b, 0) / loads.length };
      const seconds = (performance.now() - started) / 1000;
      console.log('');
      console.log('| figure | product | same-run baseline | ratio | emulator vs production |');
      console.log('|---|---|---|---|---|');
      for (const r of rows) console.log(`| ${r.figure} | ${r.product} | ${r.baseline ?? '—'} | ${r.ratio ?? '—'} | ${r.note ?? ''} |`);
      for (const n of notes) console.log(`\n${n}`);
      const loadText = `load average (1 min) during the run: ${load.min.toFixed(2)}–${load.max.toFixed(2)}, mean ${load.mean.toFixed(2)}, on ${cpu.length} cores; ${seconds.toFixed(0)} s${stack ? `; ${stack}` : ''}`;
      console.log(`\n${loadText}`);
      if (process.env.MONTU_BENCH_RESULTS) appendFileSync(process.env.MONTU_BENCH_RESULTS, `${JSON.stringify({ name, command, machine, load, seconds, rows, notes })}\n`);
      return load;
    },
  };
}
