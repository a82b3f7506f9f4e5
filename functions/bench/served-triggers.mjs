// Triggers on the served offline stack (stack/serve.mjs, as `npm run serve` runs it): how long the
// stack takes to serve, how long a PATCHed task waits for its feed message (warm functions), and
// how long a bulk update of N tasks takes until every per-task message is written.
// Run: npx tsc -p tsconfig.build.json && node bench/served-triggers.mjs [tasks=200]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initializeApp } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { getFirestore } from 'firebase-admin/firestore';
import { freePort } from '../../stack/ports.mjs';

const N = Number(process.argv[2] ?? 200);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVICES = ['hosting', 'functions', 'firestore', 'auth', 'storage', 'hub', 'logging'];
const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()])));
const env = { ...process.env, MONTU_OFFLINE: '1', MONTU_SEED: '0' };
for (const name of ['FIRESTORE_EMULATOR_HOST', 'FIREBASE_AUTH_EMULATOR_HOST', 'FIREBASE_STORAGE_EMULATOR_HOST', 'STORAGE_EMULATOR_HOST']) delete env[name];
for (const s of SERVICES) env[`MONTU_${s.toUpperCase()}_PORT`] = String(ports[s]);

const started = performance.now();
const serve = spawn(process.execPath, ['stack/serve.mjs'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve, reject) => {
  let out = '';
  serve.stdout.on('data', (chunk) => {
    out += chunk;
    if (out.includes('Montu Manager API is serving.')) resolve();
  });
  serve.once('exit', (code) => reject(new Error(`serve exited (${code})`)));
});
const serveSeconds = (performance.now() - started) / 1000;

Object.assign(process.env, { FIRESTORE_EMULATOR_HOST: `127.0.0.1:${ports.firestore}`, FIREBASE_AUTH_EMULATOR_HOST: `127.0.0.1:${ports.auth}`, METADATA_SERVER_DETECTION: 'none' });
const app = initializeApp({ projectId: 'demo-montu' }, 'bench');
const db = getFirestore(app);
const { uid } = await getAuth(app).createUser({ email: 'bench@studio.test', password: 'bench-password' });
await getAuth(app).setCustomUserClaims(uid, { admin: true });
const signIn = await fetch(`http://127.0.0.1:${ports.auth}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=bench`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email: 'bench@studio.test', password: 'bench-password', returnSecureToken: true }),
});
const bearer = `Bearer ${(await signIn.json()).idToken}`;
const api = async (method, path, body) => {
  const res = await fetch(`http://127.0.0.1:${ports.hosting}/api/v1${path}`, { method, headers: { authorization: bearer, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
};
const events = (projectId) => db.collection(`projects/${projectId}/events`).where('type', '==', 'task_updated');
async function until(check) {
  for (;;) {
    if (await check()) return performance.now();
    await new Promise((r) => setTimeout(r, 20));
  }
}

await api('POST', '/projects', { id: 'BENCH', name: 'Bench' });
const ids = [];
for (let i = 0; i < N; i++) ids.push((await api('POST', '/tasks', { project_id: 'BENCH', episode: 'Ep01', sequence: 'sq0010', shot: `SH${String(i).padStart(4, '0')}`, task: 'comp' })).id);
await until(async () => (await db.collection('projects/BENCH/events').count().get()).data().count >= N);

// One PATCH at a time, functions warm: API answer -> feed message written.
const latencies = [];
for (let i = 0; i < 10; i++) {
  const t0 = performance.now();
  await api('PATCH', `/tasks/${ids[i]}`, { milestone_note: `note ${i}` });
  const answered = performance.now();
  const done = await until(async () => (await events('BENCH').where('data.task_id', '==', ids[i]).count().get()).data().count > 0);
  latencies.push({ api: answered - t0, message: done - answered });
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const before = (await events('BENCH').count().get()).data().count;
const t0 = performance.now();
await api('PATCH', '/tasks/bulk-update', ids.map((id) => ({ task_id: id, updates: { priority: 'high' } })));
const answered = performance.now();
const done = await until(async () => (await events('BENCH').count().get()).data().count >= before + N);

console.log(`serve command until "serving" (no seed): ${serveSeconds.toFixed(1)} s`);
console.log(`PATCH /tasks/{id}: API ${median(latencies.map((l) => l.api)).toFixed(0)} ms, then its feed message ${median(latencies.map((l) => l.message)).toFixed(0)} ms later (median of 10, warm)`);
console.log(`bulk update of ${N} tasks: API ${(answered - t0).toFixed(0)} ms, all ${N} per-task messages ${((done - answered) / 1000).toFixed(1)} s later (${((N * 1000) / (done - answered)).toFixed(0)} trigger calls/s, audit and feed per call)`);

serve.kill('SIGTERM');
await new Promise((resolve) => serve.once('exit', resolve));
process.exit(0);
