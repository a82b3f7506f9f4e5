// The front-end helper (web SDK listeners) against the test stack, as a real front end uses it:
// the web SDK signs in through the Auth emulator as a user who is a member (read) of the projects
// it listens to, and the Firestore emulator evaluates firestore.rules on every listener. Channels
// map to the right listeners, messages arrive in order, useTasks keeps its state live, and a
// channel of a project the user is not a member of is refused. The trigger handlers are invoked
// with CloudEvents as the deployed triggers would be.
import { deleteApp, initializeApp, type FirebaseApp } from 'firebase/app';
import { connectAuthEmulator, getAuth, inMemoryPersistence, setPersistence, signInWithEmailAndPassword } from 'firebase/auth';
import { connectFirestoreEmulator, getFirestore, type Firestore } from 'firebase/firestore';
import { FieldValue } from 'firebase-admin/firestore';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseChannel, subscribe, useTasks, type ReactHooks, type ReceivedMessage } from '../../../client/src/realtime.js';
import { feedEventDoc, writeFeedEvent } from '../../src/realtime/feed.js';
import { publishAnnotationWrite, publishMediaWrite, publishTaskWrite } from '../../src/realtime/triggers.js';
import { createTestContext, uniqueName, type TestUser } from '../support/context.js';
import { writeEvent } from './cloud-events.js';
import { channelOutcome } from '../support/channels.js';

const ctx = createTestContext('realtime-client');
const admin = ctx.db;
const apps: FirebaseApp[] = [];
/** The web SDK signed in as `member`, a user with 'read' on each project a test makes (`memberOf`). */
let web: Firestore;
let member: TestUser;

const soon = { timeout: 5000, interval: 20 };

/** A web SDK client (its own Firebase app) signed in through the Auth emulator as `user`. */
async function signedInClient(user: TestUser): Promise<{ db: Firestore; uid: string }> {
  const app = initializeApp({ projectId: ctx.dataProjectId, apiKey: 'demo-api-key' }, uniqueName('web'));
  apps.push(app);
  const auth = getAuth(app);
  connectAuthEmulator(auth, `http://${process.env.FIREBASE_AUTH_EMULATOR_HOST}`, { disableWarnings: true });
  await setPersistence(auth, inMemoryPersistence);
  const { user: signedIn } = await signInWithEmailAndPassword(auth, user.email, user.password);
  const db = getFirestore(app);
  const [host, port] = process.env.FIRESTORE_EMULATOR_HOST!.split(':');
  connectFirestoreEmulator(db, host!, Number(port));
  return { db, uid: signedIn.uid };
}

/** Gives the signed-in web user read access to a project, as the API's member endpoints do. */
const memberOf = (projectId: string) => ctx.addMember(projectId, member, ['read']);

beforeAll(async () => {
  member = await ctx.createUser({ name: 'listener' });
  const client = await signedInClient(member);
  expect(client.uid).toBe(member.uid);
  web = client.db;
});

afterAll(async () => {
  await Promise.all(apps.map((app) => deleteApp(app)));
});

const task = (projectId: string, status = 'not_started') => ({ project_id: projectId, status, updated_by: 'artist-1', updated_at: FieldValue.serverTimestamp() });

describe('parseChannel', () => {
  it('reads spec channel paths and URLs', () => {
    expect(parseChannel('/ws/tasks/SWA')).toEqual({ kind: 'tasks', id: 'SWA' });
    expect(parseChannel('ws://localhost:8080/ws/media/SWA?token=jwt_token_here')).toEqual({ kind: 'media', id: 'SWA' });
    expect(parseChannel('/ws/annotations/media_123/')).toEqual({ kind: 'annotations', id: 'media_123' });
    expect(() => parseChannel('/ws/users/SWA')).toThrow('Unknown real-time channel /ws/users/SWA');
  });
});

describe('channels', () => {
  it('/ws/tasks/{project}: the project\'s tasks live, and task messages published after subscribing, in order', async () => {
    const p = uniqueName('PRJ');
    await memberOf(p);
    await admin.doc(`tasks/${p}_a`).set(task(p));
    await admin.doc(`tasks/other_${p}`).set(task('OTHER'));
    await writeFeedEvent(admin, p, feedEventDoc('task_updated', 'earlier', { task_id: `${p}_a`, changes: {} }));

    let docs: string[] = [];
    const messages: ReceivedMessage[] = [];
    let ready = false;
    const stop = subscribe(web, `/ws/tasks/${p}`, {
      onDocuments: (records) => (docs = records.map((r) => r.id).sort()),
      onMessage: (m) => messages.push(m),
      onReady: () => (ready = true),
    });
    await vi.waitFor(() => expect(ready).toBe(true), soon);
    expect(docs).toEqual([`${p}_a`]);

    const created = await writeEvent(admin.doc(`tasks/${p}_b`), (r) => r.create(task(p)));
    await publishTaskWrite(admin, created);
    const updated = await writeEvent(admin.doc(`tasks/${p}_a`), (r) => r.update({ status: 'in_progress', updated_by: 'supervisor' }));
    await publishTaskWrite(admin, updated);
    await writeFeedEvent(admin, p, feedEventDoc('tasks_bulk_updated', 'supervisor', { task_ids: [`${p}_a`, `${p}_b`], operation: 'update_status', changes: { status: 'on_hold' } }));
    await writeFeedEvent(admin, p, feedEventDoc('media_uploaded', 'artist-1', { media: { id: 'm1' } }));

    await vi.waitFor(() => expect(messages.map((m) => m.type)).toEqual(['task_created', 'task_updated', 'tasks_bulk_updated']), soon);
    expect(messages[1]).toEqual({
      id: `${updated.id}_task_updated`,
      type: 'task_updated',
      data: { task_id: `${p}_a`, changes: { status: 'in_progress' }, user: 'supervisor', timestamp: updated.time },
    });
    expect(messages[2]?.data).toMatchObject({ task_ids: [`${p}_a`, `${p}_b`], operation: 'update_status', user: 'supervisor' });
    await vi.waitFor(() => expect(docs).toEqual([`${p}_a`, `${p}_b`]), soon);
    stop();
  });

  it('/ws/media/{project}: the project\'s media and media messages only', async () => {
    const p = uniqueName('PRJ');
    await memberOf(p);
    let docs: string[] = [];
    const messages: ReceivedMessage[] = [];
    let ready = false;
    const stop = subscribe(web, `/ws/media/${p}`, { onDocuments: (records) => (docs = records.map((r) => r.id)), onMessage: (m) => messages.push(m), onReady: () => (ready = true) });
    await vi.waitFor(() => expect(ready).toBe(true), soon);
    const media = admin.doc(`media/${p}_m1`);
    await publishMediaWrite(admin, await writeEvent(media, (r) => r.create({ project_id: p, status: 'active', approval_status: 'pending', updated_by: 'artist-1' })));
    await publishTaskWrite(admin, await writeEvent(admin.doc(`tasks/${p}_t`), (r) => r.create(task(p))));
    await publishMediaWrite(admin, await writeEvent(media, (r) => r.update({ approval_status: 'approved', updated_by: 'supervisor' })));
    await vi.waitFor(() => expect(messages.map((m) => m.type)).toEqual(['media_uploaded', 'media_approved']), soon);
    await vi.waitFor(() => expect(docs).toEqual([`${p}_m1`]), soon);
    stop();
  });

  it('/ws/annotations/{media}: finds the media\'s project, and gives that media\'s annotations and messages only', async () => {
    const p = uniqueName('PRJ');
    await memberOf(p);
    await admin.doc(`media/${p}_m1`).set({ project_id: p, status: 'active' });
    await admin.doc(`annotations/${p}_old`).set({ project_id: p, media_id: `${p}_m1`, content: 'earlier' });
    await admin.doc(`annotations/${p}_elsewhere`).set({ project_id: p, media_id: `${p}_m2`, content: 'other media' });
    let docs: string[] = [];
    const messages: ReceivedMessage[] = [];
    let ready = false;
    const stop = subscribe(web, `/ws/annotations/${p}_m1`, {
      onDocuments: (records) => (docs = records.map((r) => r.id).sort()),
      onMessage: (m) => messages.push(m),
      onReady: () => (ready = true),
    });
    await vi.waitFor(() => expect(ready).toBe(true), soon);
    expect(docs).toEqual([`${p}_old`]);

    const note = admin.doc(`annotations/${p}_new`);
    await publishAnnotationWrite(admin, await writeEvent(admin.doc(`annotations/${p}_x`), (r) => r.create({ project_id: p, media_id: `${p}_m2`, content: 'not mine' })));
    await publishAnnotationWrite(admin, await writeEvent(note, (r) => r.create({ project_id: p, media_id: `${p}_m1`, content: 'Shadows', updated_by: 'reviewer' })));
    await publishAnnotationWrite(admin, await writeEvent(note, (r) => r.update({ status: 'resolved', updated_by: 'artist-1' })));
    await vi.waitFor(() => expect(messages.map((m) => m.type)).toEqual(['annotation_created', 'annotation_updated']), soon);
    expect(messages[0]?.data).toMatchObject({ annotation: { id: `${p}_new`, media_id: `${p}_m1`, content: 'Shadows' }, user: 'reviewer' });
    await vi.waitFor(() => expect(docs).toEqual([`${p}_new`, `${p}_old`]), soon);
    stop();
  });

  it('reports an unknown media on the annotations channel: refused for a member (the rules do not tell missing from forbidden), not found for a global admin', async () => {
    const refused = await new Promise<Error>((resolve) => subscribe(web, '/ws/annotations/no_such_media', { onError: resolve, onDocuments: () => {} }));
    expect((refused as { code?: string }).code).toBe('permission-denied');
    const { db: asAdmin } = await signedInClient(await ctx.createUser({ name: 'studio-admin', admin: true }));
    const error = await new Promise<Error>((resolve) => subscribe(asAdmin, '/ws/annotations/no_such_media', { onError: resolve, onDocuments: () => {} }));
    expect(error.message).toBe('Media no_such_media not found');
  });

  it('refuses every channel of a project the signed-in user is not a member of, until they are made one', async () => {
    const p = uniqueName('PRJ');
    await admin.doc(`tasks/${p}_a`).set(task(p));
    await admin.doc(`media/${p}_m1`).set({ project_id: p, status: 'active' });
    const open = (channel: string) => channelOutcome(web, channel);
    for (const channel of [`/ws/tasks/${p}`, `/ws/media/${p}`, `/ws/annotations/${p}_m1`]) expect(await open(channel)).toBe('permission-denied');
    await memberOf(p);
    expect(await open(`/ws/tasks/${p}`)).toBe('ready');
  });
});

/** A minimal hooks runtime: renders, runs effects whose deps changed, re-renders on state changes. */
function renderHook<T>(render: (hooks: ReactHooks) => T) {
  const states: unknown[] = [];
  const effectDeps: (readonly unknown[] | undefined)[] = [];
  const cleanups: ((() => void) | undefined)[] = [];
  let result!: T;
  let scheduled = false;
  let unmounted = false;

  function run() {
    scheduled = false;
    if (unmounted) return;
    let stateIndex = 0;
    let effectIndex = 0;
    const pending: (() => void)[] = [];
    const hooks: ReactHooks = {
      useState<S>(initial: S): [S, (value: S) => void] {
        const i = stateIndex++;
        if (!(i in states)) states[i] = initial;
        return [
          states[i] as S,
          (value: S) => {
            states[i] = value;
            if (!scheduled) {
              scheduled = true;
              queueMicrotask(run);
            }
          },
        ];
      },
      useEffect(effect, deps) {
        const i = effectIndex++;
        const previous = effectDeps[i];
        if (previous && previous.length === deps.length && previous.every((d, k) => Object.is(d, deps[k]))) return;
        effectDeps[i] = deps;
        pending.push(() => {
          cleanups[i]?.();
          cleanups[i] = effect() ?? undefined;
        });
      },
    };
    result = render(hooks);
    for (const effect of pending) effect();
  }

  run();
  return {
    current: () => result,
    unmount() {
      unmounted = true;
      for (const cleanup of cleanups) cleanup?.();
    },
  };
}

describe('useTasks on listeners', () => {
  it('loads the project\'s tasks, follows changes, hides archived ones and stops on unmount', async () => {
    const p = uniqueName('PRJ');
    await memberOf(p);
    await admin.doc(`tasks/${p}_a`).set(task(p, 'in_progress'));
    await admin.doc(`tasks/${p}_b`).set(task(p, 'not_started'));
    await admin.doc(`tasks/${p}_gone`).set(task(p, 'archived'));

    const hook = renderHook((react) => useTasks(react, web, p));
    expect(hook.current()).toEqual({ tasks: [], loading: true, error: null });
    await vi.waitFor(() => expect(hook.current().tasks.map((t) => t.id)).toEqual([`${p}_a`, `${p}_b`]), soon);
    expect(hook.current().loading).toBe(false);

    await admin.doc(`tasks/${p}_b`).update({ status: 'completed', artist: 'john_doe' });
    await vi.waitFor(() => expect(hook.current().tasks.find((t) => t.id === `${p}_b`)).toMatchObject({ status: 'completed', artist: 'john_doe' }), soon);
    expect(typeof hook.current().tasks[0]?.updated_at).toBe('string');

    hook.unmount();
    await admin.doc(`tasks/${p}_c`).set(task(p));
    await new Promise((r) => setTimeout(r, 300));
    expect(hook.current().tasks.map((t) => t.id)).toEqual([`${p}_a`, `${p}_b`]);
  });

  it('applies filters as equality constraints', async () => {
    const p = uniqueName('PRJ');
    await memberOf(p);
    await admin.doc(`tasks/${p}_a`).set(task(p, 'in_progress'));
    await admin.doc(`tasks/${p}_b`).set(task(p, 'not_started'));
    await admin.doc(`tasks/${p}_c`).set(task(p, 'on_hold'));
    const hook = renderHook((react) => useTasks(react, web, p, { status: ['in_progress', 'on_hold'] }));
    await vi.waitFor(() => expect(hook.current().tasks.map((t) => t.id)).toEqual([`${p}_a`, `${p}_c`]), soon);
    hook.unmount();
  });
});
