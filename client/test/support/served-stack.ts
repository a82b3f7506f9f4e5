// One served stack for the whole client test run: `node stack/serve.mjs` (what `npm run serve`
// runs) on free ports, without demo data. The test files reach it through inject('stack').
// Needs functions/lib built (`npm run build`). MONTU_SERVED_PORTS (the JSON of a stack's ports,
// as stack/emulators.mjs names them) uses a stack that is already serving instead.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { freePorts, portVariables, PROJECT_ID, type Ports } from '../../../stack/emulators.mjs';

export interface ServedStack {
  /** The API's base URL, as the spec writes it but on this stack's Hosting port. */
  baseUrl: string;
  authHost: string;
  firestoreHost: string;
  firestorePort: number;
  projectId: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: ServedStack;
  }
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// Emulator start-up dominates; this is what it takes here with the other test runs beside it.
const START_MS = 90_000;
const STOP_MS = 40_000;
const EMULATOR_VARIABLES = ['FIRESTORE_EMULATOR_HOST', 'FIREBASE_AUTH_EMULATOR_HOST', 'FIREBASE_STORAGE_EMULATOR_HOST', 'STORAGE_EMULATOR_HOST', 'FIREBASE_EMULATOR_HUB'];

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.MONTU_SERVED_PORTS) {
    project.provide('stack', stackAt(JSON.parse(process.env.MONTU_SERVED_PORTS) as Ports));
    return async () => {};
  }
  if (!existsSync(path.join(ROOT, 'functions/lib/index.js'))) throw new Error('functions/lib is not built: run npm run build first');
  const ports = await freePorts();
  const log = path.join(tmpdir(), `montu-client-stack-${process.pid}.log`);
  writeFileSync(log, '');
  console.log(`[client tests] the served stack logs to ${log}`);
  const env: NodeJS.ProcessEnv = { ...process.env, MONTU_SEED: '0', ...portVariables(ports) };
  // Emulators of an enclosing run are not this stack's.
  for (const name of EMULATOR_VARIABLES) delete env[name];
  // Its own process group, so whatever it starts can be stopped with it.
  const serve = spawn(process.execPath, ['stack/serve.mjs'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const stop = () => stopServe(serve, ports);
  try {
    await untilServing(serve, log);
  } catch (err) {
    await stop();
    throw err;
  }
  project.provide('stack', stackAt(ports));
  return stop;
}

function stackAt(ports: Ports): ServedStack {
  return {
    baseUrl: `http://127.0.0.1:${ports.hosting}/api/v1`,
    authHost: `127.0.0.1:${ports.auth}`,
    firestoreHost: '127.0.0.1',
    firestorePort: ports.firestore!,
    projectId: PROJECT_ID,
  };
}

function untilServing(serve: ChildProcess, log: string): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the served stack did not come up in ${START_MS} ms:\n${output.slice(-3000)}`)), START_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      appendFileSync(log, chunk);
      if (output.includes('Montu Manager API is serving.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    serve.stdout!.on('data', onData);
    serve.stderr!.on('data', onData);
    serve.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the serve command exited (${code}):\n${output.slice(-3000)}`));
    });
  });
}

async function stopServe(serve: ChildProcess, ports: Ports): Promise<void> {
  if (serve.exitCode !== null || serve.signalCode !== null) return;
  const exited = new Promise((resolve) => serve.once('exit', resolve));
  serve.kill('SIGTERM');
  const clean = await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), STOP_MS))]);
  if (clean) return;
  process.kill(-serve.pid!, 'SIGKILL');
  // What the serve command removes when it stops cleanly.
  rmSync(path.join(ROOT, `.serve-${ports.hub}.firebase.json`), { force: true });
}
