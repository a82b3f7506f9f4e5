// firebase-tools' own Auth emulator, run in this process: it is plain Node and needs no download.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { AuthEmulator } = require('firebase-tools/lib/emulator/auth/index.js');
const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry.js');

export async function startAuthEmulator({ host = '127.0.0.1', port, projectId }) {
  const emulator = new AuthEmulator({ host, port, projectId, singleProjectMode: 'WARNING' });
  await EmulatorRegistry.start(emulator);
  return { host: `${host}:${port}`, stop: () => EmulatorRegistry.stop('auth') };
}
