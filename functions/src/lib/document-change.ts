// What Firestore triggers share: the event they receive, the fields a write changed, who made it.
// The audit log and the real-time feed both read writes this way.
import type { DocumentData, DocumentSnapshot } from 'firebase-admin/firestore';
import { hasCode } from './firestore-errors.js';
import { sameValue } from './same-value.js';

/**
 * The part of firebase-functions' `FirestoreEvent<Change<DocumentSnapshot> | undefined>` that the
 * handlers use. Tests build it from real snapshots; the deployed trigger passes the real event.
 */
export interface DocumentWrittenEvent {
  /** CloudEvent id: the same on a redelivery, so it names what the handler writes. */
  id: string;
  /** When the write happened (RFC 3339). */
  time: string;
  params: Record<string, string>;
  data?: { before: DocumentSnapshot; after: DocumentSnapshot } | undefined;
}

/** Fields every API write touches; they say nothing about what changed. */
export const BOOKKEEPING_FIELDS: ReadonlySet<string> = new Set(['updated_at', 'updated_by', 'bulk_id']);

export interface FieldChange {
  old: unknown;
  new: unknown;
}

/**
 * Top-level fields that differ between two versions of a document, with their old and new values
 * (`null` for absent), bookkeeping fields left out. A create lists every field, a delete too.
 */
export function changedFields(before: DocumentData | undefined, after: DocumentData | undefined): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const key of [...keys].sort()) {
    if (BOOKKEEPING_FIELDS.has(key)) continue;
    const old = before?.[key] ?? null;
    const now = after?.[key] ?? null;
    if (!sameValue(old, now)) changes[key] = { old, new: now };
  }
  return changes;
}

/** Before/after data of a write; `undefined` for the side where the document does not exist. */
export function versions(event: DocumentWrittenEvent): { before: DocumentData | undefined; after: DocumentData | undefined; ref: DocumentSnapshot['ref'] | undefined } {
  const before = event.data?.before.exists ? event.data.before.data() : undefined;
  const after = event.data?.after.exists ? event.data.after.data() : undefined;
  return { before, after, ref: event.data?.after.ref ?? event.data?.before.ref };
}

/**
 * When the write happened: the new version's update time (the commit time), else the event's time
 * (deletes). The emulator's event time can precede the commit, so it is only the fallback.
 */
export function writeTimeOf(event: DocumentWrittenEvent): Date {
  const updated = event.data?.after.exists ? event.data.after.updateTime?.toDate() : undefined;
  if (updated) return updated;
  const time = new Date(event.time);
  return Number.isNaN(time.getTime()) ? new Date() : time;
}

/** The actor of writes made by the server itself (triggers, scripts): events and audit entries name it. */
export const SYSTEM_USER = 'system';

/**
 * Who made a create or update: `updated_by` of the new version. A delete names nobody here: the
 * last version's `updated_by` is its last editor, not its deleter (see lib/deletions.ts).
 */
export function actorOf(after: DocumentData | undefined): string | null {
  const actor = after?.updated_by ?? after?.created_by;
  return typeof actor === 'string' && actor ? actor : null;
}

/**
 * The bulk call a write belongs to: the bulk endpoints stamp each task with a fresh `bulk_id`, so a
 * value that differs from the previous version's marks this very write as part of that call.
 */
export function bulkIdOf(before: DocumentData | undefined, after: DocumentData | undefined): string | null {
  const id = after?.bulk_id;
  return typeof id === 'string' && id && id !== before?.bulk_id ? id : null;
}

/** A document id derived from a CloudEvent id (ids never contain `/`), optionally per kind. */
export function eventDocId(cloudEventId: string, kind?: string): string {
  const base = cloudEventId.replace(/\//g, '_');
  return kind ? `${base}_${kind}` : base;
}

/** Runs a `create()` and treats ALREADY_EXISTS (a redelivered event's second try) as done. */
export async function createOnce(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (err) {
    if (hasCode(err, 'ALREADY_EXISTS')) return false;
    throw err;
  }
}
