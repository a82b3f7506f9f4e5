// firestore.rules under the official Firestore emulator: every collection and path, for a project
// member, a member without 'read', a user of another project, an anonymous caller and a global
// admin, reading, listing, listening and writing. Never skipped: the test setup starts the official
// emulator, and without it this file fails.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { assertFails, assertSucceeds, initializeTestEnvironment, type RulesTestEnvironment } from '@firebase/rules-unit-testing';
import {
  collection,
  collectionGroup,
  deleteDoc,
  doc,
  getDoc,
  getDocFromServer,
  getDocs,
  getDocsFromServer,
  onSnapshot,
  orderBy,
  query,
  setDoc,
  setLogLevel,
  updateDoc,
  where,
  type Firestore,
} from 'firebase/firestore';
import { initializeApp } from 'firebase-admin/app';
import { getAuth, type Auth } from 'firebase-admin/auth';
import { getFirestore, type Firestore as AdminFirestore } from 'firebase-admin/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setGlobalAdmin } from '../../src/auth/admins.js';
import { AUTH_PROJECT_ID, taskPath } from '../support/context.js';
import { channelOutcome } from '../support/channels.js';
import { serverSnapshots } from '../support/server-snapshots.js';
import { firestoreRulesTarget } from './emulators.js';

// Refused requests are the point here; the SDK would log each one.
setLogLevel('silent');

const target = await firestoreRulesTarget();

const RULES = readFileSync(new URL('../../../firestore.rules', import.meta.url), 'utf8');

const SHARED_TASK = 'ep01_sq0010_sh0010_comp';

/** The project-scoped collections: top-level documents carrying `project_id`. */
const SCOPED = ['tasks', 'media', 'annotations', 'import_jobs'] as const;

describe('firestore.rules', () => {
  let env: RulesTestEnvironment;
  // The caller kinds of the matrix.
  let member: Firestore;
  let noRead: Firestore;
  let stranger: Firestore;
  let anonymous: Firestore;
  let admin: Firestore;

  beforeAll(async () => {
    env = await initializeTestEnvironment({
      projectId: `demo-rules-${randomBytes(4).toString('hex')}`,
      firestore: { host: target.host, port: target.port, rules: RULES },
    });
    await env.withSecurityRulesDisabled(async (ctx) => {
      const db = ctx.firestore() as unknown as Firestore;
      const writes: Promise<void>[] = [
        // What setGlobalAdmin writes for a global admin: the rules read this, not the claim.
        setDoc(doc(db, 'admins/root'), { uid: 'root' }),
        setDoc(doc(db, 'projects/SWA'), { name: 'Star Wars Andor', status: 'active' }),
        setDoc(doc(db, 'projects/OTHER'), { name: 'Other show', status: 'active' }),
        setDoc(doc(db, 'projects/SWA/members/member'), { uid: 'member', project_id: 'SWA', permissions: ['read'] }),
        setDoc(doc(db, 'projects/SWA/members/writer'), { uid: 'writer', project_id: 'SWA', permissions: ['read', 'write'] }),
        setDoc(doc(db, 'projects/SWA/members/no-read'), { uid: 'no-read', project_id: 'SWA', permissions: [] }),
        setDoc(doc(db, 'projects/OTHER/members/stranger'), { uid: 'stranger', project_id: 'OTHER', permissions: ['read', 'write', 'admin'] }),
        setDoc(doc(db, 'projects/SWA/events/e1'), { type: 'task_updated', data: { task_id: 'swa_1', changes: { status: 'in_progress' } }, created_at: new Date() }),
        setDoc(doc(db, 'projects/OTHER/events/e2'), { type: 'task_updated', data: { task_id: 'other_1', changes: {} }, created_at: new Date() }),
        setDoc(doc(db, 'audit_logs/a1'), { project_id: 'SWA', collection: 'tasks', document_id: 'swa_1', action: 'update' }),
        setDoc(doc(db, 'users/member'), { email: 'member@studio.test' }),
        setDoc(doc(db, 'versions/v1'), { project_id: 'SWA' }),
        setDoc(doc(db, 'directory_operations/d1'), { project_id: 'SWA' }),
        setDoc(doc(db, 'projects/SWA/webhooks/w1'), { project_id: 'SWA', url: 'https://hooks.studio.test/montu', active: true }),
        setDoc(doc(db, 'projects/SWA/webhooks/w1/deliveries/d1'), { webhook_id: 'w1', status: 'delivered' }),
        setDoc(doc(db, 'webhook_secrets/w1'), { project_id: 'SWA', current: 'whsec_test' }),
      ];
      for (const c of SCOPED) {
        writes.push(setDoc(doc(db, `${c}/swa_1`), { project_id: 'SWA', media_id: 'swa_media', status: 'active' }));
        writes.push(setDoc(doc(db, `${c}/swa_2`), { project_id: 'SWA', media_id: 'swa_media', status: 'active' }));
        writes.push(setDoc(doc(db, `${c}/other_1`), { project_id: 'OTHER', media_id: 'other_media', status: 'active' }));
      }
      await Promise.all(writes);
    });
    const as = (uid: string, claims?: Record<string, unknown>) => env.authenticatedContext(uid, claims).firestore() as unknown as Firestore;
    member = as('member');
    noRead = as('no-read');
    stranger = as('stranger');
    anonymous = env.unauthenticatedContext().firestore() as unknown as Firestore;
    admin = as('root', { admin: true });
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  describe('tasks under their per-project keys', () => {
    it("each project's task of a shared id is readable by that project's members only", async () => {
      // One task id in two projects: two documents under their keys (removed after, so the other tests' counts hold).
      const arrange = (write: (db: Firestore, project: string) => Promise<void>) =>
        env.withSecurityRulesDisabled(async (ctx) => {
          const db = ctx.firestore() as unknown as Firestore;
          await Promise.all(['SWA', 'OTHER'].map((project) => write(db, project)));
        });
      await arrange((db, project) => setDoc(doc(db, taskPath(project, SHARED_TASK)), { id: SHARED_TASK, project_id: project, status: project === 'SWA' ? 'in_progress' : 'on_hold' }));
      const read = async (db: Firestore, project: string) => (await getDoc(doc(db, taskPath(project, SHARED_TASK)))).get('status');
      expect(await assertSucceeds(read(member, 'SWA'))).toBe('in_progress');
      expect(await assertSucceeds(read(stranger, 'OTHER'))).toBe('on_hold');
      await assertFails(read(member, 'OTHER'));
      await assertFails(read(stranger, 'SWA'));
      const mine = await assertSucceeds(getDocs(query(collection(member, 'tasks'), where('project_id', '==', 'SWA'), where('id', '==', SHARED_TASK))));
      expect(mine.docs.map((d) => d.get('project_id'))).toEqual(['SWA']);
      // Looking an id up across projects is the API's (it resolves within the caller's projects).
      await assertFails(getDocs(query(collection(member, 'tasks'), where('id', '==', SHARED_TASK))));
      await arrange((db, project) => deleteDoc(doc(db, taskPath(project, SHARED_TASK))));
    });
  });

  describe('projects', () => {
    it('members and admins read their project; others do not', async () => {
      await assertSucceeds(getDoc(doc(member, 'projects/SWA')));
      await assertSucceeds(getDoc(doc(admin, 'projects/SWA')));
      await assertFails(getDoc(doc(member, 'projects/OTHER')));
      await assertFails(getDoc(doc(noRead, 'projects/SWA')));
      await assertFails(getDoc(doc(stranger, 'projects/SWA')));
      await assertFails(getDoc(doc(anonymous, 'projects/SWA')));
    });

    it('only global admins list every project', async () => {
      const all = await assertSucceeds(getDocs(collection(admin, 'projects')));
      expect(all.docs.map((d) => d.id).sort()).toEqual(['OTHER', 'SWA']);
      await assertFails(getDocs(collection(member, 'projects')));
      await assertFails(getDocs(collection(anonymous, 'projects')));
    });

    it('a token that still claims admin without the admins document (a demoted admin) gets no more than a stranger', async () => {
      const exAdmin = env.authenticatedContext('ex-admin', { admin: true }).firestore() as unknown as Firestore;
      await assertFails(getDoc(doc(exAdmin, 'projects/SWA')));
      await assertFails(getDocs(collection(exAdmin, 'projects')));
      await assertFails(getDocs(query(collection(exAdmin, 'tasks'), where('project_id', '==', 'SWA'))));
    });

    it('nobody writes projects from a client', async () => {
      for (const db of [member, stranger, anonymous, admin]) {
        await assertFails(setDoc(doc(db, 'projects/NEW'), { name: 'New' }));
        await assertFails(updateDoc(doc(db, 'projects/SWA'), { name: 'Renamed' }));
        await assertFails(deleteDoc(doc(db, 'projects/SWA')));
      }
    });
  });

  describe('memberships', () => {
    it('a user reads their own membership documents, not other members\'', async () => {
      await assertSucceeds(getDoc(doc(member, 'projects/SWA/members/member')));
      await assertSucceeds(getDoc(doc(noRead, 'projects/SWA/members/no-read')));
      await assertFails(getDoc(doc(member, 'projects/SWA/members/writer')));
      await assertFails(getDoc(doc(stranger, 'projects/SWA/members/member')));
      await assertFails(getDoc(doc(anonymous, 'projects/SWA/members/member')));
      await assertSucceeds(getDoc(doc(admin, 'projects/SWA/members/writer')));
    });

    it('a user lists the projects they belong to with a collection-group query on their uid', async () => {
      const mine = await assertSucceeds(getDocs(query(collectionGroup(stranger, 'members'), where('uid', '==', 'stranger'))));
      expect(mine.docs.map((d) => d.ref.path)).toEqual(['projects/OTHER/members/stranger']);
      await assertFails(getDocs(query(collectionGroup(stranger, 'members'), where('uid', '==', 'member'))));
      await assertFails(getDocs(collectionGroup(member, 'members')));
      await assertFails(getDocs(collection(member, 'projects/SWA/members')));
      await assertSucceeds(getDocs(collection(admin, 'projects/SWA/members')));
    });

    it('nobody writes memberships from a client (a user cannot grant themselves access)', async () => {
      await assertFails(setDoc(doc(stranger, 'projects/SWA/members/stranger'), { uid: 'stranger', permissions: ['read'] }));
      await assertFails(updateDoc(doc(member, 'projects/SWA/members/member'), { permissions: ['read', 'write', 'admin'] }));
      await assertFails(deleteDoc(doc(admin, 'projects/SWA/members/member')));
    });
  });

  describe('the event feed', () => {
    it('members and admins read and list their project\'s events; others do not', async () => {
      const feed = await assertSucceeds(getDocs(query(collection(member, 'projects/SWA/events'), orderBy('created_at'))));
      expect(feed.docs.map((d) => d.id)).toEqual(['e1']);
      await assertSucceeds(getDoc(doc(member, 'projects/SWA/events/e1')));
      await assertSucceeds(getDocs(collection(admin, 'projects/OTHER/events')));
      await assertFails(getDocs(collection(member, 'projects/OTHER/events')));
      await assertFails(getDocs(collection(noRead, 'projects/SWA/events')));
      await assertFails(getDocs(collection(stranger, 'projects/SWA/events')));
      await assertFails(getDocs(collection(anonymous, 'projects/SWA/events')));
      await assertFails(getDocs(collectionGroup(member, 'events')));
    });

    it('nobody writes events from a client', async () => {
      await assertFails(setDoc(doc(member, 'projects/SWA/events/fake'), { type: 'task_updated' }));
      await assertFails(deleteDoc(doc(admin, 'projects/SWA/events/e1')));
    });
  });

  for (const name of SCOPED) {
    describe(name, () => {
      it('members read their project\'s documents, not another project\'s', async () => {
        await assertSucceeds(getDoc(doc(member, `${name}/swa_1`)));
        await assertFails(getDoc(doc(member, `${name}/other_1`)));
        await assertFails(getDoc(doc(noRead, `${name}/swa_1`)));
        await assertFails(getDoc(doc(stranger, `${name}/swa_1`)));
        await assertFails(getDoc(doc(anonymous, `${name}/swa_1`)));
        await assertSucceeds(getDoc(doc(admin, `${name}/other_1`)));
      });

      it('a query for the member\'s project is allowed; for another project, or unconstrained, refused', async () => {
        const own = await assertSucceeds(getDocs(query(collection(member, name), where('project_id', '==', 'SWA'))));
        expect(own.docs.map((d) => d.id).sort()).toEqual(['swa_1', 'swa_2']);
        await assertFails(getDocs(query(collection(member, name), where('project_id', '==', 'OTHER'))));
        await assertFails(getDocs(collection(member, name)));
        await assertFails(getDocs(query(collection(stranger, name), where('project_id', '==', 'SWA'))));
        await assertFails(getDocs(query(collection(anonymous, name), where('project_id', '==', 'SWA'))));
        const all = await assertSucceeds(getDocs(collection(admin, name)));
        expect(all.size).toBe(3);
      });

      it('nobody writes from a client, members and admins included', async () => {
        for (const db of [member, stranger, anonymous, admin]) {
          await assertFails(setDoc(doc(db, `${name}/new_one`), { project_id: 'SWA' }));
          await assertFails(updateDoc(doc(db, `${name}/swa_1`), { status: 'archived' }));
          await assertFails(deleteDoc(doc(db, `${name}/swa_1`)));
        }
      });
    });
  }

  it('the annotations channel query (media + project) is allowed for members', async () => {
    const snap = await assertSucceeds(getDocs(query(collection(member, 'annotations'), where('project_id', '==', 'SWA'), where('media_id', '==', 'swa_media'))));
    expect(snap.size).toBe(2);
    await assertFails(getDocs(query(collection(member, 'annotations'), where('media_id', '==', 'swa_media'))));
  });

  it('a listener on the member\'s own tasks is allowed and one on another project\'s is refused', async () => {
    const ids = await new Promise<string[]>((resolve, reject) => {
      const stop = onSnapshot(
        query(collection(member, 'tasks'), where('project_id', '==', 'SWA')),
        (snap) => {
          stop();
          resolve(snap.docs.map((d) => d.id).sort());
        },
        reject,
      );
    });
    expect(ids).toEqual(['swa_1', 'swa_2']);
    const refused = await new Promise<string>((resolve) => {
      onSnapshot(
        query(collection(member, 'tasks'), where('project_id', '==', 'OTHER')),
        () => resolve('snapshot'),
        (err) => resolve((err as { code?: string }).code ?? 'error'),
      );
    });
    expect(refused).toBe('permission-denied');
  });

  it('the client helper\'s channel listeners are ones the rules allow a member, and refuse others', async () => {
    await env.withSecurityRulesDisabled((ctx) => setDoc(doc(ctx.firestore() as unknown as Firestore, 'media/swa_media'), { project_id: 'SWA', status: 'active' }));
    for (const channel of ['/ws/tasks/SWA', '/ws/media/SWA', '/ws/annotations/swa_media']) expect(await channelOutcome(member, channel)).toBe('ready');
    expect(await channelOutcome(stranger, '/ws/tasks/SWA')).toBe('permission-denied');
    expect(await channelOutcome(stranger, '/ws/annotations/swa_media')).toBe('permission-denied');
    expect(await channelOutcome(anonymous, '/ws/media/SWA')).toBe('permission-denied');
  });

  it('audit_logs and the other server-side collections are closed to every client', async () => {
    for (const db of [member, stranger, anonymous, admin]) {
      await assertFails(getDoc(doc(db, 'admins/root')));
      await assertFails(setDoc(doc(db, 'admins/member'), { uid: 'member' }));
      await assertFails(getDoc(doc(db, 'audit_logs/a1')));
      await assertFails(getDocs(query(collection(db, 'audit_logs'), where('project_id', '==', 'SWA'))));
      await assertFails(setDoc(doc(db, 'audit_logs/forged'), { project_id: 'SWA' }));
      for (const path of ['users/member', 'versions/v1', 'directory_operations/d1']) await assertFails(getDoc(doc(db, path)));
    }
  });

  it('webhooks, their deliveries and their secrets are closed to every client, members and global admins included', async () => {
    for (const db of [member, stranger, anonymous, admin]) {
      for (const path of ['webhook_secrets/w1', 'projects/SWA/webhooks/w1', 'projects/SWA/webhooks/w1/deliveries/d1']) await assertFails(getDoc(doc(db, path)));
      await assertFails(getDocs(collection(db, 'projects/SWA/webhooks')));
      await assertFails(setDoc(doc(db, 'webhook_secrets/w2'), { current: 'forged' }));
    }
  });
});

// Finding 9: the rules trusted the `admin` claim, which an ID token keeps for up to an hour after a
// demotion. Promotion and demotion go through setGlobalAdmin, here against the rules project's
// database, and a demotion closes reads and listeners at once for a token still claiming admin.
describe('a global admin demoted through setGlobalAdmin', () => {
  let env: RulesTestEnvironment;
  const uid = `boss-${randomBytes(4).toString('hex')}`;
  let deps: { auth: Auth; db: AdminFirestore };

  beforeAll(async () => {
    const projectId = `demo-rules-${randomBytes(4).toString('hex')}`;
    env = await initializeTestEnvironment({ projectId, firestore: { host: target.host, port: target.port, rules: RULES } });
    await env.withSecurityRulesDisabled(async (ctx) => {
      const db = ctx.firestore() as unknown as Firestore;
      await Promise.all([setDoc(doc(db, 'projects/OTHER'), { name: 'Other show' }), setDoc(doc(db, 'tasks/other_1'), { project_id: 'OTHER', status: 'active' })]);
    });
    deps = { auth: getAuth(initializeApp({ projectId: AUTH_PROJECT_ID }, uid)), db: getFirestore(initializeApp({ projectId }, `${uid}-db`)) };
    await deps.auth.createUser({ uid });
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  it('loses direct reads and listeners at once, though the token still claims admin', async () => {
    // Tokens issued while they were admin, which keep saying so.
    const boss = env.authenticatedContext(uid, { admin: true }).firestore() as unknown as Firestore;
    const tasksOf = (db: Firestore) => query(collection(db, 'tasks'), where('project_id', '==', 'OTHER'));
    const listen = (db: Firestore) => serverSnapshots(tasksOf(db), (snap) => snap.docs.map((d) => d.get('status')).join(','));

    await setGlobalAdmin(deps, uid, true, 'test');
    expect((await deps.auth.getUser(uid)).customClaims).toEqual({ admin: true });
    await assertSucceeds(getDoc(doc(boss, 'projects/OTHER')));
    const open = listen(boss);
    expect(await open.next(1)).toEqual(['active']);

    await setGlobalAdmin(deps, uid, false, 'test');
    expect((await deps.auth.getUser(uid)).customClaims ?? {}).toEqual({});
    await assertFails(getDocFromServer(doc(boss, 'projects/OTHER')));
    const again = env.authenticatedContext(uid, { admin: true }).firestore() as unknown as Firestore;
    await assertFails(getDocsFromServer(tasksOf(again)));
    const late = listen(again);
    expect(await late.next(1)).toEqual(['permission-denied']);
    // The listener opened while they were admin delivers no change made after the demotion.
    await deps.db.doc('tasks/other_1').update({ status: 'on_hold' });
    expect(await open.next(2)).toEqual(['active', 'permission-denied']);
    open.stop();
    late.stop();
  });
});
