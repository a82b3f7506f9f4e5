// Serves the API on the official Firebase emulators (stack/emulators.mjs): Auth, Functions,
// Firestore, Hosting, Cloud Tasks (it dispatches the webhook deliveries to the Functions emulator)
// and, where its emulator is installed, Pub/Sub, all through `firebase emulators:start`; Storage in
// this process. Firestore triggers are fired by the Firestore emulator,
// Storage triggers by the Storage emulator's object events. Then seeds the demo data.
//
// Ports are firebase.json's; MONTU_<SERVICE>_PORT (HOSTING, FUNCTIONS, FIRESTORE, AUTH, STORAGE, HUB,
// ...) moves one, so a second stack (the end-to-end test) can run beside a developer's.
// MONTU_SEED=0 serves an empty stack.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configuredPorts, PROJECT_ID, startEmulators } from './emulators.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ports = configuredPorts();
const FUNCTIONS_URL = `http://127.0.0.1:${ports.functions}`;

let stack;
let stopping = false;
const children = new Set();

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGINT');
  await stack?.stop();
  process.exit(code);
}
process.once('SIGINT', () => shutdown(0));
process.once('SIGTERM', () => shutdown(0));
// The in-process Storage emulator serves requests on this event loop: one request's failure is
// logged, and never ends the stack for everyone else.
process.on('unhandledRejection', (err) => console.error('[serve] a request to the Storage emulator failed:', err));

/** Which event functions fire and what fires them, from the Functions emulator's own list. */
async function triggerSummary() {
  const { backends = [] } = await (await fetch(`${FUNCTIONS_URL}/backends`)).json();
  const groups = { firestore: [], storage: [], schedule: [] };
  for (const t of backends.flatMap((b) => b.functionTriggers ?? [])) {
    if (t.schedule) groups.schedule.push(t.entryPoint);
    else if (t.eventTrigger?.eventType.startsWith('google.cloud.firestore.')) groups.firestore.push(t.entryPoint);
    else if (t.eventTrigger?.eventType.startsWith('google.cloud.storage.')) groups.storage.push(t.entryPoint);
  }
  const pubsub = stack.services.includes('pubsub');
  return [
    `Firestore: ${groups.firestore.join(', ') || 'none'} (fired by the Firestore emulator)`,
    `Storage: ${groups.storage.join(', ') || 'none'} (object events from the Storage emulator)`,
    `Schedules: ${groups.schedule.join(', ') || 'none'} (${pubsub ? 'run one now by publishing to its firebase-schedule-<name> topic on the Pub/Sub emulator' : 'not registered: no Pub/Sub emulator is installed'})`,
  ].join('\n                 ');
}

/** The task queue functions the Functions emulator registered with the Cloud Tasks emulator. */
async function taskQueues() {
  const { backends = [] } = await (await fetch(`${FUNCTIONS_URL}/backends`)).json();
  const queues = backends.flatMap((b) => b.functionTriggers ?? []).filter((t) => t.taskQueueTrigger).map((t) => t.entryPoint);
  return queues.join(', ') || 'none';
}

try {
  // NODE_ENV reaches the emulated functions: the runtime parses bodies before the app, and its
  // Express shows a stack trace with file paths for a malformed one unless in production mode.
  stack = await startEmulators({ only: ['auth', 'functions', 'firestore', 'hosting', 'pubsub', 'tasks'], ports, env: { NODE_ENV: 'production' } });
} catch (err) {
  console.error(`[serve] ${err.message}`);
  await shutdown(1);
}
if (stopping) await new Promise(() => {});
stack.child.once('exit', (code) => {
  if (!stopping) console.error(`[serve] the emulators exited (${code}); stopping`);
  shutdown(code ?? 1);
});

if (process.env.MONTU_SEED === '0') console.log('[serve] not seeding (MONTU_SEED=0)');
else {
  // Not spawnSync: the Storage emulator answering the seed runs on this process's event loop.
  const seed = spawn(process.execPath, [path.join(ROOT, 'scripts', 'seed.mjs'), '--if-empty'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...stack.env, GCLOUD_PROJECT: PROJECT_ID },
  });
  children.add(seed);
  const seeded = await new Promise((resolve) => seed.once('exit', (code) => resolve(code === 0)));
  children.delete(seed);
  if (stopping) await new Promise(() => {});
  if (!seeded) console.log('[serve] seeding failed; the API still serves');
}

const { java, firestore } = stack.prerequisites;
console.log(`
Montu Manager API is serving.
  API base URL : http://localhost:${ports.hosting}/api/v1   (health: http://localhost:${ports.hosting}/health, docs: http://localhost:${ports.hosting}/docs)
  Firestore    : the official Cloud Firestore emulator on 127.0.0.1:${ports.firestore} (Java ${java.major} at ${java.home}; ${firestore.source})
  Storage      : firebase-tools' Storage emulator, in-process (no rules evaluation: its rules runtime is a download) on 127.0.0.1:${ports.storage}
  Auth         : the official Auth emulator on 127.0.0.1:${ports.auth}
  Functions    : the official Functions emulator on 127.0.0.1:${ports.functions}, Hosting rewrite on :${ports.hosting}
  Cloud Tasks  : the official Cloud Tasks emulator on 127.0.0.1:${ports.tasks} (queue: ${await taskQueues()}; webhook params from functions/.env.demo-montu)
  Pub/Sub      : ${stack.services.includes('pubsub') ? `the official Pub/Sub emulator on 127.0.0.1:${ports.pubsub} (${stack.prerequisites.pubsub.source})` : 'not installed (only the scheduled feed clean-up needs it)'}
  Triggers     : ${await triggerSummary()}
Press Ctrl-C to stop.`);
