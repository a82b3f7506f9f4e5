// Builds the CloudEvent a Firestore write trigger receives, from real snapshots taken around a
// write, so trigger handlers are tested exactly as they are called when deployed.
import { randomUUID } from 'node:crypto';
import type { DocumentReference } from 'firebase-admin/firestore';
import { Change } from 'firebase-functions/v2';
import type { DocumentWrittenEvent } from '../../src/lib/document-change.js';

/**
 * Runs `write` on `ref` and returns the event describing it (a fresh id unless given). Its time is
 * the write's commit time, as Firestore gives it, unless a test fixes another.
 */
export async function writeEvent(ref: DocumentReference, write: (ref: DocumentReference) => Promise<unknown>, options: { id?: string; time?: string } = {}): Promise<DocumentWrittenEvent> {
  const before = await ref.get();
  await write(ref);
  const after = await ref.get();
  return {
    id: options.id ?? randomUUID(),
    time: options.time ?? (after.updateTime ?? before.readTime).toDate().toISOString(),
    params: {},
    data: new Change(before, after),
  };
}

/** `writeEvent` for a write that changes several documents at once (a batch): one event per ref, in order. */
export async function writeEvents(refs: DocumentReference[], write: () => Promise<unknown>): Promise<DocumentWrittenEvent[]> {
  const before = await Promise.all(refs.map((ref) => ref.get()));
  await write();
  const after = await Promise.all(refs.map((ref) => ref.get()));
  return refs.map((_, i) => ({
    id: randomUUID(),
    time: (after[i]!.updateTime ?? before[i]!.readTime).toDate().toISOString(),
    params: {},
    data: new Change(before[i]!, after[i]!),
  }));
}
