// A served stack for tests: `node stack/serve.mjs` (what `npm run serve` runs) on the given ports,
// in a process group of its own, with its output kept in a log file. Used by the end-to-end tests
// of the functions and of the client package.
import { spawn } from 'node:child_process';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { portVariables } from './emulators.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// What points a process at emulators: an enclosing test run's are not this stack's.
const EMULATOR_VARIABLES = ['FIRESTORE_EMULATOR_HOST', 'FIREBASE_AUTH_EMULATOR_HOST', 'FIREBASE_STORAGE_EMULATOR_HOST', 'STORAGE_EMULATOR_HOST', 'FIREBASE_EMULATOR_HUB'];
const STOP_MS = 40_000;

/**
 * Starts the serve command without demo data (unless `seed`) and resolves once it prints its
 * summary; rejects with the output's tail when it exits or does not come up within `startMs`.
 */
export async function startServedStack({ ports, logFile, startMs = 90_000, seed = false }) {
  const env = { ...process.env, ...portVariables(ports), ...(seed ? {} : { MONTU_SEED: '0' }) };
  for (const name of EMULATOR_VARIABLES) delete env[name];
  writeFileSync(logFile, '');
  const serve = spawn(process.execPath, ['stack/serve.mjs'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const stop = async () => {
    if (serve.exitCode !== null || serve.signalCode !== null) return;
    const exited = new Promise((resolve) => serve.once('exit', resolve));
    serve.kill('SIGTERM');
    const clean = await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), STOP_MS))]);
    if (clean) return;
    process.kill(-serve.pid, 'SIGKILL');
    // What the serve command removes when it stops cleanly.
    rmSync(path.join(ROOT, `.serve-${ports.hub}.firebase.json`), { force: true });
  };
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the served stack did not come up in ${startMs} ms:\n${output.slice(-3000)}`)), startMs);
      const onData = (chunk) => {
        output += chunk.toString();
        appendFileSync(logFile, chunk);
        if (output.includes('Montu Manager API is serving.')) {
          clearTimeout(timer);
          resolve();
        }
      };
      serve.stdout.on('data', onData);
      serve.stderr.on('data', onData);
      serve.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the serve command exited (${code}):\n${output.slice(-3000)}`));
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, output: () => output, stop };
}
