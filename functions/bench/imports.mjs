// Imports a 50,000-row shot list through the async job handler into the local offline stack and
// prints rows per second, the importer's peak memory (sampled every 50 ms, with the stack in a
// child process so its growing store is not counted) and the time to the first progress updates.
// Run: npx tsc -p tsconfig.build.json && node --expose-gc bench/imports.mjs [rows]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { getStorage } from 'firebase-admin/storage';

if (process.argv[2] === '--stack') {
  // The child: runs the offline stack and reports its environment.
  const { startOfflineStackOnFreePorts } = await import('../../stack/offline.mjs');
  const stack = await startOfflineStackOnFreePorts();
  process.send(stack.env);
  process.on('disconnect', async () => {
    await stack.stop();
    process.exit(0);
  });
} else {
  const ROWS = Number(process.argv[2] ?? 50_000);
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const child = fork(fileURLToPath(import.meta.url), ['--stack'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const env = await new Promise((resolve) => child.once('message', resolve));
  Object.assign(process.env, env);
  // Loaded after the environment points at the stack.
  const { processImportJob } = await import('../lib/imports/job-handler.js');
  const { ImportJobStore } = await import('../lib/imports/store.js');

  const app = initializeApp({ projectId: 'demo-bench-imports', storageBucket: 'demo-bench-imports.appspot.com' }, 'bench');
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  const bucket = getStorage(app).bucket();
  const deps = { db, bucket, clock: () => new Date() };

  await db.doc('projects/SWA').set({ name: 'SWA', status: 'active', task_types: ['comp', 'lighting', 'fx'] });

  const lines = ['Episode,Sequence,Shot,Task,Artist,Status,Priority,Frame In,Frame Out,Deadline,Estimated Hours,Description'];
  for (let i = 0; i < ROWS; i++) {
    const sq = String(Math.floor(i / 100) * 10 + 10).padStart(4, '0');
    const sh = String((i % 100) * 10 + 10).padStart(4, '0');
    lines.push(`ep01,sq${sq},sh${sh},comp,artist${i % 7},not_started,medium,1001,${1100 + (i % 50)},2026-03-01,${(i % 16) + 1},shot ${i}`);
  }
  const file = Buffer.from(`${lines.join('\n')}\n`);
  lines.length = 0;

  const jobs = new ImportJobStore(db, bucket);
  const jobId = jobs.newId();
  const key = await jobs.saveSource(jobId, file, { project_id: 'SWA', job_id: jobId, uploaded_by: 'bench' });
  await jobs.create(jobId, { project_id: 'SWA', created_by: 'bench', existing: 'skip', naming_pattern: null, file_name: 'shots.csv', size_bytes: file.length }, key);

  const mb = (n) => `${(n / 1024 / 1024).toFixed(0)} MB`;
  global.gc?.();
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 50);

  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let firstUpdate;
  let firstRows;
  // Live heap (after a full GC) as the import passes each quarter: flat means it does not grow with rows.
  const liveHeap = [];
  const unsubscribe = db.doc(`import_jobs/${jobId}`).onSnapshot((snap) => {
    const t = performance.now() - started;
    if (firstUpdate === undefined && snap.get('total_rows') > 0) firstUpdate = t;
    if (firstRows === undefined && snap.get('processed_rows') > 0) firstRows = t;
    const percent = snap.get('progress_percent');
    if (global.gc && percent >= (liveHeap.length + 1) * 25 && liveHeap.length < 3) {
      global.gc();
      liveHeap.push(`${percent}%: ${mb(process.memoryUsage().heapUsed)}`);
    }
  });

  await processImportJob({ id: 'bench', params: { jobId } }, deps);
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  clearInterval(sampler);
  unsubscribe();

  const job = (await db.doc(`import_jobs/${jobId}`).get()).data();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const [load1] = (await import('node:os')).loadavg();
  console.log(`CSV import benchmark: ${ROWS} rows (${mb(file.length)} file), async job handler, offline stack (load average ${load1.toFixed(1)})`);
  console.log(`  status ${job.status}: created ${job.created_tasks}, invalid ${job.invalid_tasks}, ${job.error ?? 'no error'}`);
  console.log(`  total ${(elapsed / 1000).toFixed(1)} s, ${(ROWS / (elapsed / 1000)).toFixed(0)} rows/s`);
  console.log(`  importer CPU ${cpuSeconds.toFixed(1)} s (${((cpuSeconds * 1e6) / ROWS).toFixed(0)} µs per row: at most ${(ROWS / cpuSeconds).toFixed(0)} rows/s on one core; the rest is the stack)`);
  console.log(`  first progress update (row count known) after ${(firstUpdate / 1000).toFixed(2)} s; first rows written reported after ${(firstRows / 1000).toFixed(2)} s`);
  console.log(`  importer memory: baseline heap ${mb(baseline.heapUsed)}, peak heap ${mb(peakHeap)}, peak RSS ${mb(peakRss)}; live heap at ${liveHeap.join(', ') || 'n/a (run with --expose-gc)'}`);

  child.disconnect();
  process.exit(job.status === 'completed' ? 0 : 1);
}
