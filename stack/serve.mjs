// Serves the API on emulators. With Java 21+ it runs the official suite; otherwise the offline
// stack: the Firestore stand-in and firebase-tools' Storage emulator in this process, and the
// official Auth, Functions and Hosting emulators (plain Node) in a firebase-tools child process.
// Offline, this process also fires the triggers the official Firestore and Storage emulators would:
// the stand-in's changes go to the Functions emulator through stack/triggers, and the Storage
// emulator is told where the Functions emulator listens.
//
// Ports are firebase.json's; MONTU_<SERVICE>_PORT (HOSTING, FUNCTIONS, FIRESTORE, AUTH, STORAGE,
// HUB, LOGGING) moves one, so a second stack (the end-to-end test) can run beside a developer's.
// MONTU_SEED=0 serves an empty stack.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFirestoreStandIn } from './firestore.mjs';
import { startStorageEmulator } from './storage.mjs';
import { startFirestoreTriggers } from './triggers/firestore-dispatcher.mjs';

const require = createRequire(import.meta.url);
const FIREBASE_CLI = require.resolve('firebase-tools/lib/bin/firebase.js');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROJECT_ID = 'demo-montu';
const CONFIG = JSON.parse(readFileSync(path.join(ROOT, 'firebase.json'), 'utf8'));
const SERVICES = ['hosting', 'functions', 'firestore', 'auth', 'storage', 'hub', 'logging'];
const PORTS = Object.fromEntries(SERVICES.map((s) => [s, Number(process.env[`MONTU_${s.toUpperCase()}_PORT`] || CONFIG.emulators[s].port)]));
const BASE_URL = `http://localhost:${PORTS.hosting}/api/v1`;
const FUNCTIONS_URL = `http://127.0.0.1:${PORTS.functions}`;

/**
 * firebase-tools reads ports from the config file only, and takes the project directory from where
 * that file is: moved ports get a copy of firebase.json beside it, removed on exit.
 */
function configArgs() {
  if (SERVICES.every((s) => PORTS[s] === CONFIG.emulators[s].port)) return [];
  const file = path.join(ROOT, `.serve-${PORTS.hosting}.firebase.json`);
  const emulators = { ...CONFIG.emulators };
  for (const s of SERVICES) emulators[s] = { ...emulators[s], port: PORTS[s] };
  writeFileSync(file, JSON.stringify({ ...CONFIG, emulators }, null, 2));
  process.once('exit', () => rmSync(file, { force: true }));
  return ['--config', path.basename(file)];
}
const CONFIG_ARGS = configArgs();

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

// Child processes and what runs in this process, stopped on Ctrl-C, SIGTERM or failure.
const children = new Set();
const services = [];
let stopping = false;

/** Stops a child (the emulators save nothing, but shut down cleanly on SIGINT) and waits for it. */
async function stopChild(proc, signal = 'SIGINT') {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill(signal);
  await exited;
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  await Promise.all([...children].map((proc) => stopChild(proc)));
  for (const stop of services.reverse()) await stop();
  process.exit(code);
}
process.once('SIGINT', () => shutdown(0));
process.once('SIGTERM', () => shutdown(0));

/** After a step that may outlast a shutdown request: go no further once stopping. */
const unlessStopping = () => (stopping ? new Promise(() => {}) : undefined);

function run(command, args, options) {
  const proc = spawn(command, args, { cwd: ROOT, stdio: 'inherit', ...options });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

/** The firebase-tools child running the emulators. */
let emulators;

/** Starts the emulators in a firebase-tools child; resolves true once Hosting serves the API's health route. */
function startEmulators(only, env) {
  const defaults = {
    // firebase-tools looks for Google credentials, which probes for a Google Cloud metadata
    // server (seconds of timeouts where that address hangs), for a demo project that needs none.
    METADATA_SERVER_DETECTION: 'none',
    // Each function call running at once is a Node worker process; a burst of uploads would start
    // dozens (Storage events are not queued), and on a small machine none of them would get ready
    // within the 30 s the emulator allows: bound the calls at once, and allow slow starts.
    FUNCTIONS_EMULATOR_PARALLEL: '8',
    FUNCTIONS_DISCOVERY_TIMEOUT: '120',
  };
  emulators = run(process.execPath, [FIREBASE_CLI, ...CONFIG_ARGS, 'emulators:start', '--only', only, '--project', PROJECT_ID], { env: { ...defaults, ...process.env, ...env } });
  const exited = new Promise((resolve) => emulators.once('exit', () => resolve(false)));
  return Promise.race([waitFor(`http://127.0.0.1:${PORTS.hosting}/health`, 120_000), exited]);
}

async function startOfficial() {
  if (!(await startEmulators('auth,functions,firestore,storage,hosting', {}))) {
    await stopChild(emulators);
    return null;
  }
  return {
    env: {
      FIRESTORE_EMULATOR_HOST: `127.0.0.1:${PORTS.firestore}`,
      FIREBASE_AUTH_EMULATOR_HOST: `127.0.0.1:${PORTS.auth}`,
      FIREBASE_STORAGE_EMULATOR_HOST: `127.0.0.1:${PORTS.storage}`,
    },
    backends: {
      firestore: `official Firestore emulator (Java) on 127.0.0.1:${PORTS.firestore}`,
      storage: `official Storage emulator (with rules) on 127.0.0.1:${PORTS.storage}`,
      auth: `official Auth emulator on 127.0.0.1:${PORTS.auth}`,
      functions: `official Functions emulator on 127.0.0.1:${PORTS.functions}, Hosting rewrite on :${PORTS.hosting}`,
    },
    triggers: async () => 'delivered by the official Firestore and Storage emulators',
  };
}

async function startOffline() {
  const firestore = await startFirestoreStandIn({ port: PORTS.firestore });
  services.push(() => firestore.stop());
  const storage = await startStorageEmulator({ port: PORTS.storage, projectId: PROJECT_ID, functions: { host: '127.0.0.1', port: PORTS.functions } });
  services.push(() => storage.stop());
  const env = {
    FIRESTORE_EMULATOR_HOST: firestore.host,
    FIREBASE_STORAGE_EMULATOR_HOST: storage.host,
    STORAGE_EMULATOR_HOST: `http://${storage.host}`,
    FIREBASE_AUTH_EMULATOR_HOST: `127.0.0.1:${PORTS.auth}`,
  };
  const up = startEmulators('auth,functions,hosting', env);
  // Subscribed before anything can write; matched once the Functions emulator has its functions.
  const dispatcher = startFirestoreTriggers({ functionsUrl: FUNCTIONS_URL, projectId: PROJECT_ID, subscribe: (listener) => firestore.onDocumentChange(listener), ready: up });
  services.push(() => dispatcher.stop());
  if (!(await up)) {
    console.error('[serve] the Functions/Hosting emulators did not come up; see the log above');
    await shutdown(1);
  }
  return {
    env,
    backends: {
      firestore: `Firestore stand-in (stack/firestore.mjs) on ${firestore.host}`,
      storage: `firebase-tools Storage emulator, in-process (no rules evaluation) on ${storage.host}`,
      auth: `official Auth emulator on 127.0.0.1:${PORTS.auth}`,
      functions: `official Functions emulator on 127.0.0.1:${PORTS.functions}, Hosting rewrite on :${PORTS.hosting}`,
    },
    triggers: offlineTriggerSummary,
  };
}

/** Which event functions fire offline and what fires them, from the Functions emulator's own list. */
async function offlineTriggerSummary() {
  const { backends = [] } = await (await fetch(`${FUNCTIONS_URL}/backends`)).json();
  const groups = { firestore: [], storage: [], other: [] };
  for (const t of backends.flatMap((b) => b.functionTriggers ?? [])) {
    if (!t.eventTrigger) continue;
    const type = t.schedule ? 'schedule' : t.eventTrigger.eventType;
    const group = type.startsWith('google.cloud.firestore.') ? 'firestore' : type.startsWith('google.cloud.storage.') ? 'storage' : 'other';
    groups[group].push(t.entryPoint);
  }
  const lines = [
    `Firestore: ${groups.firestore.join(', ') || 'none'} (CloudEvents from the stand-in's changes, stack/triggers)`,
    `Storage: ${groups.storage.join(', ') || 'none'} (object events from the Storage emulator)`,
  ];
  if (groups.other.length) lines.push(`not fired offline: ${groups.other.join(', ')} (schedules and Pub/Sub need the Pub/Sub emulator)`);
  return lines.join('\n                 ');
}

const wantOfficial = process.env.MONTU_OFFLINE !== '1' && javaMajor() >= 21;
let stack = wantOfficial ? await startOfficial() : null;
if (wantOfficial && !stack) console.log('[serve] the official emulators did not start (Java 21 and the emulator downloads are needed); using the offline stack');
stack ??= await startOffline();
await unlessStopping();

if (process.env.MONTU_SEED === '0') console.log('[serve] not seeding (MONTU_SEED=0)');
else {
  // Not spawnSync: the stand-in answering the seed runs on this process's event loop.
  const seed = run(process.execPath, [path.join(ROOT, 'scripts', 'seed.mjs'), '--if-empty'], { env: { ...process.env, ...stack.env, GCLOUD_PROJECT: PROJECT_ID } });
  const seeded = await new Promise((resolve) => seed.once('exit', (code) => resolve(code === 0)));
  await unlessStopping();
  if (!seeded) console.log('[serve] seeding failed; the API still serves');
}

console.log(`
Montu Manager API is serving.
  API base URL : ${BASE_URL}   (health: http://localhost:${PORTS.hosting}/health, docs: http://localhost:${PORTS.hosting}/docs)
  Firestore    : ${stack.backends.firestore}
  Storage      : ${stack.backends.storage}
  Auth         : ${stack.backends.auth}
  Functions    : ${stack.backends.functions}
  Triggers     : ${await stack.triggers()}
Press Ctrl-C to stop.`);

emulators.once('exit', (code) => shutdown(code ?? 1));
