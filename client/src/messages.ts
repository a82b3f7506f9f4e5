// The real-time feed's messages: the spec's WebSocket message shapes, stored as `projects/{p}/events`
// documents. Types only: the one definition, used by the backend's triggers that write them
// (imported as `@montu/client/messages`) and by this package's listeners that read them.

export type FeedEventType =
  | 'task_created'
  | 'task_updated'
  | 'tasks_bulk_updated'
  | 'task_ready'
  | 'task_blocked'
  | 'media_uploaded'
  | 'media_approved'
  | 'annotation_created'
  | 'annotation_updated'
  | 'import_completed';

/** A document as the API returns it (Timestamps as ISO-8601 strings). */
export type JsonRecord = { id: string } & Record<string, unknown>;

/** What every message carries: who made the change (a uid, or `system`) and when. */
export interface MessageMeta {
  user: string;
  timestamp: string;
  /** Set on per-task events written during a bulk call: the `bulk_id` of its `tasks_bulk_updated`. */
  part_of?: string;
  /**
   * Set when the message would have been too large: records (`task`, `media`, `annotation`) carry
   * only their `id` and `changes` is replaced by `changed_fields`; read the document for the rest.
   */
  truncated?: true;
  changed_fields?: string[];
}

interface Message<T extends FeedEventType, D> {
  type: T;
  data: D & MessageMeta;
}

export type TaskCreatedMessage = Message<'task_created', { task: JsonRecord }>;
/** `changes` holds the new value of each changed field (`null` for a removed field). */
export type TaskUpdatedMessage = Message<'task_updated', { task_id: string; changes: Record<string, unknown> }>;
export type TasksBulkUpdatedMessage = Message<'tasks_bulk_updated', { task_ids: string[]; operation: string; changes: Record<string, unknown>; bulk_id?: string }>;
/** A task became ready to start: status `not_started` and no upstream task still pending. */
export type TaskReadyMessage = Message<'task_ready', { task_id: string; blocked_by: string[] }>;
/** A task became blocked: `blocked_by` names the upstream tasks it now waits for. */
export type TaskBlockedMessage = Message<'task_blocked', { task_id: string; blocked_by: string[] }>;
export type MediaUploadedMessage = Message<'media_uploaded', { media: JsonRecord }>;
export type MediaApprovedMessage = Message<'media_approved', { media_id: string; task_id: string | null; approval_status: string; previous_status: string | null }>;
export type AnnotationCreatedMessage = Message<'annotation_created', { annotation: JsonRecord }>;
export type AnnotationUpdatedMessage = Message<'annotation_updated', { annotation_id: string; media_id: string | null; changes: Record<string, unknown> }>;
export type ImportCompletedMessage = Message<
  'import_completed',
  { job_id: string; total_rows: number | null; processed_rows: number | null; created_tasks: number | null; updated_tasks: number | null; skipped_tasks: number | null; error_count: number }
>;

export type FeedMessage =
  | TaskCreatedMessage
  | TaskUpdatedMessage
  | TasksBulkUpdatedMessage
  | TaskReadyMessage
  | TaskBlockedMessage
  | MediaUploadedMessage
  | MediaApprovedMessage
  | AnnotationCreatedMessage
  | AnnotationUpdatedMessage
  | ImportCompletedMessage;
