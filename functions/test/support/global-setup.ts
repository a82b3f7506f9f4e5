// Starts the offline emulator stack for the test run, unless the environment already points at
// running emulators (e.g. under `firebase emulators:exec` with the official suite).
import { startOfflineStackOnFreePorts, type OfflineStack } from '../../../stack/offline.mjs';

export const TEST_PROJECT_ID = 'demo-montu';

let stack: OfflineStack | undefined;

export async function setup(): Promise<void> {
  process.env.GCLOUD_PROJECT ??= TEST_PROJECT_ID;
  // No metadata server here: stop google-auth from probing for one.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const external =
    process.env.FIRESTORE_EMULATOR_HOST &&
    process.env.FIREBASE_AUTH_EMULATOR_HOST &&
    process.env.FIREBASE_STORAGE_EMULATOR_HOST;
  if (external) {
    console.log('[tests] using running emulators from the environment');
    return;
  }
  stack = await startOfflineStackOnFreePorts({ projectId: TEST_PROJECT_ID });
  Object.assign(process.env, stack.env);
  console.log(`[tests] offline stack: ${JSON.stringify(stack.env)}`);
}

export async function teardown(): Promise<void> {
  await stack?.stop();
}
