// The derived fields stored with a task so that filters, search and sorting are plain indexed
// Firestore queries (store.ts plans them), and how they are hidden again from API responses.
import { searchTokensOf } from '../lib/search.js';
import { matchKey } from './naming.js';
import type { ProjectTaskConfig } from './project-config.js';
import type { TaskRecord } from './record.js';

/** Derived fields stored for querying (filters, search, sort); hidden from API responses. */
export const INDEX_FIELDS = [
  'episode_key',
  'sequence_key',
  'shot_key',
  'task_key',
  'artist_key',
  'priority_key',
  'priority_rank',
  'deadline_key',
  'archived',
  'search_tokens',
] as const;
export type IndexField = (typeof INDEX_FIELDS)[number];

/** Sorts after every real deadline, so tasks without one come last in ascending order. */
export const NO_DEADLINE_KEY = '9999-12-31T23:59:59.999Z';
/** Rank of a priority the project no longer lists (sorts below every configured level). */
export const UNKNOWN_PRIORITY_RANK = -1;

/**
 * The derived fields stored with a task: lower-cased copies for case-insensitive filters, the
 * priority's rank in the project's order, a sortable deadline, the archived flag (an equality
 * filter rather than `status != archived`, which would constrain sorting) and search tokens.
 */
export function indexFieldsOf(task: TaskRecord, config: ProjectTaskConfig): Record<IndexField, unknown> {
  // Tolerates documents migrated from the old system with a field missing.
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const rank = config.priority_levels.findIndex((p) => matchKey(p) === matchKey(text(task.priority)));
  return {
    episode_key: matchKey(text(task.episode)),
    sequence_key: matchKey(text(task.sequence)),
    shot_key: matchKey(text(task.shot)),
    task_key: matchKey(text(task.task)),
    artist_key: matchKey(text(task.artist)),
    priority_key: matchKey(text(task.priority)),
    priority_rank: rank >= 0 ? rank : UNKNOWN_PRIORITY_RANK,
    deadline_key: task.deadline ? new Date(task.deadline).toISOString() : NO_DEADLINE_KEY,
    archived: task.status === 'archived',
    search_tokens: searchTokens({ id: text(task.id), task: text(task.task), name: task.name, description: task.description }),
  };
}

/** The derived query fields, which the API never returns. */
export const INDEX_FIELD_NAMES: ReadonlySet<string> = new Set(INDEX_FIELDS);

/** A stored task's data without the derived query fields (what the API returns). */
export function withoutIndexFields(data: Record<string, unknown>): Record<string, unknown> {
  const out = { ...data };
  for (const f of INDEX_FIELDS) delete out[f];
  return out;
}

// Search (the scheme is in lib/search.ts): a task is found by its id and name as phrases, its type
// and description word by word.
export function searchTokens(task: Pick<TaskRecord, 'id' | 'task'> & { name?: string | undefined; description?: string | undefined }): string[] {
  return searchTokensOf({ phrases: [task.id, task.name], words: [task.task, task.description] });
}
