// Creates or promotes a global admin (custom claim admin: true, and the admins/{uid} document the
// security rules read), or demotes one with --revoke. Against the emulators when
// FIREBASE_AUTH_EMULATOR_HOST and FIRESTORE_EMULATOR_HOST are set; against a real project with
// Application Default Credentials (`gcloud auth application-default login`) and --project <id>.
// Uses the functions' own code in functions/lib (npm run build).
//   npm run create-admin -- --email boss@studio.com [--password secret] [--project my-project] [--revoke]
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(new URL('../functions/package.json', import.meta.url));
const { initializeApp } = require('firebase-admin/app');
const { getAuth } = require('firebase-admin/auth');
const { getFirestore } = require('firebase-admin/firestore');
const adminsModule = new URL('../functions/lib/auth/admins.js', import.meta.url);
if (!existsSync(adminsModule)) {
  console.error('functions/lib/auth/admins.js is missing: build the functions first (npm run build)');
  process.exit(1);
}
const { setGlobalAdmin } = await import(adminsModule.href);

const { values } = parseArgs({ options: { email: { type: 'string' }, password: { type: 'string' }, project: { type: 'string' }, revoke: { type: 'boolean' } } });
if (!values.email) {
  console.error('usage: npm run create-admin -- --email <email> [--password <password>] [--project <id>] [--revoke]');
  process.exit(2);
}
const projectId = values.project ?? process.env.GCLOUD_PROJECT ?? 'demo-montu';
const app = initializeApp({ projectId });
const auth = getAuth(app);
const target = process.env.FIREBASE_AUTH_EMULATOR_HOST ? `the Auth emulator at ${process.env.FIREBASE_AUTH_EMULATOR_HOST}` : `project ${projectId}`;

let user;
try {
  user = await auth.getUserByEmail(values.email);
  if (values.password) await auth.updateUser(user.uid, { password: values.password });
} catch (err) {
  if (err?.code !== 'auth/user-not-found') throw err;
  if (!values.password) {
    console.error(`No user ${values.email} in ${target}; pass --password to create one.`);
    process.exit(1);
  }
  user = await auth.createUser({ email: values.email, password: values.password });
  console.log(`Created user ${values.email} (${user.uid}) in ${target}`);
}
await setGlobalAdmin({ auth, db: getFirestore(app) }, user.uid, !values.revoke, 'create-admin script');
console.log(`${values.revoke ? 'Removed global admin from' : 'Made global admin:'} ${values.email} (${user.uid}) in ${target}. The API and the security rules see it at once.`);
process.exit(0);
