// What the client tests need around the served stack: users in its Auth emulator, clients logged
// in through the API, web SDK apps signed in for the listeners, unique names.
import { randomBytes, randomInt } from 'node:crypto';
import { deleteApp, initializeApp } from 'firebase/app';
import { connectAuthEmulator, getAuth, inMemoryPersistence, setPersistence, signInWithEmailAndPassword, type User } from 'firebase/auth';
import { connectFirestoreEmulator, getFirestore, terminate, type Firestore } from 'firebase/firestore';
import { inject } from 'vitest';
import { MontuClient, type MontuClientOptions } from '../../src/index.js';

export const stack = inject('stack');
export const PASSWORD = 'client-test-password';

export function unique(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`.toUpperCase();
}

async function authEmulator(path: string, body: unknown, owner = false): Promise<Record<string, unknown>> {
  const res = await fetch(`http://${stack.authHost}/identitytoolkit.googleapis.com/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(owner ? { authorization: 'Bearer owner' } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${path}: ${JSON.stringify(json)}`);
  return json;
}

/** A user in the stack's Auth emulator (a global admin with `admin`); returns their uid. */
export async function createUser(email: string, options: { admin?: boolean; uid?: string; password?: string } = {}): Promise<string> {
  const { localId } = await authEmulator(`projects/${stack.projectId}/accounts`, { email, password: options.password ?? PASSWORD, ...(options.uid ? { localId: options.uid } : {}) }, true);
  if (options.admin) await authEmulator(`projects/${stack.projectId}/accounts:update`, { localId, customAttributes: JSON.stringify({ admin: true }) }, true);
  return localId as string;
}

/** Task ids are global (episode_sequence_shot_task): each test works in an episode of its own. */
export function newEpisode(): string {
  return `ep${randomInt(100_000, 1_000_000)}`;
}

export function newEmail(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}@studio.test`;
}

/** A client of the served API, logged in through POST /auth/login. */
export async function loggedIn(email: string, options: MontuClientOptions = {}): Promise<MontuClient> {
  const client = new MontuClient({ baseUrl: stack.baseUrl, ...options });
  await client.login(email, PASSWORD);
  return client;
}

/** A studio admin (global admin claim), logged in. */
export async function studioAdmin(): Promise<MontuClient> {
  const email = newEmail('admin');
  await createUser(email, { admin: true });
  return loggedIn(email);
}

/** The web SDK as a browser front end uses it: signed in through the Auth emulator, listeners under firestore.rules. */
export async function webApp(email: string): Promise<{ db: Firestore; user: User; close(): Promise<void> }> {
  const app = initializeApp({ projectId: stack.projectId, apiKey: 'demo-api-key' }, `web-${randomBytes(4).toString('hex')}`);
  const auth = getAuth(app);
  connectAuthEmulator(auth, `http://${stack.authHost}`, { disableWarnings: true });
  await setPersistence(auth, inMemoryPersistence);
  const { user } = await signInWithEmailAndPassword(auth, email, PASSWORD);
  const db = getFirestore(app);
  connectFirestoreEmulator(db, stack.firestoreHost, stack.firestorePort);
  return {
    db,
    user,
    async close() {
      await terminate(db);
      await deleteApp(app);
    },
  };
}
