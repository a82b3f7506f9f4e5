// Trigger handlers that turn document writes into feed events. Each event's id is derived from the
// CloudEvent id and written with create(), so a redelivered event publishes nothing twice.
import type { DocumentData, Firestore } from 'firebase-admin/firestore';
import { logger } from 'firebase-functions/logger';
import { deleterOf } from '../lib/deletions.js';
import { actorOf, SYSTEM_USER, bulkIdOf, changedFields, createOnce, eventDocId, versions, writeTimeOf, type DocumentWrittenEvent } from '../lib/document-change.js';
import { projectIdSchema } from '../lib/ids.js';
import { sameValue } from '../lib/same-value.js';
import { docToJson, toJson } from '../lib/serialize.js';
import { readinessEvent, withoutDependencyState } from '../tasks/dependencies.js';
import { withoutIndexFields } from '../tasks/indexing.js';
import { isLegacyKey, KEY_MIGRATION, taskIdOfKey } from '../tasks/keys.js';
import { taskRef } from '../tasks/store.js';
import { feedEventDoc, writeFeedEvent } from './feed.js';
import type { FeedEventType } from '@montu/client/messages';

/** Media records waiting for their file (signed-URL uploads) have this status until the Storage trigger completes them. */
const PENDING_UPLOAD = 'pending_upload';

/** Feed messages stay small: a larger one names its document and changed fields instead of carrying them. */
export const MAX_EVENT_BYTES = 256 * 1024;

interface PlannedEvent {
  type: FeedEventType;
  data: Record<string, unknown>;
  /** The event's id when others refer to it (an import's bulk id); else derived from the CloudEvent's. */
  id?: string;
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

/**
 * Writes the planned events to the feed of the project the document belongs to (`project_id` of
 * its last version unless given), as made by the write's author, or for a delete by its deleter.
 */
async function publish(db: Firestore, event: DocumentWrittenEvent, planned: PlannedEvent[], project?: string): Promise<string[]> {
  if (planned.length === 0) return [];
  const { before, after, ref } = versions(event);
  // A bad project_id would fail the write on every retry: log it and publish nothing.
  const projectId = projectIdSchema.safeParse(project ?? (after ?? before)?.project_id);
  if (!projectId.success) {
    logger.warn('feed: write without a valid project_id, no event published', { document: ref?.path, event_id: event.id });
    return [];
  }
  const actor = after ? actorOf(after) : ref && (await deleterOf(db, ref.path, new Date()));
  const user = actor ?? SYSTEM_USER;
  const timestamp = writeTimeOf(event);
  const written: string[] = [];
  for (const { type, data, id: given } of planned) {
    const id = given ?? eventDocId(event.id, type);
    await createOnce(writeFeedEvent(db, projectId.data, feedEventDoc(type, user, fitting(data), timestamp), { id }));
    written.push(id);
  }
  return written;
}

const archiving = (before: DocumentData, after: DocumentData) => after.status === 'archived' && before.status !== 'archived';

/**
 * True when a deleted legacy task document was moved by the key migration: it deletes the legacy
 * document in the batch that creates the task under its per-project key.
 */
async function movedByKeyMigration(db: Firestore, key: string, before: DocumentData): Promise<boolean> {
  if (!isLegacyKey(key) || typeof before.project_id !== 'string') return false;
  return (await taskRef(db, before.project_id, key).get()).exists;
}

/**
 * task_created / task_updated / task_archived / task_deleted, and task_ready / task_blocked when its
 * readiness changed; writes of a bulk call are marked `part_of` its `tasks_bulk_updated` event.
 * The key migration's moves publish nothing.
 */
export async function publishTaskWrite(db: Firestore, event: DocumentWrittenEvent): Promise<string[]> {
  const { before, after, ref } = versions(event);
  if (!ref) return [];
  // Events name the task by its bare id, as the API does (the document id is its key).
  const taskId = taskIdOfKey(ref.id);
  if (!after) return before && !(await movedByKeyMigration(db, ref.id, before)) ? publish(db, event, [{ type: 'task_deleted', data: { task_id: taskId } }]) : [];
  const bulkId = bulkIdOf(before, after);
  if (!before && bulkId === KEY_MIGRATION) return [];
  const mark = bulkId ? { part_of: bulkId } : {};
  // Clients get the task as the API returns it, without its derived query fields.
  const task = withoutIndexFields(after);
  if (!before) return publish(db, event, [{ type: 'task_created', data: { task: { ...(toJson(task) as object), id: taskId }, ...mark } }]);
  const changes = newValues(withoutDependencyState(withoutIndexFields(before)), withoutDependencyState(task));
  const planned: PlannedEvent[] = Object.keys(changes).length > 0 ? [{ type: archiving(before, after) ? 'task_archived' : 'task_updated', data: { task_id: taskId, changes, ...mark } }] : [];
  const readiness = readinessEvent(before, after);
  if (readiness) planned.push({ type: readiness.type, data: { task_id: taskId, blocked_by: readiness.blocked_by } });
  return publish(db, event, planned);
}

const uploaded = (media: DocumentData | undefined) => !!media && media.status !== PENDING_UPLOAD;

/** media_uploaded when a record first has its file; media_approved when its approval status changes; media_deleted. */
export async function publishMediaWrite(db: Firestore, event: DocumentWrittenEvent): Promise<string[]> {
  const { before, after, ref } = versions(event);
  if (!ref) return [];
  if (!after) return before ? publish(db, event, [{ type: 'media_deleted', data: { media_id: ref.id, task_id: before.linked_task_id ?? null } }]) : [];
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

/** annotation_created / annotation_updated (resolve and reopen are updates) / annotation_archived / annotation_deleted. */
export async function publishAnnotationWrite(db: Firestore, event: DocumentWrittenEvent): Promise<string[]> {
  const { before, after, ref } = versions(event);
  if (!ref) return [];
  if (!after) return before ? publish(db, event, [{ type: 'annotation_deleted', data: { annotation_id: ref.id, media_id: before.media_id ?? null } }]) : [];
  if (!before) return publish(db, event, [{ type: 'annotation_created', data: { annotation: docToJson(event.data!.after) } }]);
  const changes = newValues(before, after);
  if (Object.keys(changes).length === 0) return [];
  const type = archiving(before, after) ? 'annotation_archived' : 'annotation_updated';
  return publish(db, event, [{ type, data: { annotation_id: ref.id, media_id: after.media_id ?? null, changes } }]);
}

const permissionsOf = (member: DocumentData | undefined): string[] => (Array.isArray(member?.permissions) ? member.permissions.filter((p): p is string => typeof p === 'string') : []);

/** member_added / member_updated (its permissions changed) / member_removed, in the project the membership is under. */
export async function publishMemberWrite(db: Firestore, event: DocumentWrittenEvent): Promise<string[]> {
  const { before, after, ref } = versions(event);
  const projectId = ref?.parent.parent?.id;
  if (!ref || !projectId) return [];
  const member = { user_id: ref.id, permissions: permissionsOf(after) };
  if (!after) return before ? publish(db, event, [{ type: 'member_removed', data: member }], projectId) : [];
  if (!before) return publish(db, event, [{ type: 'member_added', data: member }], projectId);
  const previous = permissionsOf(before);
  if (sameValue(previous, member.permissions)) return [];
  return publish(db, event, [{ type: 'member_updated', data: { ...member, previous_permissions: previous } }], projectId);
}

const count = (value: unknown) => (typeof value === 'number' ? value : null);

/**
 * import_completed when an import job ends: always when it completes, and when it fails after
 * writing tasks, whose per-task events point at it (`part_of`) and reach webhooks only through it.
 * Its id is the job's, the bulk id of the tasks the job wrote; `status` says how the job ended.
 */
export async function publishImportJobWrite(db: Firestore, event: DocumentWrittenEvent): Promise<string[]> {
  const { before, after, ref } = versions(event);
  if (!after || !ref || after.status === before?.status) return [];
  const wrote = (count(after.created_tasks) ?? 0) + (count(after.updated_tasks) ?? 0) > 0;
  if (after.status !== 'completed' && !(after.status === 'failed' && wrote)) return [];
  const data = {
    job_id: ref.id,
    status: after.status as 'completed' | 'failed',
    total_rows: count(after.total_rows),
    processed_rows: count(after.processed_rows),
    created_tasks: count(after.created_tasks),
    updated_tasks: count(after.updated_tasks),
    skipped_tasks: count(after.skipped_tasks),
    error_count: count(after.error_count) ?? (Array.isArray(after.errors) ? after.errors.length : 0),
  };
  return publish(db, event, [{ type: 'import_completed', data, id: ref.id }]);
}
