// Media files in the default bucket: thumbnails and metadata when one lands, clean-up when one is
// removed outside the API (exported by index.ts, which loads this module only where they run).
import { onObjectDeleted, onObjectFinalized } from 'firebase-functions/v2/storage';
import { REGION } from '../config/region.js';

/** One image at a time per instance bounds sharp's memory. */
export const mediaFileFinalized = onObjectFinalized({ region: REGION, memory: '2GiB', timeoutSeconds: 300, concurrency: 1 }, async (event) => {
  const [{ handleObjectFinalized }, { runtimeDeps }] = await Promise.all([import('../media/storage-events.js'), import('../config/deps.js')]);
  await handleObjectFinalized(runtimeDeps(), event.data);
});

export const mediaFileDeleted = onObjectDeleted({ region: REGION, memory: '256MiB' }, async (event) => {
  const [{ handleObjectDeleted }, { runtimeDeps }] = await Promise.all([import('../media/storage-events.js'), import('../config/deps.js')]);
  await handleObjectDeleted(runtimeDeps(), event.data);
});
