// The Firestore stand-in (@firestore-emulator/server), a Node gRPC implementation used where the
// official emulator (Java 21 + a download) cannot run.
import { createRequire } from 'node:module';

// The package's ESM build has extension-less imports Node cannot resolve; its CommonJS build works.
const { FirestoreServer } = createRequire(import.meta.url)('@firestore-emulator/server');

export async function startFirestoreStandIn({ host = '127.0.0.1', port }) {
  const server = new FirestoreServer();
  await server.start(port);
  return { host: `${host}:${port}`, state: server.state, stop: async () => server.stop() };
}
