// The offline emulator stack: the closest thing to the official suite that runs without Java 21
// or downloads. Auth (firebase-tools, in-process), Storage (firebase-tools, in-process, no rules)
// and a Firestore stand-in. Used by the serve command and by the test setup.
import { startAuthEmulator } from './auth.mjs';
import { startFirestoreStandIn } from './firestore.mjs';
import { freePort } from './ports.mjs';
import { startStorageEmulator } from './storage.mjs';

export async function startOfflineStack({ projectId, ports }) {
  const firestore = await startFirestoreStandIn({ port: ports.firestore });
  const auth = await startAuthEmulator({ port: ports.auth, projectId });
  const storage = await startStorageEmulator({ port: ports.storage, projectId });
  return {
    env: {
      FIRESTORE_EMULATOR_HOST: firestore.host,
      FIREBASE_AUTH_EMULATOR_HOST: auth.host,
      FIREBASE_STORAGE_EMULATOR_HOST: storage.host,
      STORAGE_EMULATOR_HOST: `http://${storage.host}`,
    },
    firestore,
    auth,
    storage,
    stop: async () => {
      await storage.stop();
      await auth.stop();
      await firestore.stop();
    },
  };
}

/** The offline stack on free loopback ports, for tests and benchmarks that run beside a served stack. */
export async function startOfflineStackOnFreePorts({ projectId = 'demo-montu' } = {}) {
  return startOfflineStack({ projectId, ports: { firestore: await freePort(), auth: await freePort(), storage: await freePort() } });
}
