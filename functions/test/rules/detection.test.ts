// The rules tests check with these probes that they were given emulators that evaluate rules; the
// probes themselves are tested here against fakes and against the test run's official emulator.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../stack/ports.mjs';
import { javaMajorVersion } from '../../../stack/prerequisites.mjs';
import { probeFirestoreRules, probeStorageRules } from './emulators.js';

type Handler = (method: string, url: string) => { status: number; body: string };

const servers: Server[] = [];

async function fake(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const { status, body } = handler(req.method ?? '', req.url ?? '');
      res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Answers like the official Firestore emulator: "Ok" at the root, 200 for rules. */
const officialFirestore: Handler = (method, url) =>
  method === 'GET' && url === '/'
    ? { status: 200, body: 'Ok\n' }
    : method === 'PUT' && url === '/emulator/v1/projects/demo-rules-probe:securityRules'
      ? { status: 200, body: '{}' }
      : { status: 404, body: 'Not Found' };

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('Firestore rules probe', () => {
  it("accepts the test run's official Firestore emulator", async () => {
    const probe = await probeFirestoreRules(process.env.FIRESTORE_EMULATOR_HOST);
    expect(probe).toEqual({ ok: true, host: '127.0.0.1', port: Number(process.env.FIRESTORE_EMULATOR_HOST!.split(':')[1]) });
  });

  it('accepts an emulator that answers like the official one', async () => {
    const host = await fake(officialFirestore);
    const probe = await probeFirestoreRules(host);
    expect(probe.ok).toBe(true);
    if (probe.ok) expect(`${probe.host}:${probe.port}`).toBe(host);
  });

  it('refuses a server that answers something else at the root, or refuses rules', async () => {
    const other = await fake(() => ({ status: 404, body: 'nope' }));
    expect(await probeFirestoreRules(other)).toEqual({
      ok: false,
      reason: `the Firestore emulator at ${other} is not the official one (GET / answered 404 "nope"), so it cannot evaluate security rules`,
    });
    const noRules = await fake((method, url) => (method === 'GET' ? officialFirestore(method, url) : { status: 404, body: 'Not Found' }));
    expect(await probeFirestoreRules(noRules)).toEqual({
      ok: false,
      reason: `the Firestore emulator at ${noRules} does not accept security rules (PUT :securityRules answered 404 "Not Found")`,
    });
  });

  it('refuses a closed port and an unset host', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const probe = await probeFirestoreRules(closed);
    expect(probe).toEqual({ ok: false, reason: `the Firestore emulator at ${closed} is not the official one (GET / failed (ECONNREFUSED)), so it cannot evaluate security rules` });
    expect(await probeFirestoreRules(undefined)).toEqual({ ok: false, reason: 'FIRESTORE_EMULATOR_HOST is not set' });
  });
});

describe('Storage rules probe', () => {
  it('accepts a Storage emulator the Emulator hub lists', async () => {
    const storage = await fake(() => ({ status: 200, body: '' }));
    const port = Number(storage.split(':')[1]);
    const hub = await fake((_m, url) => (url === '/emulators' ? { status: 200, body: JSON.stringify({ storage: { name: 'storage', host: '127.0.0.1', port } }) } : { status: 404, body: '' }));
    const probe = await probeStorageRules(storage, hub);
    expect(probe.ok).toBe(true);
  });

  it('refuses a Storage emulator without a hub, or one the hub does not list', async () => {
    const storage = await fake(() => ({ status: 200, body: '' }));
    const noHub = await probeStorageRules(storage, undefined);
    expect(noHub.ok).toBe(false);
    if (!noHub.ok) expect(noHub.reason).toBe(`the Storage emulator at ${storage} is not one the Firebase CLI started, so it cannot evaluate security rules (its rules runtime is a download this machine cannot make); FIREBASE_EMULATOR_HUB is not set`);
    const hub = await fake(() => ({ status: 200, body: JSON.stringify({ firestore: { host: '127.0.0.1', port: 8180 } }) }));
    const unlisted = await probeStorageRules(storage, hub);
    expect(unlisted.ok).toBe(false);
    if (!unlisted.ok) expect(unlisted.reason).toMatch(/lists no Storage emulator on port \d+$/);
    expect(await probeStorageRules(undefined, hub)).toEqual({ ok: false, reason: 'FIREBASE_STORAGE_EMULATOR_HOST is not set' });
  });
});

describe('Java version parsing (the Firestore emulator needs 21+)', () => {
  it('reads modern and legacy version strings', () => {
    expect(javaMajorVersion('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(javaMajorVersion('openjdk version "25.0.3" 2026-04-21 LTS')).toBe(25);
    expect(javaMajorVersion('java version "1.8.0_392"')).toBe(8);
    expect(javaMajorVersion('openjdk version "21" 2023-09-19')).toBe(21);
    expect(javaMajorVersion('command not found')).toBeNull();
  });
});
