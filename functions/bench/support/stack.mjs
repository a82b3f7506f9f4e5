// The one place benchmarks get their emulators from.
//
// startBenchStack(): the official emulators as the tests start them (stack/emulators.mjs:
// `startEmulators({ only: ['auth', 'firestore'], ports: await freePorts(), output: <log> })`, Storage
// in-process), run in a child process so that the benchmark's own CPU and memory figures are its
// own. Under `npm run bench` (all.mjs) one stack serves every benchmark in turn: all.mjs passes its
// hosts in MONTU_BENCH_STACK, and each benchmark then starts from empty Firestore projects and no
// Auth users instead of paying the emulators' start-up again.
//
// startServedStack(): the served stack, `node stack/serve.mjs` (what `npm run serve` runs) on free
// ports without the seed, as functions/test/e2e/served-stack.test.ts starts it.
import { fork } from 'node:child_process';
import { initializeApp } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { getFirestore } from 'firebase-admin/firestore';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../../stack/emulators.mjs';
import { startServedStack as startServed } from '../../../stack/served.mjs';

export const PROJECT_ID = 'demo-montu';
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Starts the emulators in a child process; resolves `{ env, firestore, log, stop }`. */
export async function startStackProcess(name) {
  const log = path.join(tmpdir(), `montu-bench-${name}-${process.pid}.log`);
  const child = fork(fileURLToPath(new URL('./stack-process.mjs', import.meta.url)), [log], {
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const info = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the benchmark's emulators exited (${code}); their log: ${log}`)));
  });
  if (info.error) throw new Error(info.error);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    ...info,
    log,
    async stop() {
      if (child.exitCode === null) child.disconnect();
      await exited;
    },
  };
}

/** Empties Firestore's `projects` and the Auth emulator's users (the emulators' own reset endpoints). */
async function clearEmulators(env, projects) {
  const reset = async (url) => {
    const res = await fetch(url, { method: 'DELETE' });
    if (!res.ok) throw new Error(`DELETE ${url}: ${res.status} ${await res.text()}`);
  };
  for (const p of new Set(projects)) await reset(`http://${env.FIRESTORE_EMULATOR_HOST}/emulator/v1/projects/${p}/databases/(default)/documents`);
  await reset(`http://${env.FIREBASE_AUTH_EMULATOR_HOST}/emulator/v1/projects/${PROJECT_ID}/accounts`);
}

/**
 * The emulators for one benchmark, with their hosts in process.env (set before the benchmark loads
 * firebase-admin's services or the app). `projects`: the Firestore project ids it writes to, emptied
 * first and after when the stack is shared.
 */
export async function startBenchStack({ name, projects = [PROJECT_ID] }) {
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  process.env.GCLOUD_PROJECT ??= PROJECT_ID;
  const shared = process.env.MONTU_BENCH_STACK ? JSON.parse(process.env.MONTU_BENCH_STACK) : null;
  const started = performance.now();
  const stack = shared ?? (await startStackProcess(name));
  const startSeconds = (performance.now() - started) / 1000;
  Object.assign(process.env, stack.env);
  if (shared) await clearEmulators(stack.env, projects);
  return {
    env: stack.env,
    firestore: stack.firestore,
    log: stack.log,
    shared: Boolean(shared),
    startSeconds,
    async stop() {
      if (shared) await clearEmulators(stack.env, projects);
      else await stack.stop();
    },
  };
}

/** An Auth emulator user signed in through its REST API: `{ uid, bearer }`. */
export async function signedInUser(auth, email, { admin = false, password = 'bench-password', displayName } = {}) {
  const user = await auth.createUser({ email, password, ...(displayName ? { displayName } : {}) });
  if (admin) await auth.setCustomUserClaims(user.uid, { admin: true });
  const res = await fetch(`http://${process.env.FIREBASE_AUTH_EMULATOR_HOST}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=bench`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, returnSecureToken: true }),
  });
  const body = await res.json();
  if (!body.idToken) throw new Error(`sign-in of ${email} failed: ${JSON.stringify(body)}`);
  return { uid: user.uid, bearer: `Bearer ${body.idToken}` };
}

/**
 * The life of most benchmarks: their stack up, `run` (which prints into `report`), the stack down
 * whatever happened, the report closed, and the process ended (clients keep sockets open).
 */
export async function runOnBenchStack(options, report, run) {
  const stack = await startBenchStack(options);
  try {
    await run();
  } finally {
    await stack.stop();
  }
  report.finish({ stack: stack.firestore });
  process.exit(0);
}

/**
 * `node stack/serve.mjs` on free ports, not seeded, its output in a log file. Resolves
 * `{ ports, seconds (until it printed that it serves), log, stop }`. Needs functions/lib built.
 */
export async function startServedStack({ timeoutMs = 180_000 } = {}) {
  const log = path.join(tmpdir(), `montu-bench-served-${process.pid}.log`);
  const started = performance.now();
  const served = await startServed({ ports: await freePorts(), logFile: log, startMs: timeoutMs });
  return { ports: served.ports, seconds: (performance.now() - started) / 1000, log, stop: served.stop };
}

/**
 * What a benchmark drives a served stack with: firebase-admin's Firestore on it (its hosts in
 * process.env), a global admin signed in at its Auth emulator, and `api(method, path, body)`, a
 * JSON call through its Hosting rewrite as that admin that throws on an error status.
 * `admins` > 1 signs in that many (`api.as(i)` calls as the i-th): the API allows each user 600
 * requests a minute.
 */
export async function servedSession(served, email, { admins = 1 } = {}) {
  const { ports } = served;
  Object.assign(process.env, { FIRESTORE_EMULATOR_HOST: `127.0.0.1:${ports.firestore}`, FIREBASE_AUTH_EMULATOR_HOST: `127.0.0.1:${ports.auth}`, METADATA_SERVER_DETECTION: 'none' });
  const app = initializeApp({ projectId: PROJECT_ID }, 'bench');
  const users = [];
  for (let i = 0; i < admins; i++) users.push(await signedInUser(getAuth(app), i ? email.replace('@', `+${i}@`) : email, { admin: true }));
  const as = (i) => async (method, path, body) => {
    const res = await fetch(`http://127.0.0.1:${ports.hosting}/api/v1${path}`, { method, headers: { authorization: users[i % admins].bearer, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return { db: getFirestore(app), admin: users[0], api: Object.assign(as(0), { as }) };
}

/** Resolves performance.now() once `check()` holds, asking every `intervalMs`. */
export async function until(check, intervalMs = 20) {
  for (;;) {
    if (await check()) return performance.now();
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
