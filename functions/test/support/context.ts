// Per-file test context: the real app against the emulator stack, with its own Firestore database
// (a unique project id on the shared emulator) so test files never see each other's data.
import { randomBytes } from 'node:crypto';
import { initializeApp, type App } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { getFirestore, FieldValue } from 'firebase-admin/firestore';
import { getStorage } from 'firebase-admin/storage';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import { defaultConfig, type AppConfig } from '../../src/config/app-config.js';
import type { AppDeps } from '../../src/config/deps.js';
import type { Permission } from '../../src/auth/caller.js';
import { normalizePermissions } from '../../src/auth/access.js';
import { setGlobalAdmin } from '../../src/auth/admins.js';
import { taskPath } from '../../src/tasks/store.js';

export const AUTH_PROJECT_ID = process.env.GCLOUD_PROJECT ?? 'demo-montu';
let appCount = 0;

export interface TestUser {
  uid: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
  /** `Authorization` header value. */
  bearer: string;
}

/** The document path of task `taskId` of project `projectId` (ids are per project: src/tasks/keys.ts). */
export { taskPath };

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function adminApps(label: string): { authApp: App; dataApp: App; dataProjectId: string } {
  const dataProjectId = uniqueName(`demo-${label}`).toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const n = ++appCount;
  const authApp = initializeApp({ projectId: AUTH_PROJECT_ID, storageBucket: `${dataProjectId}.appspot.com` }, `auth-${label}-${n}`);
  const dataApp = initializeApp({ projectId: dataProjectId }, `data-${label}-${n}`);
  return { authApp, dataApp, dataProjectId };
}

export async function signIn(email: string, password: string): Promise<{ idToken: string; refreshToken: string }> {
  const res = await fetch(`http://${process.env.FIREBASE_AUTH_EMULATOR_HOST}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, returnSecureToken: true }),
  });
  const body = (await res.json()) as { idToken: string; refreshToken: string };
  if (!res.ok) throw new Error(`sign-in failed: ${JSON.stringify(body)}`);
  return body;
}

export function createTestContext(label: string, configOverrides: Partial<AppConfig> = {}) {
  const { authApp, dataApp, dataProjectId } = adminApps(label);
  const db = getFirestore(dataApp);
  db.settings({ ignoreUndefinedProperties: true });
  const deps: AppDeps = {
    db,
    auth: getAuth(authApp),
    bucket: getStorage(authApp).bucket(),
    clock: () => new Date(),
    config: defaultConfig({ projectId: AUTH_PROJECT_ID, ...configOverrides }),
  };
  const app = createApp(deps);
  const http = () => request(app);

  /** Requests to /api/v1 as `user`; `patch` sends If-Match when given one. */
  const as = (user: TestUser) => ({
    get: (path: string) => http().get(`/api/v1${path}`).set('Authorization', user.bearer),
    post: (path: string, body?: unknown) => http().post(`/api/v1${path}`).set('Authorization', user.bearer).send(body as object),
    patch: (path: string, body: unknown, ifMatch?: string) => {
      const req = http().patch(`/api/v1${path}`).set('Authorization', user.bearer);
      return (ifMatch ? req.set('If-Match', ifMatch) : req).send(body as object);
    },
    delete: (path: string) => http().delete(`/api/v1${path}`).set('Authorization', user.bearer),
  });

  async function createUser(options: { admin?: boolean; name?: string; disabled?: boolean } = {}): Promise<TestUser> {
    const email = `${uniqueName(options.name ?? 'user')}@studio.test`.toLowerCase();
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const record = await deps.auth.createUser({ email, password, displayName: options.name ?? email });
    if (options.admin) await setGlobalAdmin(deps, record.uid, true, 'test');
    const tokens = await signIn(email, password);
    if (options.disabled) await deps.auth.updateUser(record.uid, { disabled: true });
    return { uid: record.uid, email, password, token: tokens.idToken, refreshToken: tokens.refreshToken, bearer: `Bearer ${tokens.idToken}` };
  }

  /** Writes a membership document directly (test arrangement, not the API under test). */
  async function addMember(projectId: string, user: TestUser, permissions: Permission[]): Promise<void> {
    await db.doc(`projects/${projectId}/members/${user.uid}`).set({
      uid: user.uid,
      project_id: projectId,
      email: user.email,
      display_name: null,
      permissions: normalizePermissions(permissions),
      added_by: 'test',
      added_at: FieldValue.serverTimestamp(),
    });
  }

  /** Writes a bare project document directly (test arrangement). */
  async function seedProject(id: string, data: Record<string, unknown> = {}): Promise<void> {
    await db.doc(`projects/${id}`).set({ name: id, description: '', status: 'active', created_at: FieldValue.serverTimestamp(), updated_at: FieldValue.serverTimestamp(), ...data });
  }

  /** The document of task `taskId` of project `projectId`. */
  const taskDoc = (projectId: string, taskId: string) => db.doc(taskPath(projectId, taskId));

  return { deps, db, app, http, as, createUser, addMember, seedProject, taskDoc, dataProjectId };
}

export type TestContext = ReturnType<typeof createTestContext>;

/** Asserts the spec's error envelope and returns it. */
export function expectEnvelope(body: unknown, code: string): { code: string; message: string; details: unknown; request_id: string; timestamp: string } {
  const error = (body as { error?: Record<string, unknown> })?.error;
  if (!error || error.code !== code || typeof error.message !== 'string' || typeof error.request_id !== 'string' || typeof error.timestamp !== 'string' || !('details' in error)) {
    throw new Error(`expected error envelope with code ${code}, got ${JSON.stringify(body)}`);
  }
  if (JSON.stringify(body).includes('    at ')) throw new Error('error body leaks a stack trace');
  return error as never;
}
