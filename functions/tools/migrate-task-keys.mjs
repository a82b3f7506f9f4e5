// Moves data written before task ids became per project to the per-project layout
// (docs/task-ids.md): legacy tasks/{task_id} documents to tasks/{project_id}~{task_id}, and media
// files and thumbnails from media/{task_id}/... to media/{project_id}/{task_id}/... with their
// records (re-keyed) and annotations. Idempotent: run it again and it moves nothing.
//
//   npm run build -w functions && node functions/tools/migrate-task-keys.mjs
//        against the emulators named by FIRESTORE_EMULATOR_HOST and FIREBASE_STORAGE_EMULATOR_HOST
//   node functions/tools/migrate-task-keys.mjs --project <id> [--bucket <name>]
//        a real project, with Application Default Credentials
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const MIGRATION = new URL('../lib/tasks/migrate-keys.js', import.meta.url);

async function main() {
  const { values } = parseArgs({ options: { project: { type: 'string' }, bucket: { type: 'string' } } });
  const emulated = Boolean(process.env.FIRESTORE_EMULATOR_HOST && process.env.FIREBASE_STORAGE_EMULATOR_HOST);
  if (!emulated && !values.project) {
    console.error('[migrate-task-keys] name the emulators (FIRESTORE_EMULATOR_HOST, FIREBASE_STORAGE_EMULATOR_HOST) or a real project with --project <id>');
    return 2;
  }
  if (!existsSync(MIGRATION)) throw new Error('functions/lib is missing: build the functions first (npm run build -w functions)');
  if (process.env.FIREBASE_STORAGE_EMULATOR_HOST) process.env.STORAGE_EMULATOR_HOST ??= `http://${process.env.FIREBASE_STORAGE_EMULATOR_HOST}`;
  const projectId = values.project ?? process.env.GCLOUD_PROJECT ?? 'demo-montu';
  const { initializeApp } = require('firebase-admin/app');
  const { getFirestore } = require('firebase-admin/firestore');
  const { getStorage } = require('firebase-admin/storage');
  const app = initializeApp({ projectId, storageBucket: values.bucket ?? `${projectId}.appspot.com` });
  const { migrateTaskKeys } = await import(MIGRATION.href);
  const summary = await migrateTaskKeys(getFirestore(app), getStorage(app).bucket());
  console.log(`[migrate-task-keys] moved ${summary.tasks} task(s), ${summary.media} media record(s) with ${summary.files} file(s), and re-pointed ${summary.annotations} annotation(s)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[migrate-task-keys] failed: ${err?.stack ?? err}`);
    process.exit(1);
  },
);
