// The attacker's tools for the served stack (issue 20, "what an attacker found"): calls to the
// served API with real ID tokens from its Auth emulator, forged page tokens, the probes a
// non-member makes at another project's task ids, the operator's create-admin script, and a
// Firebase web SDK client (Node) signed in through the Auth emulator and listening to Firestore.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { deleteApp as deleteWebApp, initializeApp as initializeWebApp } from 'firebase/app';
import { connectAuthEmulator, inMemoryPersistence, initializeAuth, signInWithEmailAndPassword } from 'firebase/auth';
import { connectFirestoreEmulator, getFirestore, setLogLevel, type Firestore } from 'firebase/firestore';
import type { Auth } from 'firebase-admin/auth';
import type { DocumentData } from 'firebase-admin/firestore';
import { PROJECT_ID, type Ports } from '../../../stack/emulators.mjs';
import { csv, HEADER } from '../csv-import/helpers.js';
import { signIn, uniqueName } from '../support/context.js';

export interface Reply {
  status: number;
  body: DocumentData;
  headers: Headers;
}

/** One call to the served API: a FormData body goes as multipart, anything else as JSON. */
export type Caller = (method: string, path: string, body?: unknown) => Promise<Reply>;

/** Calls the served API at `base` (…/api/v1) with `bearer` as the Authorization header. */
export function callerAt(base: () => string, bearer: () => string): Caller {
  return async (method, path, body) => {
    const headers: Record<string, string> = { authorization: bearer() };
    let payload: FormData | string | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${base()}${path}`, { method, headers, body: payload });
    const text = await res.text();
    return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text, headers: res.headers };
  };
}

export interface Person {
  uid: string;
  email: string;
  password: string;
  bearer: string;
}

/** A user of the served Auth emulator, signed in there for a real ID token. */
export async function newPerson(auth: Auth, label: string): Promise<Person> {
  const email = `${uniqueName(label)}@studio.test`.toLowerCase();
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const { uid } = await auth.createUser({ email, password });
  return { uid, email, password, bearer: `Bearer ${(await signIn(email, password)).idToken}` };
}

/** A multipart upload of `bytes` as `name` to a task's version. */
export function mediaForm(taskId: string, version: string, name: string, bytes: Uint8Array, type: string): FormData {
  const form = new FormData();
  form.set('task_id', taskId);
  form.set('version', version);
  form.set('file', new Blob([bytes], { type }), name);
  return form;
}

/** A CSV import form: `fields`, and a file of one data row under the importer's header. */
export function csvForm(fields: Record<string, string>, row: string): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set('file', new Blob([csv(HEADER, row)], { type: 'text/csv' }), 'shots.csv');
  return form;
}

/**
 * The forgery: a page token (base64url JSON, readable by whoever holds it) with its query
 * fingerprint left intact and its timestamp cursor set past the year 9999.
 */
export function forgeTimestamp(token: string): string {
  const body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v: unknown[] };
  const isTimestamp = (value: unknown) => value !== null && typeof value === 'object' && '$ts' in value;
  if (!body.v.some(isTimestamp)) throw new Error(`no timestamp in the page token to forge: ${JSON.stringify(body)}`);
  const v = body.v.map((value) => (isTimestamp(value) ? { $ts: [999_999_999_999, 0] } : value));
  return Buffer.from(JSON.stringify({ ...body, v })).toString('base64url');
}

/** What a non-member tries on another project's task id, by route. */
export const TASK_ID_PROBES: [string, (call: Caller, id: string) => Promise<Reply>][] = [
  ['GET /tasks/{id}', (call, id) => call('GET', `/tasks/${id}`)],
  ['PATCH /tasks/{id}', (call, id) => call('PATCH', `/tasks/${id}`, { status: 'on_hold' })],
  ['DELETE /tasks/{id}', (call, id) => call('DELETE', `/tasks/${id}`)],
  ['GET /tasks/{id}/history', (call, id) => call('GET', `/tasks/${id}/history`)],
  ['GET /tasks/{id}/dependencies', (call, id) => call('GET', `/tasks/${id}/dependencies`)],
  ['POST /tasks/{id}/add-field', (call, id) => call('POST', `/tasks/${id}/add-field`, { field_name: 'x', field_value: 1 })],
  ['PATCH /tasks/bulk-update', (call, id) => call('PATCH', '/tasks/bulk-update', [{ task_id: id, updates: { status: 'on_hold' } }])],
  ['POST /media/upload-url', (call, id) => call('POST', '/media/upload-url', { task_id: id, file_name: 'x.exr', file_size: 10 })],
  ['POST /media', (call, id) => call('POST', '/media', mediaForm(id, 'v001', 'x.png', new Uint8Array([1]), 'image/png'))],
];

const run = promisify(execFile);
const CREATE_ADMIN = new URL('../../../scripts/create-admin.mjs', import.meta.url).pathname;

/** Promotes or demotes a global admin as an operator does: `npm run create-admin` against the served emulators. */
export async function createAdminScript(ports: Ports, email: string, revoke = false): Promise<void> {
  const env = { ...process.env, GCLOUD_PROJECT: PROJECT_ID, FIREBASE_AUTH_EMULATOR_HOST: `127.0.0.1:${ports.auth}`, FIRESTORE_EMULATOR_HOST: `127.0.0.1:${ports.firestore}` };
  await run(process.execPath, [CREATE_ADMIN, '--email', email, ...(revoke ? ['--revoke'] : [])], { env });
}

export interface WebClient {
  db: Firestore;
  /** The custom claims of the ID token the client holds (never refreshed here). */
  claims(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** A front end's Firebase web SDK in Node, signed in through the served Auth emulator. */
export async function webClient(ports: Ports, who: Person): Promise<WebClient> {
  // Refused listeners are the point; the SDK would log each one.
  setLogLevel('silent');
  const app = initializeWebApp({ projectId: PROJECT_ID, apiKey: 'demo-api-key' }, uniqueName('web'));
  const auth = initializeAuth(app, { persistence: inMemoryPersistence });
  connectAuthEmulator(auth, `http://127.0.0.1:${ports.auth}`, { disableWarnings: true });
  const db = getFirestore(app);
  connectFirestoreEmulator(db, '127.0.0.1', ports.firestore!);
  const { user } = await signInWithEmailAndPassword(auth, who.email, who.password);
  return { db, claims: async () => (await user.getIdTokenResult()).claims, close: () => deleteWebApp(app) };
}
