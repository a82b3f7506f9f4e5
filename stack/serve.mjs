// Serves the API on emulators. With Java 21+ it runs the official suite; otherwise the offline
// stack: the Firestore stand-in and firebase-tools' Storage emulator in this process, and the
// official Auth, Functions and Hosting emulators (plain Node) in a firebase-tools child process.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFirestoreStandIn } from './firestore.mjs';
import { startStorageEmulator } from './storage.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROJECT_ID = 'demo-montu';
const PORTS = { hosting: 8080, firestore: 8180, auth: 9099, storage: 9199, functions: 5001 };
const BASE_URL = `http://localhost:${PORTS.hosting}/api/v1`;

function javaMajor() {
  const out = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const m = /version "(\d+)/.exec(`${out.stderr ?? ''}${out.stdout ?? ''}`);
  return m ? Number(m[1]) : 0;
}

async function waitFor(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

function firebase(args, env) {
  return spawn('firebase', [...args, '--project', PROJECT_ID], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'inherit' });
}

async function startOfficial() {
  const child = firebase(['emulators:start', '--only', 'auth,functions,firestore,storage,hosting'], {});
  const exited = new Promise((resolve) => child.once('exit', () => resolve(false)));
  const up = await Promise.race([waitFor(`http://127.0.0.1:${PORTS.hosting}/health`, 120_000), exited]);
  if (!up) {
    child.kill('SIGINT');
    return null;
  }
  return {
    child,
    env: {
      FIRESTORE_EMULATOR_HOST: `127.0.0.1:${PORTS.firestore}`,
      FIREBASE_AUTH_EMULATOR_HOST: `127.0.0.1:${PORTS.auth}`,
      FIREBASE_STORAGE_EMULATOR_HOST: `127.0.0.1:${PORTS.storage}`,
    },
    backends: { firestore: 'official Firestore emulator (Java)', storage: 'official Storage emulator (with rules)', auth: 'official Auth emulator', functions: 'official Functions emulator' },
    stop: async () => {},
  };
}

async function startOffline() {
  const firestore = await startFirestoreStandIn({ port: PORTS.firestore });
  const storage = await startStorageEmulator({ port: PORTS.storage, projectId: PROJECT_ID });
  const env = {
    FIRESTORE_EMULATOR_HOST: firestore.host,
    FIREBASE_STORAGE_EMULATOR_HOST: storage.host,
    STORAGE_EMULATOR_HOST: `http://${storage.host}`,
    FIREBASE_AUTH_EMULATOR_HOST: `127.0.0.1:${PORTS.auth}`,
  };
  const child = firebase(['emulators:start', '--only', 'auth,functions,hosting'], env);
  const exited = new Promise((resolve) => child.once('exit', () => resolve(false)));
  const up = await Promise.race([waitFor(`http://127.0.0.1:${PORTS.hosting}/health`, 120_000), exited]);
  if (!up) throw new Error('The Functions/Hosting emulators did not come up; see the log above');
  return {
    child,
    env,
    backends: {
      firestore: `Firestore stand-in (@firestore-emulator/server, patched) on ${firestore.host}`,
      storage: `firebase-tools Storage emulator, in-process (no rules evaluation) on ${storage.host}`,
      auth: `official Auth emulator on 127.0.0.1:${PORTS.auth}`,
      functions: `official Functions emulator on 127.0.0.1:${PORTS.functions}, Hosting rewrite on :${PORTS.hosting}`,
    },
    stop: async () => {
      await storage.stop();
      await firestore.stop();
    },
  };
}

const wantOfficial = process.env.MONTU_OFFLINE !== '1' && javaMajor() >= 21;
let stack = wantOfficial ? await startOfficial() : null;
if (wantOfficial && !stack) console.log('[serve] the official emulators did not start (Java 21 and the emulator downloads are needed); using the offline stack');
stack ??= await startOffline();

const seed = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'seed.mjs'), '--if-empty'], { cwd: ROOT, env: { ...process.env, ...stack.env, GCLOUD_PROJECT: PROJECT_ID }, stdio: 'inherit' });
if (seed.status !== 0) console.log('[serve] seeding failed; the API still serves');

console.log(`
Montu Manager API is serving.
  API base URL : ${BASE_URL}   (health: http://localhost:${PORTS.hosting}/health, docs: http://localhost:${PORTS.hosting}/docs)
  Firestore    : ${stack.backends.firestore}
  Storage      : ${stack.backends.storage}
  Auth         : ${stack.backends.auth}
  Functions    : ${stack.backends.functions}
Press Ctrl-C to stop.`);

const shutdown = async () => {
  stack.child.kill('SIGINT');
  await new Promise((r) => stack.child.once('exit', r));
  await stack.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
stack.child.once('exit', async (code) => {
  await stack.stop();
  process.exit(code ?? 1);
});
