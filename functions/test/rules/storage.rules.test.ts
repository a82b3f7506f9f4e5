// storage.rules under the official emulators: media and thumbnails are readable by members of the
// project their path names (`media/{project_id}/{task_id}/...`: one cross-service read, the
// membership; no task document is looked up), by nobody else, and nobody writes or deletes from a
// client. The Storage emulator must be one the Firebase CLI
// started (with its rules runtime, a download) next to the official Firestore emulator it reads from;
// where that runtime cannot be had, the file is skipped and prints why.
import { readFileSync } from 'node:fs';
import { assertFails, assertSucceeds, initializeTestEnvironment, type RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { doc, setDoc, setLogLevel, type Firestore } from 'firebase/firestore';
import { deleteObject, getBytes, getMetadata, listAll, ref, uploadBytes, type FirebaseStorage } from 'firebase/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeFirestoreRules, probeStorageRules } from './emulators.js';

setLogLevel('silent');

const storageProbe = await probeStorageRules(process.env.FIREBASE_STORAGE_EMULATOR_HOST, process.env.FIREBASE_EMULATOR_HUB);
// Cross-service rules read the Firestore emulator the Storage emulator was started with: the environment's.
const firestoreProbe = storageProbe.ok ? await probeFirestoreRules(process.env.FIRESTORE_EMULATOR_HOST) : storageProbe;
const skipReason = !storageProbe.ok ? storageProbe.reason : !firestoreProbe.ok ? firestoreProbe.reason : null;
if (skipReason) console.warn(`[rules] storage.rules tests skipped: ${skipReason}`);

const root = new URL('../../../', import.meta.url);
const STORAGE_RULES = readFileSync(new URL('storage.rules', root), 'utf8');
const FIRESTORE_RULES = readFileSync(new URL('firestore.rules', root), 'utf8');
// The project the CLI's emulators run as: cross-service reads look there.
const PROJECT_ID = process.env.GCLOUD_PROJECT ?? 'demo-montu';

// The same task id in two projects: two folders, each readable by its own project's members.
const SWA_MEDIA = 'media/RULES_SWA/rules_task/v001/beauty.exr';
const SWA_THUMB = 'thumbnails/RULES_SWA/rules_task/v001/beauty.exr_thumb.jpg';
const OTHER_MEDIA = 'media/RULES_OTHER/rules_task/v001/anim.mov';
const ORPHAN_MEDIA = 'media/RULES_NONE/rules_task/v001/x.png';
// The layout before task ids were per project (migrate-task-keys moves such objects).
const LEGACY_MEDIA = 'media/rules_task/v001/beauty.exr';
const IMPORT_FILE = 'imports/rules_job/shots.csv';
const BYTES = new Uint8Array([1, 2, 3, 4]);

describe.skipIf(skipReason !== null)('storage.rules', () => {
  let env: RulesTestEnvironment;
  let member: FirebaseStorage;
  let noRead: FirebaseStorage;
  let stranger: FirebaseStorage;
  let anonymous: FirebaseStorage;
  let admin: FirebaseStorage;

  beforeAll(async () => {
    if (!storageProbe.ok || !firestoreProbe.ok) return;
    env = await initializeTestEnvironment({
      projectId: PROJECT_ID,
      firestore: { host: firestoreProbe.host, port: firestoreProbe.port, rules: FIRESTORE_RULES },
      storage: { host: storageProbe.host, port: storageProbe.port, rules: STORAGE_RULES },
    });
    await env.withSecurityRulesDisabled(async (ctx) => {
      const db = ctx.firestore() as unknown as Firestore;
      await Promise.all([
        // Global admin status is this document (setGlobalAdmin writes it), not the token's claim.
        setDoc(doc(db, 'admins/st-root'), { uid: 'st-root' }),
        setDoc(doc(db, 'projects/RULES_SWA/members/st-member'), { uid: 'st-member', permissions: ['read'] }),
        setDoc(doc(db, 'projects/RULES_SWA/members/st-no-read'), { uid: 'st-no-read', permissions: [] }),
        setDoc(doc(db, 'projects/RULES_OTHER/members/st-stranger'), { uid: 'st-stranger', permissions: ['read', 'write', 'admin'] }),
      ]);
      const bucket = ctx.storage() as unknown as FirebaseStorage;
      for (const path of [SWA_MEDIA, SWA_THUMB, OTHER_MEDIA, ORPHAN_MEDIA, LEGACY_MEDIA, IMPORT_FILE]) await uploadBytes(ref(bucket, path), BYTES);
    });
    const as = (uid: string, claims?: Record<string, unknown>) => env.authenticatedContext(uid, claims).storage() as unknown as FirebaseStorage;
    member = as('st-member');
    noRead = as('st-no-read');
    stranger = as('st-stranger');
    anonymous = env.unauthenticatedContext().storage() as unknown as FirebaseStorage;
    admin = as('st-root', { admin: true });
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  it('members read their project\'s media and thumbnails', async () => {
    const bytes = await assertSucceeds(getBytes(ref(member, SWA_MEDIA)));
    expect(new Uint8Array(bytes)).toEqual(BYTES);
    await assertSucceeds(getMetadata(ref(member, SWA_THUMB)));
  });

  it('members do not read another project\'s media of the same task id, nor objects outside a project folder', async () => {
    await assertFails(getBytes(ref(member, OTHER_MEDIA)));
    await assertFails(getMetadata(ref(member, ORPHAN_MEDIA)));
    await assertFails(getMetadata(ref(member, LEGACY_MEDIA)));
    await assertFails(getMetadata(ref(member, IMPORT_FILE)));
  });

  it('members without read, users of other projects and anonymous callers read nothing', async () => {
    for (const storage of [noRead, stranger, anonymous]) {
      await assertFails(getMetadata(ref(storage, SWA_MEDIA)));
      await assertFails(getMetadata(ref(storage, SWA_THUMB)));
    }
    await assertSucceeds(getMetadata(ref(stranger, OTHER_MEDIA)));
  });

  it('global admins read any media and thumbnail, but not import uploads', async () => {
    await assertSucceeds(getMetadata(ref(admin, OTHER_MEDIA)));
    await assertSucceeds(getMetadata(ref(admin, SWA_THUMB)));
    await assertFails(getMetadata(ref(admin, IMPORT_FILE)));
  });

  it('a token that still claims admin without the admins document (a demoted admin) reads nothing of another project', async () => {
    const exAdmin = env.authenticatedContext('st-ex-admin', { admin: true }).storage() as unknown as FirebaseStorage;
    await assertFails(getMetadata(ref(exAdmin, OTHER_MEDIA)));
  });

  it('nobody lists, uploads, overwrites or deletes from a client', async () => {
    for (const storage of [member, stranger, anonymous, admin]) {
      await assertFails(listAll(ref(storage, 'media/RULES_SWA')));
      await assertFails(uploadBytes(ref(storage, 'media/RULES_SWA/rules_task/v002/new.exr'), BYTES));
      await assertFails(uploadBytes(ref(storage, SWA_MEDIA), BYTES));
      await assertFails(uploadBytes(ref(storage, 'thumbnails/RULES_SWA/rules_task/v001/fake_thumb.jpg'), BYTES));
      await assertFails(deleteObject(ref(storage, SWA_MEDIA)));
    }
  });
});
