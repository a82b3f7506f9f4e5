// The emulator stack the serve command, the tests and the benchmarks start (stack/emulators.mjs):
// stacks side by side share nothing, a vanished object is a 404 rather than the end of the
// process, and stopping a stack leaves no process or port behind.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { freePorts, portVariables, startEmulators } from '../../../stack/emulators.mjs';
import { freePort } from '../../../stack/ports.mjs';
import { startStorageEmulator } from '../../../stack/storage.mjs';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUCKET = 'demo-stack.appspot.com';
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops) await stop();
});

async function storage() {
  const emulator = await startStorageEmulator({ port: await freePort(), projectId: 'demo-stack' });
  stops.push(() => emulator.stop());
  return emulator;
}

/** Uploads through the emulator's JSON API, as the admin SDK does. */
async function upload(host: string, name: string, body: string): Promise<number> {
  const url = `http://${host}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=${encodeURIComponent(name)}`;
  const res = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer owner', 'content-type': 'text/plain' }, body });
  return res.status;
}

const download = (host: string, name: string) => fetch(`http://${host}/storage/v1/b/${BUCKET}/o/${encodeURIComponent(name)}?alt=media`, { headers: { authorization: 'Bearer owner' } });

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Storage emulator in-process', () => {
  it('gives each stack its own blob folder: stopping one leaves the other serving its objects', async () => {
    const first = await storage();
    const second = await storage();
    expect(first.blobs).not.toBe(second.blobs);
    expect(path.dirname(first.blobs)).toBe(tmpdir());
    expect(await upload(second.host, 'media/kept.txt', 'kept')).toBe(200);
    await first.stop();
    const res = await download(second.host, 'media/kept.txt');
    expect([res.status, await res.text()]).toEqual([200, 'kept']);
  });

  it('answers 404 for an object whose bytes vanished, and keeps serving', async () => {
    const emulator = await storage();
    expect(await upload(emulator.host, 'media/gone.txt', 'soon gone')).toBe(200);
    for (const file of readdirSync(emulator.blobs)) rmSync(path.join(emulator.blobs, file));
    expect((await download(emulator.host, 'media/gone.txt')).status).toBe(404);
    expect(await upload(emulator.host, 'media/next.txt', 'next')).toBe(200);
    expect(await (await download(emulator.host, 'media/next.txt')).text()).toBe('next');
  });
});

describe('startEmulators', () => {
  // A whole stack: a JVM starting on a 2-core machine takes most of this test's time.
  it('starts the official Firestore emulator, and stopping leaves no process or port behind', { timeout: 60_000 }, async () => {
    const ports = await freePorts();
    const stack = await startEmulators({ only: ['auth', 'firestore'], ports, output: path.join(tmpdir(), `montu-stack-test-${process.pid}.log`) });
    const listed = (await (await fetch(`http://${stack.env.FIREBASE_EMULATOR_HUB}/emulators`)).json()) as Record<string, { pid?: number }>;
    const javaPid = listed.firestore?.pid;
    expect(javaPid).toBeGreaterThan(0);
    expect((await (await fetch(`http://${stack.env.FIRESTORE_EMULATOR_HOST}/`)).text()).trim()).toBe('Ok');
    expect(stack.prerequisites.java.major).toBeGreaterThanOrEqual(21);

    await stack.stop();
    expect(alive(javaPid!)).toBe(false);
    for (const port of [ports.firestore, ports.auth, ports.storage, ports.hub]) expect(await listening(port!)).toBe(false);
  });

  it('leaves no Java emulator behind when the serve command is stopped while the emulators start', { timeout: 90_000 }, async () => {
    const ports = await freePorts();
    const javaOnFirestorePort = () =>
      readdirSync('/proc')
        .filter((entry) => /^\d+$/.test(entry))
        .filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(`--port ${ports.firestore}`);
          } catch {
            return false;
          }
        });
    const env: NodeJS.ProcessEnv = { ...process.env, ...portVariables(ports), MONTU_SEED: '0' };
    for (const name of ['FIRESTORE_EMULATOR_HOST', 'FIREBASE_AUTH_EMULATOR_HOST', 'FIREBASE_STORAGE_EMULATOR_HOST', 'STORAGE_EMULATOR_HOST', 'FIREBASE_EMULATOR_HUB']) delete env[name];
    const serve = spawn(process.execPath, ['stack/serve.mjs'], { cwd: ROOT, env, stdio: 'ignore' });
    const exited = new Promise((resolve) => serve.once('exit', resolve));
    // Ctrl-C once the Firestore emulator's JVM runs, before the stack serves.
    await vi.waitFor(() => expect(javaOnFirestorePort()).not.toEqual([]), { timeout: 60_000, interval: 100 });
    serve.kill('SIGINT');
    await exited;
    await vi.waitFor(() => expect(javaOnFirestorePort()).toEqual([]), { timeout: 5_000, interval: 100 });
    expect(await listening(ports.firestore!)).toBe(false);
  });
});
