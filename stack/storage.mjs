// firebase-tools' own Storage emulator, run in this process. Its start() boots the Java rules
// runtime, which cannot be downloaded here, so we register it and serve its app directly: admin-SDK
// traffic works, security rules are not evaluated (rules tests need the official emulators).
// Given `functions` (where a Functions emulator listens, in any process), it sends object events
// there as the official suite does: finalize, delete and metadata updates reach Storage triggers.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { StorageEmulator } = require('firebase-tools/lib/emulator/storage/index.js');
const { createApp } = require('firebase-tools/lib/emulator/storage/server.js');
const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry.js');

export async function startStorageEmulator({ host = '127.0.0.1', port, projectId, functions }) {
  // The emulator looks the Functions emulator up in this registry once, when it is constructed.
  if (functions) EmulatorRegistry.set('functions', functionsEmulatorAt(functions));
  const emulator = new StorageEmulator({ host, port, projectId, auto_download: false, rules: [] });
  EmulatorRegistry.set('storage', emulator);
  const app = await createApp(projectId, emulator);
  const server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s)).on('error', reject);
  });
  // Node's clients keep idle sockets 5 s, as long as its servers do: a busy client then reuses a
  // socket the server is closing ("socket hang up"). The server waits longer, so clients let go first.
  server.keepAliveTimeout = 30_000;
  return {
    host: `${host}:${port}`,
    emulator,
    stop: async () => {
      await new Promise((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      EmulatorRegistry.clear('storage');
      if (functions) EmulatorRegistry.clear('functions');
    },
  };
}

/** What the registry needs of a Functions emulator running elsewhere: its name and address. */
function functionsEmulatorAt({ host, port }) {
  const info = { name: 'functions', host, port };
  return { getName: () => 'functions', getInfo: () => info };
}
