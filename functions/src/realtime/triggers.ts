// Trigger handlers that turn document writes into feed events. Each event's id is derived from the
// CloudEvent id and written with create(), so a redelivered event publishes nothing twice.
import type { DocumentData, Firestore } from 'firebase-admin/firestore';
import { logger } from 'firebase-functions/logger';
import { actorOf, bulkIdOf, changedFields, createOnce, eventDocId, versions, writeTimeOf, type DocumentWrittenEvent } from '../lib/document-change.js';
import { projectIdSchema } from '../lib/ids.js';
import { docToJson, toJson } from '../lib/serialize.js';
import { readinessEvent, withoutDependencyState } from '../tasks/dependencies.js';
import { withoutIndexFields } from '../tasks/rules.js';
import { feedEventDoc, writeFeedEvent } from './feed.js';
import type { FeedEventType } from '@montu/client/messages';

/** The `user` of events whose write carries no `updated_by` (triggers, scripts). */
export const SYSTEM_USER = 'system';

/** Media records waiting for their file (signed-URL uploads) have this status until the Storage trigger completes them. */
const PENDING_UPLOAD = 'pending_upload';

/** Feed messages stay small: a larger one names its document and changed fields instead of carrying them. */
export const MAX_EVENT_BYTES = 256 * 1024;

interface PlannedEvent {
  type: FeedEventType;
  data: Record<string, unknown>;
}

/** New values of the fields a write changed, JSON-safe: the spec's `changes`. */
function newValues(before: DocumentData, after: DocumentData): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const [field, change] of Object.entries(changedFields(before, after))) changes[field] = toJson(change.new);
  return changes;
}

/** `data` as is, or, when too large for a feed message, with records reduced to their ids and `changes` to field names. */
function fitting(data: Record<string, unknown>): Record<string, unknown> {
  if (JSON.stringify(data).length <= MAX_EVENT_BYTES) return data;
  const slim: Record<string, unknown> = { truncated: true };
  for (const [key, value] of Object.entries(data)) {
    if (key === 'changes') slim.changed_fields = Object.keys(value as object);
    else if (value && typeof value === 'object' && 'id' in value) slim[key] = { id: (value as { id: unknown }).id };
    else slim[key] = value;
  }
  return slim;
}

/** Writes the planned events to the feed of the project the new version belongs to. */
async function publish(db: Firestore, event: DocumentWrittenEvent, planned: PlannedEvent[]): Promise<string[]> {
  if (planned.length === 0) return [];
  const { after, ref } = versions(event);
  // A bad project_id would fail the write on every retry: log it and publish nothing.
  const projectId = projectIdSchema.safeParse(after?.project_id);
  if (!projectId.success) {
    logger.warn('feed: write without a valid project_id, no event published', { document: ref?.path, event_id: event.id });
    return [];
  }
  const user = actorOf(after) ?? SYSTEM_USER;
  const timestamp = writeTimeOf(event);
  const written: string[] = [];
  for (const { type, data } of planned) {
    const id = eventDocId(event.id, type);
    await createOnce(writeFeedEvent(db, projectId.data, feedEventDoc(type, user, fitting(data), timestamp), { id }));
    written.push(id);
  }
  return written;
}

/** task_created / task_updated (and task_ready / task_blocked when its readiness changed); writes of a bulk call are marked `part_of` its `tasks_bulk_updated` event. */
export async function publishTaskWrite(db: Firestore, event: DocumentWrittenEvent): Promise<string[]> {
  const { before, after, ref } = versions(event);
  // Hard deletes have no spec message; the API archives, which is an update.
  if (!after || !ref) return [];
  const bulkId = bulkIdOf(before, after);
  const mark = bulkId ? { part_of: bulkId } : {};
  // Clients get the task as the API returns it, without its derived query fields.
  const task = withoutIndexFields(after);
  if (!before) return publish(db, event, [{ type: 'task_created', data: { task: { id: ref.id, ...(toJson(task) as object) }, ...mark } }]);
  const changes = newValues(withoutDependencyState(withoutIndexFields(before)), withoutDependencyState(task));
  const planned: PlannedEvent[] = Object.keys(changes).length > 0 ? [{ type: 'task_updated', data: { task_id: ref.id, changes, ...mark } }] : [];
  const readiness = readinessEvent(before, after);
  if (readiness) planned.push({ type: readiness.type, data: { task_id: ref.id, blocked_by: readiness.blocked_by } });
  return publish(db, event, planned);
}

const uploaded = (media: DocumentData | undefined) => !!media && media.status !== PENDING_UPLOAD;

/** media_uploaded when a record first has its file; media_approved when its approval status changes. */
export async function publishMediaWrite(db: Firestore, event: DocumentWrittenEvent): Promise<string[]> {
  const { before, after, ref } = versions(event);
  if (!after || !ref) return [];
  const planned: PlannedEvent[] = [];
  if (uploaded(after) && (!before || before.status === PENDING_UPLOAD)) {
    planned.push({ type: 'media_uploaded', data: { media: docToJson(event.data!.after) } });
  }
  if (before && after.approval_status && before.approval_status !== after.approval_status) {
    planned.push({
      type: 'media_approved',
      data: { media_id: ref.id, task_id: after.linked_task_id ?? null, approval_status: after.approval_status, previous_status: before.approval_status ?? null },
    });
  }
  return publish(db, event, planned);
}

/** annotation_created / annotation_updated (resolve, reopen and archive are updates). */
export async function publishAnnotationWrite(db: Firestore, event: DocumentWrittenEvent): Promise<string[]> {
  const { before, after, ref } = versions(event);
  if (!after || !ref) return [];
  if (!before) return publish(db, event, [{ type: 'annotation_created', data: { annotation: docToJson(event.data!.after) } }]);
  const changes = newValues(before, after);
  if (Object.keys(changes).length === 0) return [];
  return publish(db, event, [{ type: 'annotation_updated', data: { annotation_id: ref.id, media_id: after.media_id ?? null, changes } }]);
}

const count = (value: unknown) => (typeof value === 'number' ? value : null);

/** import_completed when an import job reaches `completed`. */
export async function publishImportJobWrite(db: Firestore, event: DocumentWrittenEvent): Promise<string[]> {
  const { before, after, ref } = versions(event);
  if (!after || !ref || after.status !== 'completed' || before?.status === 'completed') return [];
  const data = {
    job_id: ref.id,
    total_rows: count(after.total_rows),
    processed_rows: count(after.processed_rows),
    created_tasks: count(after.created_tasks),
    updated_tasks: count(after.updated_tasks),
    skipped_tasks: count(after.skipped_tasks),
    error_count: count(after.error_count) ?? (Array.isArray(after.errors) ? after.errors.length : 0),
  };
  return publish(db, event, [{ type: 'import_completed', data }]);
}
