// The real-time feed: `projects/{p}/events` documents carrying the spec's WebSocket message shapes
// ({type, data: {..., user, timestamp}}). Clients listen to them with Firestore listeners.
import { FieldValue, type Firestore, type Transaction, type WriteBatch } from 'firebase-admin/firestore';
// The message types live in the client package (one definition for writer and reader), a workspace of the repository root.
import type { FeedEventType } from '@montu/client/messages';
import { EVENTS, PROJECTS } from '../lib/collections.js';

export type { FeedEventType } from '@montu/client/messages';

export function eventsCollection(db: Firestore, projectId: string) {
  return db.collection(PROJECTS).doc(projectId).collection(EVENTS);
}

/** The document a feed event is stored as; `created_at` is what the age-based cleanup reads. */
export function feedEventDoc(type: FeedEventType, user: string, data: Record<string, unknown>, timestamp = new Date()) {
  return { type, data: { ...data, user, timestamp: timestamp.toISOString() }, created_at: FieldValue.serverTimestamp() };
}

/**
 * Writes one event, inside the caller's transaction or batch when given (so the event exists exactly
 * when the change does). `id` makes redelivered trigger events idempotent.
 */
export function writeFeedEvent(
  db: Firestore,
  projectId: string,
  event: ReturnType<typeof feedEventDoc>,
  options: { id?: string; within?: Transaction | WriteBatch } = {},
) {
  const ref = options.id ? eventsCollection(db, projectId).doc(options.id) : eventsCollection(db, projectId).doc();
  if (options.within) (options.within as WriteBatch).create(ref, event);
  else return ref.create(event).then(() => ref);
  return Promise.resolve(ref);
}
