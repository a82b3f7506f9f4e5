// Task dependencies, the pure rules: which upstream tasks a task may wait for, how a dependency
// cycle is found and named, and the derived fields that say what is ready and what is blocked.
// No I/O here: dependency-store.ts reads the graph, the service and the triggers build on these.
import { z } from 'zod';
import { docIdSchema } from '../lib/ids.js';

/** Most upstream tasks one task may wait for. */
export const MAX_UPSTREAM = 50;
/** Statuses in which an upstream task no longer blocks, unless the project says otherwise. */
export const DEFAULT_DONE_STATUSES = ['approved', 'completed'] as const;
/** Written by the dependency triggers (and the service's first estimate); never by clients. */
export const DEPENDENCY_STATE_FIELDS = ['blocked_by', 'blocked', 'ready'] as const;

export const dependsOnSchema = z
  .array(docIdSchema('Task'), { message: 'depends_on must be a list of task ids' })
  .max(MAX_UPSTREAM, `depends_on lists at most ${MAX_UPSTREAM} tasks`)
  .refine((ids) => new Set(ids).size === ids.length, 'depends_on lists a task more than once')
  .describe(`Ids of tasks of the same project this task waits for (at most ${MAX_UPSTREAM}, no cycles)`);

/** What the rules need to know of a task in the dependency graph. */
export interface DependencyNode {
  id: string;
  project_id: string;
  status: string;
  depends_on: readonly string[];
}

const idList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** A stored task's data as a graph node (a migrated task without `depends_on` waits for nothing). */
export function dependencyNodeOf(id: string, data: Record<string, unknown>): DependencyNode {
  return { id, project_id: String(data.project_id ?? ''), status: String(data.status ?? ''), depends_on: idList(data.depends_on) };
}

/** The project's `dependency_done_statuses`, or the default when it has none. */
export function doneStatusesOf(project: Record<string, unknown> | undefined): readonly string[] {
  const list = project?.dependency_done_statuses;
  return Array.isArray(list) && list.every((s) => typeof s === 'string') ? list : DEFAULT_DONE_STATUSES;
}

/** Whether an upstream task in this state still holds its dependents back (archived ones never do). */
export function blocks(status: unknown, doneStatuses: readonly string[]): boolean {
  return status !== 'archived' && !doneStatuses.includes(String(status));
}

export interface DependencyState {
  blocked_by: string[];
  blocked: boolean;
  ready: boolean;
}

/** `ready` and `blocked` for a task with this status and these pending upstream tasks. */
export function readinessOf(status: unknown, blockedBy: readonly string[]): Omit<DependencyState, 'blocked_by'> {
  return { blocked: blockedBy.length > 0, ready: status === 'not_started' && blockedBy.length === 0 };
}

/**
 * The derived fields of a task: its upstream tasks still pending, in `depends_on` order (a task
 * that no longer exists does not block), and what follows from them.
 */
export function dependencyStateOf(task: { status: unknown; depends_on: readonly string[] }, upstream: ReadonlyMap<string, { status: unknown } | undefined>, doneStatuses: readonly string[]): DependencyState {
  const blockedBy = task.depends_on.filter((id) => {
    const u = upstream.get(id);
    return u !== undefined && blocks(u.status, doneStatuses);
  });
  return { blocked_by: blockedBy, ...readinessOf(task.status, blockedBy) };
}

/** The derived fields a stored task should carry given only its own data (`blocked_by` as stored). */
export function storedReadiness(task: object): DependencyState {
  const data = task as Record<string, unknown>;
  const blockedBy = idList(data.blocked_by);
  return { blocked_by: blockedBy, ...readinessOf(data.status, blockedBy) };
}

/** True when two derived states are the same (what a redelivered event finds, so it writes nothing). */
export function sameState(a: DependencyState, b: Partial<DependencyState>): boolean {
  return a.ready === b.ready && a.blocked === b.blocked && JSON.stringify(a.blocked_by) === JSON.stringify(b.blocked_by ?? null);
}

/** The refusal of a wait for a task the project does not have. */
export const notFoundProblem = (upstreamId: string) => `Task ${upstreamId} not found`;

/**
 * Why task `taskId` may not wait for `upstream` (undefined when it may): `upstream` is the task of
 * that id in the same project, undefined when it has none (ids are per project, so another
 * project's task of that id is not looked at).
 */
export function upstreamProblem(taskId: string, upstreamId: string, upstream: DependencyNode | undefined): string | undefined {
  if (upstreamId === taskId) return `Task ${taskId} cannot depend on itself`;
  if (!upstream) return notFoundProblem(upstreamId);
  if (upstream.status === 'archived') return `Task ${upstreamId} is archived; an archived task cannot be waited for`;
  return undefined;
}

/**
 * The cycle that `taskId` waiting for `dependsOn` would close, as the path of tasks from it back
 * to it (`[a, b, c, a]`: a waits for b, b for c, c for a), or undefined. `upstreamOf` gives the
 * tasks a task waits for; breadth first, so the shortest cycle is named.
 */
export async function findCycle(taskId: string, dependsOn: readonly string[], upstreamOf: (ids: string[]) => Promise<Map<string, readonly string[]>>): Promise<string[] | undefined> {
  const parent = new Map<string, string>(dependsOn.map((id) => [id, taskId]));
  let frontier = [...dependsOn];
  while (frontier.length > 0) {
    if (parent.has(taskId)) break;
    const edges = await upstreamOf(frontier);
    const next: string[] = [];
    for (const id of frontier) {
      for (const up of edges.get(id) ?? []) {
        if (parent.has(up)) continue;
        parent.set(up, id);
        if (up === taskId) break;
        next.push(up);
      }
      if (parent.has(taskId)) break;
    }
    frontier = next;
  }
  if (!parent.has(taskId)) return undefined;
  // Walk back from the task to its first upstream: the path read backwards is the cycle.
  const path = [taskId];
  for (let at = parent.get(taskId)!; at !== taskId; at = parent.get(at)!) path.push(at);
  path.push(taskId);
  return [path[0]!, ...path.slice(1, -1).reverse(), taskId];
}

/** `a → b → c → a`, with what the arrows mean. */
export function describeCycle(cycle: readonly string[]): string {
  return `Dependency cycle: ${cycle.join(' → ')} (each task waits for the next)`;
}

/**
 * The feed event a task write calls for: `task_ready` when the task became ready, `task_blocked`
 * when it started waiting for pending upstream tasks. A new task's state is in its `task_created`.
 */
export function readinessEvent(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined): { type: 'task_ready' | 'task_blocked'; blocked_by: string[] } | undefined {
  if (!before || !after) return undefined;
  if (after.ready === true && before.ready !== true) return { type: 'task_ready', blocked_by: [] };
  if (after.blocked === true && before.blocked !== true) return { type: 'task_blocked', blocked_by: idList(after.blocked_by) };
  return undefined;
}

/** The dependency fields a new task is stored with: what it waits for and its state from `blocked_by` (the check's estimate). */
export function newTaskDependencyFields(task: object): DependencyState & { depends_on: string[] } {
  const data = task as Record<string, unknown>;
  return { depends_on: idList(data.depends_on), ...storedReadiness(data) };
}

const relatedTask = {
  id: z.string(),
  task: z.string().nullable(),
  name: z.string().nullable(),
  status: z.string().nullable().describe('null when the task no longer exists'),
  artist: z.string().nullable(),
};

/** GET /tasks/{task_id}/dependencies. */
export const dependenciesResponse = z.object({
  task_id: z.string(),
  status: z.string(),
  ready: z.boolean(),
  blocked_by: z.array(z.string()),
  dependency_done_statuses: z.array(z.string()).describe("The project's statuses in which an upstream task no longer blocks"),
  upstream: z.array(z.object({ ...relatedTask, blocking: z.boolean().describe('Whether this upstream task still holds the task back') })).describe('The tasks of depends_on, in its order'),
  downstream: z.array(z.object({ ...relatedTask, ready: z.boolean(), blocking: z.boolean().describe('Whether the task holds this downstream task back') })).describe('The tasks that depend on this one'),
});
export type DependenciesView = z.infer<typeof dependenciesResponse>;

/**
 * A task's data without the derived dependency state: what `task_updated` and the audit log
 * compare, since that state follows from other writes and has its own `task_ready`/`task_blocked`.
 */
export function withoutDependencyState(data: Record<string, unknown>): Record<string, unknown> {
  const out = { ...data };
  for (const f of DEPENDENCY_STATE_FIELDS) delete out[f];
  return out;
}
