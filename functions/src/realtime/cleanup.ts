// The scheduled cleanup of the real-time feed: events are for live clients, not history (the
// audit log keeps that), so those older than `eventsMaxAgeHours` are deleted.
import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import { EVENTS } from '../lib/collections.js';

/** Deletes per commit: Firestore's batch limit. */
const CHUNK = 500;

/**
 * Deletes every project's feed events created before `now - maxAgeHours`, a page at a time (one
 * collection-group query on `created_at`, so the cost follows the old events, not the projects).
 * Returns how many were deleted.
 */
export async function deleteOldFeedEvents(db: Firestore, now: Date, maxAgeHours: number): Promise<number> {
  const cutoff = Timestamp.fromMillis(now.getTime() - maxAgeHours * 3_600_000);
  const old = db.collectionGroup(EVENTS).where('created_at', '<', cutoff).orderBy('created_at').limit(CHUNK);
  let deleted = 0;
  for (;;) {
    const page = await old.get();
    if (page.empty) return deleted;
    const batch = db.batch();
    for (const doc of page.docs) batch.delete(doc.ref);
    await batch.commit();
    deleted += page.size;
    if (page.size < CHUNK) return deleted;
  }
}
