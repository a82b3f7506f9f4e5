// firebase-tools' own Storage emulator, run in this process. Its start() boots a Java rules runtime
// that firebase-tools downloads, and there is none on a machine without network: we construct it
// and serve its app directly, so admin-SDK traffic works and security rules are not evaluated.
// Given `functions` (where a Functions emulator listens, in any process), it sends object events
// there as the official suite does: finalize, delete and metadata updates reach Storage triggers.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { StorageEmulator } = require('firebase-tools/lib/emulator/storage/index.js');
const { NotFoundError } = require('firebase-tools/lib/emulator/storage/errors.js');
const { createApp } = require('firebase-tools/lib/emulator/storage/server.js');
const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry.js');

/**
 * The emulator keeps object bytes in `<tmpdir>/firebase/storage/blobs`, one folder for every
 * emulator on the machine, and deletes it when any of them stops: each stack gets its own folder.
 * A blob that vanished anyway answers "not found": the emulator rethrows other errors from an
 * async Express 4 handler, which nothing catches and which would end the whole process.
 */
function storageEmulatorClass(blobs) {
  return class StackStorageEmulator extends StorageEmulator {
    constructor(args) {
      super(args);
      const persistence = this._persistence;
      const readBytes = persistence.readBytes.bind(persistence);
      persistence.readBytes = (...args) => {
        try {
          return readBytes(...args);
        } catch (err) {
          if (err?.code === 'ENOENT') throw new NotFoundError(`object bytes are missing: ${err.message}`);
          throw err;
        }
      };
    }

    getPersistenceTmpDir() {
      return blobs;
    }
  };
}

export async function startStorageEmulator({ host = '127.0.0.1', port, projectId, functions }) {
  // The emulator looks the Functions emulator up in this registry once, when it is constructed.
  if (functions) EmulatorRegistry.set('functions', functionsEmulatorAt(functions));
  const blobs = mkdtempSync(path.join(tmpdir(), 'montu-storage-'));
  const Emulator = storageEmulatorClass(blobs);
  const emulator = new Emulator({ host, port, projectId, auto_download: false, rules: [] });
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
    blobs,
    stop: async () => {
      await new Promise((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      EmulatorRegistry.clear('storage');
      if (functions) EmulatorRegistry.clear('functions');
      rmSync(blobs, { recursive: true, force: true });
    },
  };
}

/** What the registry needs of a Functions emulator running elsewhere: its name and address. */
function functionsEmulatorAt({ host, port }) {
  const info = { name: 'functions', host, port };
  return { getName: () => 'functions', getInfo: () => info };
}
