// firebase-tools' own Storage emulator, run in this process. Its start() boots the Java rules
// runtime, which cannot be downloaded here, so we register it and serve its app directly: admin-SDK
// traffic works, security rules are not evaluated (rules tests need the official emulators).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { StorageEmulator } = require('firebase-tools/lib/emulator/storage/index.js');
const { createApp } = require('firebase-tools/lib/emulator/storage/server.js');
const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry.js');

export async function startStorageEmulator({ host = '127.0.0.1', port, projectId }) {
  const emulator = new StorageEmulator({ host, port, projectId, auto_download: false, rules: [] });
  EmulatorRegistry.set('storage', emulator);
  const app = await createApp(projectId, emulator);
  const server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s)).on('error', reject);
  });
  return {
    host: `${host}:${port}`,
    emulator,
    stop: async () => {
      await new Promise((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      EmulatorRegistry.clear('storage');
    },
  };
}
