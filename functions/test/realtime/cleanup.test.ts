import { Timestamp } from 'firebase-admin/firestore';
import { describe, expect, it } from 'vitest';
import { deleteOldFeedEvents } from '../../src/realtime/cleanup.js';
import { eventsCollection, feedEventDoc } from '../../src/realtime/feed.js';
import { createTestContext } from '../support/context.js';

const ctx = createTestContext('feed-cleanup');
const db = ctx.db;
const now = new Date('2026-03-10T12:00:00Z');
const hoursAgo = (h: number) => Timestamp.fromMillis(now.getTime() - h * 3_600_000);

async function seed(projectId: string, count: number, createdAt: Timestamp, prefix: string) {
  for (let start = 0; start < count; start += 400) {
    const batch = db.batch();
    for (let i = start; i < Math.min(count, start + 400); i++) {
      const ref = eventsCollection(db, projectId).doc(`${prefix}-${String(i).padStart(4, '0')}`);
      batch.set(ref, { ...feedEventDoc('task_updated', 'u1', { task_id: `t${i}`, changes: { status: 'in_progress' } }), created_at: createdAt });
    }
    await batch.commit();
  }
}

const ids = async (projectId: string) => (await eventsCollection(db, projectId).get()).docs.map((d) => d.id).sort();

describe('feed cleanup', () => {
  it('deletes every project\'s events older than the configured age and keeps the rest', async () => {
    // 520 old events in one project: more than one delete round of 500.
    await seed('SWA', 520, hoursAgo(100), 'old');
    await seed('SWA', 2, hoursAgo(71), 'fresh');
    await seed('OTHER', 3, hoursAgo(73), 'old');
    await seed('OTHER', 1, hoursAgo(1), 'fresh');
    // Other subcollections of a project are not events and stay.
    await db.doc('projects/SWA/members/u1').set({ uid: 'u1', permissions: ['read'], created_at: hoursAgo(1000) });

    expect(await deleteOldFeedEvents(db, now, 72)).toBe(523);
    expect(await ids('SWA')).toEqual(['fresh-0000', 'fresh-0001']);
    expect(await ids('OTHER')).toEqual(['fresh-0000']);
    expect((await db.doc('projects/SWA/members/u1').get()).exists).toBe(true);
    expect(await deleteOldFeedEvents(db, now, 72)).toBe(0);
    expect(await deleteOldFeedEvents(db, now, 24)).toBe(2);
    expect(await ids('SWA')).toEqual([]);
    expect(await ids('OTHER')).toEqual(['fresh-0000']);
  });
});
