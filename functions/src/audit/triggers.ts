// The audit log's trigger handler: one entry per write to projects, memberships, tasks, media and
// annotations, named by the CloudEvent id so a redelivered event adds nothing.
import { Timestamp, type DocumentData, type Firestore } from 'firebase-admin/firestore';
import { logger } from 'firebase-functions/logger';
import { deleterOf } from '../lib/deletions.js';
import { actorOf, bulkIdOf, changedFields, eventDocId, versions, writeTimeOf, type DocumentWrittenEvent, type FieldChange } from '../lib/document-change.js';
import { toJson } from '../lib/serialize.js';
import { PROJECT_INDEX_FIELDS } from '../projects/store.js';
import { withoutDependencyState } from '../tasks/dependencies.js';
import { withoutIndexFields } from '../tasks/indexing.js';
import { taskIdOfKey } from '../tasks/keys.js';
import { AuditStore } from './store.js';
import type { AuditAction } from './schemas.js';

/** Entries stay well inside Firestore's 1 MiB document limit: larger diffs keep field names only. */
export const MAX_CHANGES_BYTES = 256 * 1024;

const without = (fields: readonly string[]) => (data: DocumentData) => Object.fromEntries(Object.entries(data).filter(([k]) => !fields.includes(k)));

/** Fields derived from others (match keys, search tokens, dependency state): not changes a person made. */
const DERIVED: Record<string, (data: DocumentData) => DocumentData> = { tasks: (data) => withoutDependencyState(withoutIndexFields(data)), projects: without(PROJECT_INDEX_FIELDS) };

function actionOf(before: DocumentData | undefined, after: DocumentData | undefined): AuditAction {
  if (!before) return 'create';
  if (!after) return 'delete';
  return after.status === 'archived' && before.status !== 'archived' ? 'archive' : 'update';
}

function bounded(changes: Record<string, FieldChange>): { changes: Record<string, FieldChange | { truncated: true }>; truncated: boolean } {
  if (JSON.stringify(toJson(changes)).length <= MAX_CHANGES_BYTES) return { changes, truncated: false };
  return { changes: Object.fromEntries(Object.keys(changes).map((field) => [field, { truncated: true as const }])), truncated: true };
}

/**
 * Records one write. Returns the entry id, or null when nothing was recorded (a write that changed
 * only bookkeeping fields, or a redelivery of an event already recorded).
 */
export async function recordAuditEntry(db: Firestore, event: DocumentWrittenEvent): Promise<string | null> {
  const { before: rawBefore, after: rawAfter, ref } = versions(event);
  if (!ref || (!rawBefore && !rawAfter)) return null;
  const collection = ref.parent.id;
  const strip = DERIVED[collection] ?? ((d: DocumentData) => d);
  const before = rawBefore && strip(rawBefore);
  const after = rawAfter && strip(rawAfter);
  const action = actionOf(before, after);
  const diff = changedFields(before, after);
  if (action === 'update' && Object.keys(diff).length === 0) return null;

  // Memberships live under their project; other audited documents carry `project_id`.
  const projectId =
    collection === 'projects' ? ref.id : collection === 'members' ? (ref.parent.parent?.id ?? null) : ((after ?? before)?.project_id ?? null);
  const { changes, truncated } = bounded(diff);
  const id = eventDocId(event.id);
  const entry = {
    collection,
    // A task is named by its bare id, as clients know it (with project_id, it is one task).
    document_id: collection === 'tasks' ? taskIdOfKey(ref.id) : ref.id,
    document_path: ref.path,
    project_id: typeof projectId === 'string' ? projectId : null,
    action,
    changes,
    changes_truncated: truncated,
    actor: action === 'delete' ? await deleterOf(db, ref.path, new Date()) : actorOf(rawAfter),
    bulk_id: bulkIdOf(rawBefore, rawAfter),
    time: Timestamp.fromDate(writeTimeOf(event)),
  };
  const created = await new AuditStore(db).create(id, entry);
  if (!created) logger.info('audit: event already recorded', { event_id: event.id, document: ref.path });
  return created ? id : null;
}
