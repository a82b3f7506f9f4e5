// The real-time feed's messages: the spec's WebSocket message shapes, stored as `projects/{p}/events`
// documents. Types only: the one definition, used by the backend's triggers that write them
// (imported as `@montu/client/messages`) and by this package's listeners that read them.

export type FeedEventType =
  | 'task_created'
  | 'task_updated'
  | 'task_archived'
  | 'task_deleted'
  | 'tasks_bulk_updated'
  | 'task_ready'
  | 'task_blocked'
  | 'media_uploaded'
  | 'media_approved'
  | 'media_deleted'
  | 'annotation_created'
  | 'annotation_updated'
  | 'annotation_archived'
  | 'annotation_deleted'
  | 'import_completed'
  | 'member_added'
  | 'member_updated'
  | 'member_removed';

/** A document as the API returns it (Timestamps as ISO-8601 strings). */
export type JsonRecord = { id: string } & Record<string, unknown>;

/** What every message carries: who made the change (a uid, or `system`) and when. */
export interface MessageMeta {
  user: string;
  timestamp: string;
  /** Set on per-task events written during a bulk call or a CSV import: the id of its `tasks_bulk_updated` or `import_completed` event. */
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
/** A task's status became `archived` (the API's DELETE): like task_updated, `changes` holds the new values. */
export type TaskArchivedMessage = Message<'task_archived', { task_id: string; changes: Record<string, unknown> }>;
/** A task document was removed (never by the API's routes, which archive; by scripts or the console). */
export type TaskDeletedMessage = Message<'task_deleted', { task_id: string }>;
export type TasksBulkUpdatedMessage = Message<'tasks_bulk_updated', { task_ids: string[]; operation: string; changes: Record<string, unknown>; bulk_id?: string }>;
/** A task became ready to start: status `not_started` and no upstream task still pending. */
export type TaskReadyMessage = Message<'task_ready', { task_id: string; blocked_by: string[] }>;
/** A task became blocked: `blocked_by` names the upstream tasks it now waits for. */
export type TaskBlockedMessage = Message<'task_blocked', { task_id: string; blocked_by: string[] }>;
export type MediaUploadedMessage = Message<'media_uploaded', { media: JsonRecord }>;
export type MediaApprovedMessage = Message<'media_approved', { media_id: string; task_id: string | null; approval_status: string; previous_status: string | null }>;
export type MediaDeletedMessage = Message<'media_deleted', { media_id: string; task_id: string | null }>;
export type AnnotationCreatedMessage = Message<'annotation_created', { annotation: JsonRecord }>;
export type AnnotationUpdatedMessage = Message<'annotation_updated', { annotation_id: string; media_id: string | null; changes: Record<string, unknown> }>;
export type AnnotationArchivedMessage = Message<'annotation_archived', { annotation_id: string; media_id: string | null; changes: Record<string, unknown> }>;
export type AnnotationDeletedMessage = Message<'annotation_deleted', { annotation_id: string; media_id: string | null }>;
/** Membership changes: the member's uid and permissions (none once removed). */
type MemberData = { user_id: string; permissions: string[] };
export type MemberAddedMessage = Message<'member_added', MemberData>;
export type MemberUpdatedMessage = Message<'member_updated', MemberData & { previous_permissions: string[] }>;
export type MemberRemovedMessage = Message<'member_removed', MemberData>;
export type ImportCompletedMessage = Message<
  'import_completed',
  { job_id: string | null; status: 'completed' | 'failed'; total_rows: number | null; processed_rows: number | null; created_tasks: number | null; updated_tasks: number | null; skipped_tasks: number | null; error_count: number }
>;

export type FeedMessage =
  | TaskCreatedMessage
  | TaskUpdatedMessage
  | TaskArchivedMessage
  | TaskDeletedMessage
  | TasksBulkUpdatedMessage
  | TaskReadyMessage
  | TaskBlockedMessage
  | MediaUploadedMessage
  | MediaApprovedMessage
  | MediaDeletedMessage
  | AnnotationCreatedMessage
  | AnnotationUpdatedMessage
  | AnnotationArchivedMessage
  | AnnotationDeletedMessage
  | MemberAddedMessage
  | MemberUpdatedMessage
  | MemberRemovedMessage
  | ImportCompletedMessage;
