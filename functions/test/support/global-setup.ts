// Starts the official emulators for the test run (Auth and Firestore through firebase-tools, Storage
// in-process: stack/emulators.mjs) on free ports, so a served stack can run beside the tests. A run
// under `firebase emulators:exec` that already names all three uses those instead.
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts, startEmulators } from '../../../stack/emulators.mjs';

export const TEST_PROJECT_ID = 'demo-montu';

let stop: (() => Promise<void>) | undefined;

export async function setup(): Promise<void> {
  process.env.GCLOUD_PROJECT ??= TEST_PROJECT_ID;
  // No metadata server here: stop google-auth from probing for one.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const external = process.env.FIRESTORE_EMULATOR_HOST && process.env.FIREBASE_AUTH_EMULATOR_HOST && process.env.FIREBASE_STORAGE_EMULATOR_HOST;
  if (external) {
    console.log('[tests] using running emulators from the environment');
    return;
  }
  const output = path.join(tmpdir(), `montu-test-emulators-${process.pid}.log`);
  const stack = await startEmulators({ only: ['auth', 'firestore'], ports: await freePorts(), output });
  stop = stack.stop;
  Object.assign(process.env, stack.env);
  console.log(`[tests] official emulators (Java ${stack.prerequisites.java.major}, Firestore from ${stack.prerequisites.firestore.source}), log ${output}: ${JSON.stringify(stack.env)}`);
}

export async function teardown(): Promise<void> {
  await stop?.();
}
