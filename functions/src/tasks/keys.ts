// Where a task is stored: task ids are per project (docs/task-ids.md), so a task's document is
// `tasks/{project_id}~{task_id}`. `~` is in neither a project id nor a task id (lib/ids.ts), so a
// key names exactly one pair and splits back into it. Only the tasks domain builds keys; the API
// never shows one (responses and events carry the bare id).

const SEPARATOR = '~';

/** The document id of task `taskId` of project `projectId`. */
export function taskKey(projectId: string, taskId: string): string {
  return `${projectId}${SEPARATOR}${taskId}`;
}

/** The bare task id of a document id (a legacy key without a project is returned as it is). */
export function taskIdOfKey(key: string): string {
  return key.slice(key.indexOf(SEPARATOR) + 1);
}

/** A legacy document id: a bare task id, from before ids were per project (tasks/migrate-keys.ts). */
export const isLegacyKey = (key: string) => !key.includes(SEPARATOR);

/**
 * The bulk id the key migration stamps on each task it moves. A move changes no task as the API
 * shows it (its bare id stays), so the feed publishes nothing for it (realtime/triggers.ts).
 */
export const KEY_MIGRATION = 'task-keys-migration';
