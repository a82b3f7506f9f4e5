// Starts the official Firebase emulators the way a Firebase developer does: `firebase
// emulators:start --only ...` from firebase.json, in a child process. Storage is the one exception:
// firebase-tools' Storage emulator needs a rules runtime it downloads, so where that cannot be had it
// runs in this process without rules (stack/storage.mjs), sending its object events to the Functions
// emulator. Used by the serve command, the test setup and the benchmarks.
//
// firebase-tools reads ports from the config file only, and takes the project directory from where
// that file is: a stack on other ports gets a copy of firebase.json beside it, removed on stop.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.mjs';
import { findEmulatorPrerequisites } from './prerequisites.mjs';
import { startStorageEmulator } from './storage.mjs';

const require = createRequire(import.meta.url);
const FIREBASE_CLI = require.resolve('firebase-tools/lib/bin/firebase.js');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PROJECT_ID = 'demo-montu';
export const CONFIG = JSON.parse(readFileSync(path.join(ROOT, 'firebase.json'), 'utf8'));

/** Every port a stack listens on; firebase.json names each one. */
export const PORT_NAMES = ['hosting', 'functions', 'firestore', 'firestoreWebSocket', 'auth', 'storage', 'pubsub', 'hub', 'logging', 'eventarc', 'tasks'];

/** The variable that moves one port: MONTU_HOSTING_PORT, MONTU_FIRESTORE_WEB_SOCKET_PORT, ... */
const portVariable = (name) => `MONTU_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_PORT`;

/** firebase.json's ports, each moved by its MONTU_<NAME>_PORT variable. */
export function configuredPorts(env = process.env) {
  const e = CONFIG.emulators;
  const base = { ...Object.fromEntries(PORT_NAMES.map((n) => [n, e[n]?.port])), firestoreWebSocket: e.firestore.websocketPort };
  return Object.fromEntries(PORT_NAMES.map((n) => [n, Number(env[portVariable(n)] || base[n])]));
}

/** The variables that give a serve command these ports. */
export function portVariables(ports) {
  return Object.fromEntries(PORT_NAMES.map((n) => [portVariable(n), String(ports[n])]));
}

/** A free loopback port for every service: a stack beside a served one. */
export async function freePorts() {
  return Object.fromEntries(await Promise.all(PORT_NAMES.map(async (n) => [n, await freePort()])));
}

function configArgs(ports) {
  const same = PORT_NAMES.every((n) => ports[n] === configuredPorts({})[n]);
  if (same) return { args: [], remove: () => {} };
  const file = path.join(ROOT, `.serve-${ports.hub}.firebase.json`);
  const emulators = { ...CONFIG.emulators };
  for (const n of PORT_NAMES) if (emulators[n]) emulators[n] = { ...emulators[n], port: ports[n] };
  emulators.firestore = { ...emulators.firestore, websocketPort: ports.firestoreWebSocket };
  writeFileSync(file, JSON.stringify({ ...CONFIG, emulators }, null, 2));
  const remove = () => {
    rmSync(file, { force: true });
    process.off('exit', remove);
  };
  process.once('exit', remove);
  return { args: ['--config', path.basename(file)], remove };
}

async function answers(url, check = (res) => res.ok) {
  try {
    return await check(await fetch(url, { signal: AbortSignal.timeout(3000) }));
  } catch {
    return false;
  }
}

/** What tells that a service is ready to serve (the hub lists the rest once started). */
function readinessProbes(ports) {
  return {
    firestore: () => answers(`http://127.0.0.1:${ports.firestore}/`, async (res) => res.ok && (await res.text()).trim() === 'Ok'),
    auth: () => answers(`http://127.0.0.1:${ports.auth}/emulator/v1/projects/${PROJECT_ID}/config`),
    hosting: () => answers(`http://127.0.0.1:${ports.hosting}/health`),
  };
}

/**
 * Starts the emulators named in `only` (firebase-tools names: auth, firestore, functions, hosting,
 * pubsub, tasks, ...) plus, with `storage`, firebase-tools' Storage emulator (in this process where
 * firebase-tools has no rules runtime for it).
 * `output`: 'inherit' to show the emulators' log, or a file path to write it to.
 * Resolves `{ env, ports, prerequisites, stop }` once every service answers; rejects with the
 * reason (and the log's tail) when one does not, or when a prerequisite is missing.
 */
export async function startEmulators({ only, storage = true, ports, output = 'inherit', env = {}, timeoutMs = 120_000 }) {
  const prerequisites = findEmulatorPrerequisites(process.env);
  if (prerequisites.problem) throw Object.assign(new Error(prerequisites.problem), { code: 'MISSING_PREREQUISITE' });
  const services = only.filter((s) => s !== 'pubsub' || prerequisites.pubsub);
  // firebase-tools runs Storage itself where it has the rules runtime; elsewhere this process does.
  const inProcessStorage = storage && !prerequisites.storageRules;
  if (storage && !inProcessStorage) services.push('storage');
  const hosts = {
    FIRESTORE_EMULATOR_HOST: `127.0.0.1:${ports.firestore}`,
    FIREBASE_AUTH_EMULATOR_HOST: `127.0.0.1:${ports.auth}`,
    FIREBASE_STORAGE_EMULATOR_HOST: `127.0.0.1:${ports.storage}`,
    STORAGE_EMULATOR_HOST: `http://127.0.0.1:${ports.storage}`,
    FIREBASE_EMULATOR_HUB: `127.0.0.1:${ports.hub}`,
    ...(services.includes('pubsub') ? { PUBSUB_EMULATOR_HOST: `127.0.0.1:${ports.pubsub}` } : {}),
    ...(services.includes('tasks') ? { CLOUD_TASKS_EMULATOR_HOST: `127.0.0.1:${ports.tasks}` } : {}),
  };
  const stops = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  try {
    // Storage first: the Functions emulator's workers get its address from the environment.
    if (inProcessStorage) {
      const store = await startStorageEmulator({ port: ports.storage, projectId: PROJECT_ID, functions: services.includes('functions') ? { host: '127.0.0.1', port: ports.functions } : undefined });
      stops.push(() => store.stop());
    }
    const config = configArgs(ports);
    stops.push(async () => config.remove());
    const child = spawnEmulators(services, config.args, { ...hosts, ...prerequisites.env, ...env }, output, [ports.firestore, ports.pubsub, ports.storage]);
    stops.push(() => child.stop());
    await child.ready(services, readinessProbes(ports), ports, timeoutMs);
    await child.adoptEmulatorProcesses(ports);
    return { env: hosts, ports, services, prerequisites, child: child.process, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The Java emulators listening on these ports, by their command line (Linux's /proc): found even
 * before the hub lists them, so a stack stopped while starting leaves none behind.
 */
function javaEmulatorsOn(ports) {
  if (!existsSync('/proc')) return [];
  const onPort = new RegExp(`--port[= ](${ports.join('|')})(\\s|$)`);
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (command.includes('java') && onPort.test(command)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function spawnEmulators(services, configArgs, env, output, javaPorts) {
  const childEnv = {
    ...process.env,
    // firebase-tools looks for Google credentials, which probes for a metadata server (seconds of
    // timeouts where that address hangs), for a demo project that needs none.
    METADATA_SERVER_DETECTION: 'none',
    // Each function call running at once is a Node worker process: bound them on a small machine,
    // and give workers time to load when many start together.
    FUNCTIONS_EMULATOR_PARALLEL: '8',
    FUNCTIONS_DISCOVERY_TIMEOUT: '120',
    ...env,
  };
  const toFile = output !== 'inherit';
  // Its own process group, so the Java emulators it starts stop with it even when it is killed.
  const proc = spawn(process.execPath, [FIREBASE_CLI, ...configArgs, 'emulators:start', '--only', services.join(','), '--project', PROJECT_ID], {
    cwd: ROOT,
    env: childEnv,
    detached: true,
    stdio: toFile ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
  });
  let tail = '';
  if (toFile) {
    const file = createWriteStream(output);
    const keep = (chunk) => {
      file.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    proc.once('exit', () => file.end());
  }
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  // firebase-tools starts each Java emulator in a process group of its own: when it cannot stop
  // them itself (killed, or too slow), they are stopped by the pids the hub lists and by the ports
  // on their command lines.
  const emulatorPids = new Set();
  const kill = (pid) => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const killGroup = () => {
    kill(-proc.pid);
    for (const pid of new Set([...emulatorPids, ...javaEmulatorsOn(javaPorts)])) kill(pid);
  };
  process.once('exit', killGroup);

  return {
    process: proc,
    async ready(names, probes, ports, timeoutMs) {
      const hub = `http://127.0.0.1:${ports.hub}/emulators`;
      const deadline = Date.now() + timeoutMs;
      let gone = false;
      exited.then(() => (gone = true));
      while (Date.now() < deadline && !gone) {
        const listed = await answers(hub, async (res) => (res.ok ? Object.keys(await res.json()) : false));
        if (listed && names.every((n) => listed.includes(n))) {
          const checks = await Promise.all(Object.entries(probes).filter(([n]) => names.includes(n)).map(([, probe]) => probe()));
          if (checks.every(Boolean)) return;
        }
        await new Promise((r) => setTimeout(r, 300));
      }
      const why = gone ? 'exited' : `did not answer within ${timeoutMs / 1000} s`;
      throw new Error(`The emulators (${names.join(', ')}) ${why}.${toFile ? `\nTheir log (${output}) ends with:\n${tail}` : ''}`);
    },
    async adoptEmulatorProcesses(ports) {
      const listed = await answers(`http://127.0.0.1:${ports.hub}/emulators`, async (res) => (res.ok ? res.json() : false));
      for (const info of Object.values(listed || {})) if (Number.isInteger(info.pid)) emulatorPids.add(info.pid);
    },
    /** SIGINT lets firebase-tools stop its emulators; the group is killed if that takes too long. */
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        try {
          process.kill(-proc.pid, 'SIGINT');
        } catch {
          // already gone
        }
        const timer = setTimeout(killGroup, 15_000);
        await exited;
        clearTimeout(timer);
      }
      killGroup();
      process.off('exit', killGroup);
    },
  };
}
