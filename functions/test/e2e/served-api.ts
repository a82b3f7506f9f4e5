// A served stack for an end-to-end test file: `node stack/serve.mjs` (what `npm run serve` runs
// after building) on free ports without demo data, a studio admin signed in at its Auth emulator,
// and calls to its API through Hosting's /api rewrite. Needs functions/lib built.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { getFirestore, type DocumentData, type Firestore } from 'firebase-admin/firestore';
import { expect } from 'vitest';
import { freePorts, PROJECT_ID, type Ports } from '../../../stack/emulators.mjs';
import { startServedStack, type ServedStack } from '../../../stack/served.mjs';
import { signIn, uniqueName } from '../support/context.js';
import { callerAt, type Caller } from './attacks.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EMULATOR_VARIABLES = ['FIRESTORE_EMULATOR_HOST', 'FIREBASE_AUTH_EMULATOR_HOST', 'FIREBASE_STORAGE_EMULATOR_HOST', 'STORAGE_EMULATOR_HOST'] as const;

export interface ServedApi {
  served: ServedStack;
  ports: Ports;
  /** Admin SDK clients of the served stack. */
  admin: App;
  db: Firestore;
  /** `Authorization` value of the seeded studio admin (a global admin). */
  bearer: string;
  /** The studio admin's uid (a global admin, and admin of every project it creates). */
  adminUid: string;
  logFile: string;
  /** A call to the served API (through Hosting's /api rewrite) as the studio admin. */
  api: Caller;
  createProject(config?: DocumentData): Promise<string>;
  createTask(projectId: string, shot: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startServedApi(label: string): Promise<ServedApi> {
  expect(existsSync(`${ROOT}functions/lib/index.js`), 'functions/lib is not built: run npm run build').toBe(true);
  const logFile = path.join(tmpdir(), `montu-${label}-${process.pid}.log`);
  const ports = await freePorts();
  console.log(`[e2e] the served stack logs to ${logFile}`);
  // No demo data: the test makes what it needs, and the seed's own trigger work stays out of it.
  const served = await startServedStack({ ports, logFile });
  // This file's clients read the served stack (each test file runs in its own process).
  const savedEnv = Object.fromEntries(EMULATOR_VARIABLES.map((name) => [name, process.env[name]]));
  process.env.FIRESTORE_EMULATOR_HOST = `127.0.0.1:${ports.firestore}`;
  process.env.FIREBASE_AUTH_EMULATOR_HOST = `127.0.0.1:${ports.auth}`;
  const admin = initializeApp({ projectId: PROJECT_ID }, uniqueName('served'));
  const db = getFirestore(admin);
  const stop = async () => {
    await deleteApp(admin);
    await served.stop();
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  let bearer: string;
  let adminUid: string;
  try {
    // A studio admin in the served Auth emulator, signed in there for a real ID token.
    const email = `${uniqueName('admin')}@studio.test`;
    ({ uid: adminUid } = await getAuth(admin).createUser({ email, password: 'e2e-password' }));
    await getAuth(admin).setCustomUserClaims(adminUid, { admin: true });
    bearer = `Bearer ${(await signIn(email, 'e2e-password')).idToken}`;
  } catch (err) {
    await stop();
    throw err;
  }

  const api = callerAt(() => `http://127.0.0.1:${ports.hosting}/api/v1`, () => bearer);

  return {
    served,
    ports,
    admin,
    db,
    bearer,
    adminUid,
    logFile,
    api,
    async createProject(config: DocumentData = {}) {
      const id = uniqueName('E2E').toUpperCase().replace(/-/g, '_');
      const res = await api('POST', '/projects', { id, name: `End to end ${id}`, ...config });
      expect(res.status).toBe(201);
      return id;
    },
    async createTask(projectId, shot) {
      const res = await api('POST', '/tasks', { project_id: projectId, episode: 'Ep01', sequence: 'sq0010', shot, task: 'comp' });
      expect(res.status).toBe(201);
      return res.body.id as string;
    },
    stop,
  };
}
