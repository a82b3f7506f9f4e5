// Seeds the demo dataset into the emulators. Idempotent; refuses to touch a real project unless
// --force is given. `--if-empty` seeds only when there are no projects yet (the serve command).
import { createRequire } from 'node:module';

const require = createRequire(new URL('../functions/package.json', import.meta.url));
const { initializeApp } = require('firebase-admin/app');
const { getAuth } = require('firebase-admin/auth');
const { getFirestore, FieldValue } = require('firebase-admin/firestore');

const args = new Set(process.argv.slice(2));
const projectId = process.env.GCLOUD_PROJECT ?? 'demo-montu';
const onEmulators = Boolean(process.env.FIRESTORE_EMULATOR_HOST && process.env.FIREBASE_AUTH_EMULATOR_HOST);
if (!onEmulators && !args.has('--force')) {
  console.error('[seed] FIRESTORE_EMULATOR_HOST / FIREBASE_AUTH_EMULATOR_HOST are not set: refusing to seed a real project (pass --force to insist).');
  process.exit(2);
}

const app = initializeApp({ projectId });
const auth = getAuth(app);
const db = getFirestore(app);

export const DEMO_USERS = [
  { uid: 'demo-admin', email: 'admin@montu.test', password: 'montu-admin-123', displayName: 'Studio Admin', admin: true, projects: {} },
  { uid: 'demo-supervisor', email: 'supervisor@montu.test', password: 'montu-super-123', displayName: 'Sam Supervisor', projects: { SWA: ['read', 'write', 'admin'] } },
  { uid: 'demo-artist1', email: 'artist1@montu.test', password: 'montu-artist-123', displayName: 'Ari Artist', projects: { SWA: ['read', 'write'] } },
  { uid: 'demo-artist2', email: 'artist2@montu.test', password: 'montu-artist-123', displayName: 'Bo Artist', projects: { SWA: ['read', 'write'] } },
  { uid: 'demo-client', email: 'client@montu.test', password: 'montu-client-123', displayName: 'Cleo Client', projects: { SWA: ['read'] } },
];

if (args.has('--if-empty') && !(await db.collection('projects').limit(1).get()).empty) {
  console.log('[seed] data already present; not seeding');
  process.exit(0);
}

for (const u of DEMO_USERS) {
  try {
    await auth.getUser(u.uid);
    await auth.updateUser(u.uid, { email: u.email, password: u.password, displayName: u.displayName });
  } catch {
    await auth.createUser({ uid: u.uid, email: u.email, password: u.password, displayName: u.displayName });
  }
  await auth.setCustomUserClaims(u.uid, u.admin ? { admin: true } : null);
}

const now = FieldValue.serverTimestamp();
await db.doc('projects/SWA').set({ name: 'Sky Wars Anthology', description: 'VFX project for Sky Wars Anthology series', status: 'active', created_at: now, updated_at: now, updated_by: 'seed' }, { merge: true });
for (const u of DEMO_USERS) {
  for (const [project, permissions] of Object.entries(u.projects)) {
    await db.doc(`projects/${project}/members/${u.uid}`).set({ uid: u.uid, project_id: project, email: u.email, display_name: u.displayName, permissions, added_by: 'seed', added_at: now, updated_by: 'seed', updated_at: now });
  }
}
console.log(`[seed] demo users: ${DEMO_USERS.map((u) => `${u.email} / ${u.password}`).join(', ')}`);
process.exit(0);
