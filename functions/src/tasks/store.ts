// Firestore access for tasks, the one owner of the `tasks` collection (the CSV importer, reviews,
// stats and the audit log read and write tasks through it): the stored form of a write (derived
// query fields, actor, server timestamps), writing many tasks at once, and the list query plan (which is also what the
// composite indexes in firestore.indexes.json are derived from).
import { FieldValue, type DocumentReference, type DocumentSnapshot, type Firestore, type Query, type Transaction } from 'firebase-admin/firestore';
import { validationError } from '../http/errors.js';
import { sameValue } from '../lib/same-value.js';
import { searchKey } from '../lib/search.js';
import { indexFieldsOf } from './indexing.js';
import { matchKey } from './naming.js';
import { taskConfigOf, type ProjectTaskConfig } from './project-config.js';
import type { TaskRecord } from './record.js';
import type { SortField, TaskStatus } from './schemas.js';
import { hasCode } from '../lib/firestore-errors.js';
import { TASKS } from '../lib/collections.js';
import { step } from '../lib/timing.js';
import { chunked } from '../lib/chunked.js';
import { newTaskDependencyFields, storedReadiness } from './dependencies.js';
import { taskKey } from './keys.js';

/** Firestore allows at most 30 disjunctions in one query (the product of all `in` list sizes). */
export const MAX_DISJUNCTIONS = 30;

export function tasksCollection(db: Firestore) {
  return db.collection(TASKS);
}

/** The document of task `taskId` of project `projectId`. */
export function taskRef(db: Firestore, projectId: string, taskId: string): DocumentReference {
  return tasksCollection(db).doc(taskKey(projectId, taskId));
}

/** The same document's path (`tasks/{key}`), for writers that build no reference (lib/firestore-rest.ts). */
export function taskPath(projectId: string, taskId: string): string {
  return `${TASKS}/${taskKey(projectId, taskId)}`;
}

/** The document data of a new task: its fields, the derived query fields, who wrote it and when. */
export function storedNewTask(task: TaskRecord, config: ProjectTaskConfig, actor: string, bulkId: string | null = null) {
  const now = FieldValue.serverTimestamp();
  return { ...task, ...indexFieldsOf(task, config), ...newTaskDependencyFields(task), created_by: actor, updated_by: actor, bulk_id: bulkId, created_at: now, updated_at: now };
}

/**
 * The update data for `changes` to a stored task: the changes, the derived query fields that the
 * merged task no longer matches (so an artist change does not rewrite the search tokens), the
 * actor and the server time. `bulk_id` is reset on every write so a later single change is never
 * mistaken for part of an earlier bulk call.
 */
export function storedChanges(current: Record<string, unknown>, changes: Record<string, unknown>, config: ProjectTaskConfig, actor: string, bulkId: string | null = null) {
  const merged = { ...current, ...changes } as unknown as TaskRecord;
  const derived = Object.entries({ ...indexFieldsOf(merged, config), ...storedReadiness(merged) }).filter(([field, value]) => !sameValue(current[field], value));
  return { ...changes, ...Object.fromEntries(derived), updated_by: actor, bulk_id: bulkId, updated_at: FieldValue.serverTimestamp() };
}

/** One write of `writeTasks`: a new task, or changes to a stored one (`current` is its data). */
export type TaskWrite =
  | { kind: 'create'; task: TaskRecord; config: ProjectTaskConfig }
  | { kind: 'update'; projectId: string; id: string; current: Record<string, unknown>; changes: Record<string, unknown>; config: ProjectTaskConfig };

export type TaskWriteResult = { id: string; ok: true } | { id: string; ok: false; reason: 'already_exists' | 'not_found' | 'failed'; error: string };

/**
 * Writes many tasks with a BulkWriter (no 500-write cap, retries on contention) and reports each
 * write's outcome: a create of an existing id fails with `already_exists`, an update of a missing
 * task with `not_found`; the others still land. For the CSV importer and seeding.
 */
export async function writeTasks(db: Firestore, writes: readonly TaskWrite[], options: { actor: string; bulkId?: string | null }): Promise<TaskWriteResult[]> {
  const writer = db.bulkWriter();
  const pending = writes.map((w): Promise<TaskWriteResult> => {
    const id = w.kind === 'create' ? w.task.id : w.id;
    const ref = taskRef(db, w.kind === 'create' ? w.task.project_id : w.projectId, id);
    const op =
      w.kind === 'create'
        ? writer.create(ref, storedNewTask(w.task, w.config, options.actor, options.bulkId ?? null))
        : writer.update(ref, storedChanges(w.current, w.changes, w.config, options.actor, options.bulkId ?? null));
    return op.then(
      () => ({ id, ok: true }),
      (err: { code?: number; message?: string }) =>
        hasCode(err, 'ALREADY_EXISTS')
          ? { id, ok: false, reason: 'already_exists', error: `Task ${id} already exists` }
          : hasCode(err, 'NOT_FOUND')
            ? { id, ok: false, reason: 'not_found', error: `Task ${id} not found` }
            : { id, ok: false, reason: 'failed', error: err.message ?? 'Write failed' },
    );
  });
  await writer.close();
  return Promise.all(pending);
}

/** Single-task access: a task is addressed by its project and its id (keys.ts). */
export class TaskStore {
  constructor(private readonly db: Firestore) {}

  ref(projectId: string, taskId: string): DocumentReference {
    return taskRef(this.db, projectId, taskId);
  }

  async get(projectId: string, taskId: string): Promise<DocumentSnapshot | null> {
    const snap = await step('doc', () => this.ref(projectId, taskId).get());
    return snap.exists ? snap : null;
  }

  /** Snapshots of the project's tasks `ids` in order (missing ones too), read in one round trip; with `fields`, only those are read. */
  async getMany(projectId: string, ids: readonly string[], fields?: readonly string[]): Promise<DocumentSnapshot[]> {
    if (ids.length === 0) return [];
    const refs = ids.map((id) => this.ref(projectId, id));
    return fields ? this.db.getAll(...refs, { fieldMask: [...fields] }) : this.db.getAll(...refs);
  }

  /**
   * Every task with id `taskId`, whichever project holds it: at most one per project. What the
   * spec's global routes (`/tasks/{task_id}`) resolve within the caller's projects (resolve.ts).
   */
  async withId(taskId: string): Promise<DocumentSnapshot[]> {
    return (await step('resolve', () => tasksCollection(this.db).where('id', '==', taskId).get())).docs;
  }

  /** `withId` for many ids at once (a query per MAX_DISJUNCTIONS ids), grouped by id. */
  async withIds(taskIds: readonly string[]): Promise<Map<string, DocumentSnapshot[]>> {
    const found = new Map<string, DocumentSnapshot[]>(taskIds.map((id) => [id, []]));
    const snaps = await Promise.all(chunked(taskIds, MAX_DISJUNCTIONS).map((chunk) => tasksCollection(this.db).where('id', 'in', chunk).get()));
    for (const doc of snaps.flatMap((s) => s.docs)) found.get(String(doc.get('id')))?.push(doc);
    return found;
  }

  /** Up to `limit` tasks of a project, whichever come first, with only `fields` read. */
  async sample(projectId: string, limit: number, fields: readonly string[]): Promise<DocumentSnapshot[]> {
    return (await tasksCollection(this.db).where('project_id', '==', projectId).select(...fields).limit(limit).get()).docs;
  }

  /** How many tasks of a project match every `where` equality (an aggregation: no task is read). */
  async count(projectId: string, where: readonly { field: string; value: unknown }[]): Promise<number> {
    let q = tasksCollection(this.db).where('project_id', '==', projectId);
    for (const w of where) q = q.where(w.field, '==', w.value);
    return (await q.count().get()).data().count;
  }

  /** Creates a task; false when the id is taken. */
  async create(task: TaskRecord, config: ProjectTaskConfig, actor: string): Promise<boolean> {
    try {
      await this.ref(task.project_id, task.id).create(storedNewTask(task, config, actor));
      return true;
    } catch (err) {
      if (hasCode(err, 'ALREADY_EXISTS')) return false;
      throw err;
    }
  }

  /**
   * Distinct artists among the project's tasks in the given statuses, by skip-scanning
   * the `artist_key` index: each step reads one task, the first whose artist sorts after the last
   * one found, so the cost is one read per artist however many tasks each has.
   */
  async distinctArtists(projectId: string, statuses: readonly string[], skip: readonly string[], max: number): Promise<number> {
    let count = 0;
    let after: string | null = null;
    while (count < max) {
      let q = tasksCollection(this.db).where('project_id', '==', projectId).where('status', 'in', statuses);
      if (after !== null) q = q.where('artist_key', '>', after);
      const snap = await q.orderBy('artist_key').limit(1).get();
      const doc = snap.docs[0];
      if (!doc) break;
      after = String(doc.get('artist_key'));
      if (!skip.includes(after)) count++;
    }
    return count;
  }

  /**
   * A review moved the task's status: written in the review's transaction, which has read the task
   * and its project (the derived fields follow the status, the reviewer is the writer).
   */
  reviewMovedStatus(tx: Transaction, task: DocumentSnapshot, project: DocumentSnapshot, status: string, reviewer: string): void {
    tx.update(task.ref, storedChanges(task.data() ?? {}, { status }, taskConfigOf(project.data()), reviewer));
  }

  /** Applies changes, provided the task is still at `snap`'s update time (throws a stale-write error otherwise). */
  async update(snap: DocumentSnapshot, changes: Record<string, unknown>, config: ProjectTaskConfig, actor: string): Promise<void> {
    await snap.ref.update(storedChanges(snap.data() ?? {}, changes, config, actor), { lastUpdateTime: snap.updateTime! });
  }
}

// ---------------------------------------------------------------------------------------------
// The list query

/** What a task list is filtered and sorted by; `project_ids` undefined means every project. */
export interface TaskFilters {
  project_ids?: readonly string[] | undefined;
  episode?: readonly string[] | undefined;
  sequence?: readonly string[] | undefined;
  shot?: readonly string[] | undefined;
  task_type?: readonly string[] | undefined;
  artist?: readonly string[] | undefined;
  status?: readonly TaskStatus[] | undefined;
  priority?: readonly string[] | undefined;
  search?: string | undefined;
  /** Equality on the derived dependency state (see tasks/dependencies.ts). */
  ready?: boolean | undefined;
  blocked?: boolean | undefined;
  include_archived: boolean;
  sort: SortField;
  order: 'asc' | 'desc';
}

export type FilterOp = '==' | 'in' | 'array-contains';

export interface TaskQueryPlan {
  where: { field: string; op: FilterOp; value: unknown }[];
  orderBy: { field: string; direction: 'asc' | 'desc' }[];
}

/** Multi-valued filters and the stored field each one matches (case-insensitive ones use the *_key copies). */
export const FILTER_FIELDS = {
  project_ids: { field: 'project_id', key: (v: string) => v },
  episode: { field: 'episode_key', key: matchKey },
  sequence: { field: 'sequence_key', key: matchKey },
  shot: { field: 'shot_key', key: matchKey },
  task_type: { field: 'task_key', key: matchKey },
  artist: { field: 'artist_key', key: matchKey },
  status: { field: 'status', key: (v: string) => v },
  priority: { field: 'priority_key', key: matchKey },
} as const;

/** Dependency filters: each matches the stored boolean of the same name. */
export const DEPENDENCY_FILTERS = ['ready', 'blocked'] as const;

/** The stored field each sort option orders by (priority by the project's rank, deadline with missing ones last). */
export const SORT_PATHS: Record<SortField, string> = {
  created_at: 'created_at',
  updated_at: 'updated_at',
  priority: 'priority_rank',
  deadline: 'deadline_key',
};

/**
 * Turns list filters into Firestore clauses: equality (`==`/`in`) filters and at most one
 * `array-contains`, ordered by one field. Such a query is served by merging the two-field
 * composite indexes (filter field, sort field) in firestore.indexes.json, whatever filters combine.
 */
export function planTaskQuery(filters: TaskFilters): TaskQueryPlan {
  const where: TaskQueryPlan['where'] = [];
  let disjunctions = 1;
  for (const [name, { field, key }] of Object.entries(FILTER_FIELDS) as [keyof typeof FILTER_FIELDS, (typeof FILTER_FIELDS)[keyof typeof FILTER_FIELDS]][]) {
    const given = filters[name];
    if (given === undefined) continue;
    const values = [...new Set(given.map(key))];
    disjunctions *= values.length;
    where.push(values.length === 1 ? { field, op: '==', value: values[0] } : { field, op: 'in', value: values });
  }
  if (disjunctions > MAX_DISJUNCTIONS) {
    throw validationError(`Too many filter combinations: the multi-valued filters combine into ${disjunctions} (Firestore allows ${MAX_DISJUNCTIONS}); give fewer values`, {
      field: 'query',
      issue: 'too_many_disjunctions',
    });
  }
  // An explicit status filter decides archived visibility itself (status=archived lists them).
  if (filters.status === undefined && !filters.include_archived) where.push({ field: 'archived', op: '==', value: false });
  for (const flag of DEPENDENCY_FILTERS) if (filters[flag] !== undefined) where.push({ field: flag, op: '==', value: filters[flag] });
  if (filters.search !== undefined) where.push({ field: 'search_tokens', op: 'array-contains', value: searchKey(filters.search) });
  return { where, orderBy: [{ field: SORT_PATHS[filters.sort], direction: filters.order }] };
}

/** The plan's filters applied to the tasks collection (ordering is added by `paginate`). */
export function filteredQuery(db: Firestore, plan: TaskQueryPlan): Query {
  let q: Query = tasksCollection(db);
  for (const w of plan.where) q = q.where(w.field, w.op, w.value);
  return q;
}
