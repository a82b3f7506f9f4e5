// The scheduled functions (exported by index.ts, which loads this module only where they run).
import { onSchedule } from 'firebase-functions/v2/scheduler';
import { REGION } from '../config/region.js';

/** Deletes feed events older than EVENTS_MAX_AGE_HOURS (the feed is for live clients; history is the audit log). */
export const feedCleanup = onSchedule({ schedule: 'every 60 minutes', region: REGION, timeoutSeconds: 540 }, async () => {
  const [{ deleteOldFeedEvents }, { runtimeDeps }] = await Promise.all([import('../realtime/cleanup.js'), import('../config/deps.js')]);
  const deps = runtimeDeps();
  await deleteOldFeedEvents(deps.db, deps.clock(), deps.config.eventsMaxAgeHours);
});
