// Creates or promotes a global admin (custom claim admin: true). Against the emulators when
// FIREBASE_AUTH_EMULATOR_HOST is set; against a real project with Application Default Credentials
// (`gcloud auth application-default login`) and --project <id>.
//   npm run create-admin -- --email boss@studio.com [--password secret] [--project my-project]
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(new URL('../functions/package.json', import.meta.url));
const { initializeApp } = require('firebase-admin/app');
const { getAuth } = require('firebase-admin/auth');

const { values } = parseArgs({ options: { email: { type: 'string' }, password: { type: 'string' }, project: { type: 'string' }, revoke: { type: 'boolean' } } });
if (!values.email) {
  console.error('usage: npm run create-admin -- --email <email> [--password <password>] [--project <id>] [--revoke]');
  process.exit(2);
}
const projectId = values.project ?? process.env.GCLOUD_PROJECT ?? 'demo-montu';
const auth = getAuth(initializeApp({ projectId }));
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
const claims = { ...(user.customClaims ?? {}) };
if (values.revoke) delete claims.admin;
else claims.admin = true;
await auth.setCustomUserClaims(user.uid, claims);
console.log(`${values.revoke ? 'Removed global admin from' : 'Made global admin:'} ${values.email} (${user.uid}) in ${target}. New ID tokens carry the claim; the API reads it from the user record at once.`);
process.exit(0);
