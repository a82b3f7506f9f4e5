// `npm run bench`: builds functions/lib, starts one emulator stack (support/stack.mjs) and runs every
// benchmark against it in turn, one process each, at sizes that finish in a few minutes in all
// (served-triggers and webhooks start the served stack themselves). Each benchmark's report goes to
// the console and to bench-results/<time>.md (git-ignored), with the rows as JSON lines beside it.
//
//   bash scripts/run.sh node functions/bench/all.mjs [--large] [--no-build] [name ...]
//
// --large runs issue 21's sizes (tens of minutes to hours on a 2-core machine: see README.md here);
// names pick benchmarks (tasks, imports, ...).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, startStackProcess } from './support/stack.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const large = args.includes('--large');
const names = args.filter((a) => !a.startsWith('--'));

/** Each benchmark: its file, node options, and its quick (default) and large arguments and environment. */
const BENCHMARKS = [
  { name: 'tasks', args: ['1000', '10'], large: ['10000', '30'] },
  { name: 'imports', node: ['--expose-gc'], args: ['10000'], large: ['50000'] },
  { name: 'annotations-contention', args: ['1,10,20,50', '3'], large: ['1,10,20,50,100', '10'] },
  { name: 'paths', args: ['10000', '7'], large: ['10000', '21'] },
  { name: 'realtime', node: ['--experimental-transform-types', '--disable-warning=ExperimentalWarning'], args: ['200', '100', '5000'], large: ['1000', '300', '20000'] },
  { name: 'media', args: ['5', '5', '30'], large: ['15', '15', '30'] },
  { name: 'load', args: [], env: { LOAD_SECONDS: '10', LOAD_WARMUP_SECONDS: '5' }, largeEnv: { LOAD_SECONDS: '30', LOAD_WARMUP_SECONDS: '10' } },
  { name: 'served-triggers', args: ['200', '10'], large: ['1000', '20'] },
  { name: 'dependencies', args: ['500', '3'], large: ['500', '10'] },
  { name: 'cold-start', args: ['7'], large: ['21'] },
  { name: 'webhooks', args: ['200', '4'], large: ['1000', '4'] },
];

const chosen = names.length ? BENCHMARKS.filter((b) => names.includes(b.name)) : BENCHMARKS;
const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

if (!args.includes('--no-build')) {
  console.log('[bench] building functions/lib (npm --prefix functions run build)');
  const build = spawnSync('npm', ['--prefix', path.join(ROOT, 'functions'), 'run', '--silent', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const dir = path.join(ROOT, 'bench-results');
mkdirSync(dir, { recursive: true });
const results = path.join(dir, `${stamp}.jsonl`);
const markdown = path.join(dir, `${stamp}.md`);
writeFileSync(results, '');

const started = performance.now();
console.log('[bench] starting the emulators (Auth, Firestore, Storage) shared by the benchmarks');
const stack = await startStackProcess('all');
console.log(`[bench] ${stack.firestore}; log ${stack.log}`);
let out = `# Benchmarks, ${new Date().toISOString()}\n\n\`bash scripts/run.sh node functions/bench/all.mjs ${args.join(' ')}\`\n`;
const failed = [];
try {
  for (const b of chosen) {
    const benchArgs = large ? (b.large ?? b.args) : b.args;
    const env = { ...process.env, ...(large ? (b.largeEnv ?? b.env) : b.env), MONTU_BENCH_STACK: JSON.stringify({ env: stack.env, firestore: stack.firestore, log: stack.log }), MONTU_BENCH_RESULTS: results };
    const child = spawn(process.execPath, [...(b.node ?? []), path.join(HERE, `${b.name}.mjs`), ...benchArgs], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (c) => {
      process.stdout.write(c);
      text += c;
    });
    child.stderr.on('data', (c) => process.stderr.write(c));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    if (code !== 0) failed.push(`${b.name} (exit ${code})`);
    out += `${text}\n`;
  }
} finally {
  await stack.stop();
}
const minutes = (performance.now() - started) / 60_000;
out += `\nAll of it: ${minutes.toFixed(1)} minutes; load average (1, 5, 15 min) at the end ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}.\n`;
writeFileSync(markdown, out);
console.log(`\n[bench] ${chosen.length} benchmarks in ${minutes.toFixed(1)} minutes; reports in ${path.relative(ROOT, markdown)}${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}`);
process.exit(failed.length ? 1 : 0);
