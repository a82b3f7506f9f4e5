// Task dependencies for the API and the CSV import: checking new `depends_on` lists (in call order,
// so a cycle closed by several changes of one call is found) with the first estimate of what they
// leave blocking, and the dependencies view of a task.
import type { DocumentSnapshot, Firestore } from 'firebase-admin/firestore';
import type { AccessControl } from '../auth/access.js';
import type { Caller } from '../auth/caller.js';
import { unprocessable } from '../http/errors.js';
import { taskIdOfKey } from './keys.js';
import { ProjectStore } from '../projects/store.js';
import {
  blocks,
  dependencyStateOf,
  describeCycle,
  doneStatusesOf,
  findCycle,
  upstreamProblem,
  type DependencyNode,
  type DependenciesView,
} from './dependencies.js';
import { DependencyGraph, dependentsOf, projectTaskRefs, readTasks } from './dependency-store.js';
import { TaskResolver, type TaskTarget } from './resolve.js';

/** A task's new `depends_on`. */
export interface DependencyChange {
  task_id: string;
  project_id: string;
  /** The task's new status when the same write changes it (else the stored one applies). */
  status?: string | undefined;
  depends_on: readonly string[];
}

export type DependencyVerdict = { ok: true; blocked_by: string[] } | { ok: false; problems: string[]; cycle?: string[] };

export interface CheckOptions {
  /** Tasks the same call creates (as if stored, waiting for nothing until their own change is accepted). */
  pending?: ReadonlyMap<string, DependencyNode>;
}

/**
 * Checks changes one after another against the stored graph and the changes accepted before
 * them: each upstream id must name a task of the same project (ids resolve there, so another
 * project's tasks are never seen), not archived, not the task itself, and the new edges must close
 * no cycle. Reads in proportion to the tasks the walk reaches.
 */
export async function checkDependencyChanges(db: Firestore, changes: readonly DependencyChange[], options: CheckOptions = {}): Promise<DependencyVerdict[]> {
  const graph = new DependencyGraph(db, options.pending);
  const projects = new ProjectStore(db);
  const doneStatuses = new Map<string, readonly string[]>();
  const verdicts: DependencyVerdict[] = [];
  for (const change of changes) {
    if (change.depends_on.length === 0) {
      await graph.accept(change);
      verdicts.push({ ok: true, blocked_by: [] });
      continue;
    }
    await graph.load(change.project_id, change.depends_on);
    const problems: string[] = [];
    for (const id of change.depends_on) {
      const problem = upstreamProblem(change.task_id, id, graph.node(change.project_id, id));
      if (problem) problems.push(problem);
    }
    if (problems.length > 0) {
      verdicts.push({ ok: false, problems });
      continue;
    }
    const cycle = await findCycle(change.task_id, change.depends_on, (ids) => graph.upstreamOf(change.project_id, ids));
    if (cycle) {
      verdicts.push({ ok: false, problems: [describeCycle(cycle)], cycle });
      continue;
    }
    await graph.accept(change);
    if (!doneStatuses.has(change.project_id)) doneStatuses.set(change.project_id, doneStatusesOf((await projects.get(change.project_id))?.data()));
    const upstream = new Map(change.depends_on.map((id) => [id, graph.node(change.project_id, id)]));
    verdicts.push({ ok: true, blocked_by: dependencyStateOf({ status: null, depends_on: change.depends_on }, upstream, doneStatuses.get(change.project_id)!).blocked_by });
  }
  return verdicts;
}

/** The 422 for a refused `depends_on`, every problem named (and the cycle's tasks in order). */
export function dependencyError(taskId: string, verdict: Extract<DependencyVerdict, { ok: false }>) {
  return unprocessable(`Task ${taskId} cannot depend on these tasks: ${verdict.problems.join('; ')}`, {
    field: 'depends_on',
    issue: verdict.problems[0],
    errors: verdict.problems.map((issue) => ({ field: 'depends_on', issue })),
    ...(verdict.cycle ? { cycle: verdict.cycle } : {}),
  });
}

/** The dependency change a write makes to a task, or undefined when it leaves `depends_on` alone. */
export function dependencyChangeOf(taskId: string, current: Record<string, unknown>, changes: Record<string, unknown>): DependencyChange | undefined {
  if (!Array.isArray(changes.depends_on)) return undefined;
  return {
    task_id: taskId,
    project_id: String(current.project_id ?? changes.project_id),
    status: typeof changes.status === 'string' ? changes.status : undefined,
    depends_on: changes.depends_on as string[],
  };
}

/** Fields of a related task the dependencies view shows. */
const VIEW_FIELDS = ['project_id', 'task', 'name', 'status', 'artist', 'ready', 'blocked_by', 'depends_on'];

export class DependencyService {
  private readonly resolver: TaskResolver;

  constructor(
    private readonly db: Firestore,
    access: AccessControl,
  ) {
    this.resolver = new TaskResolver(db, access);
  }

  /** Verdicts for changes the caller makes (the caller's access to the tasks' project is checked already). */
  check(changes: readonly DependencyChange[]): Promise<DependencyVerdict[]> {
    return checkDependencyChanges(this.db, changes);
  }

  /** `blocked_by` for one task's new `depends_on`, or the 422 naming every problem. */
  async blockedBy(change: DependencyChange): Promise<string[]> {
    const [verdict] = await this.check([change]);
    if (!verdict!.ok) throw dependencyError(change.task_id, verdict!);
    return verdict!.blocked_by;
  }

  /** Adds the first estimate of `blocked_by` to changes that set `depends_on` (422 when refused). */
  async settle(taskId: string, current: Record<string, unknown>, changes: Record<string, unknown>): Promise<void> {
    const change = dependencyChangeOf(taskId, current, changes);
    if (change) changes.blocked_by = await this.blockedBy(change);
  }

  /** `settle` for the items of a bulk call, checked together in order; returns why each refused item is. */
  async settleAll(items: readonly { task_id: string; current: Record<string, unknown>; changes: Record<string, unknown> }[]): Promise<Map<string, string>> {
    const changing = items.flatMap((item) => {
      const change = dependencyChangeOf(item.task_id, item.current, item.changes);
      return change ? [{ item, change }] : [];
    });
    const verdicts = await this.check(changing.map((c) => c.change));
    const refused = new Map<string, string>();
    changing.forEach(({ item }, i) => {
      const verdict = verdicts[i]!;
      if (verdict.ok) item.changes.blocked_by = verdict.blocked_by;
      else refused.set(item.task_id, `depends_on: ${verdict.problems.join('; ')}`);
    });
    return refused;
  }

  /** What a task waits for and what waits for it, each with its status and whether it blocks. */
  async view(caller: Caller, target: TaskTarget): Promise<DependenciesView> {
    const taskId = target.id;
    const snap = await this.resolver.find(caller, taskId, 'read', target.projectId);
    const projectId = String(snap.get('project_id'));
    const doneStatuses = doneStatusesOf((await new ProjectStore(this.db).get(projectId))?.data());
    const dependsOn = (snap.get('depends_on') as string[] | undefined) ?? [];
    const [upstream, downstream] = await Promise.all([readTasks(this.db, projectTaskRefs(this.db, projectId, dependsOn), VIEW_FIELDS), dependentsOf(this.db, projectId, taskId, VIEW_FIELDS)]);
    const thisBlocks = blocks(snap.get('status'), doneStatuses);
    const summary = (s: DocumentSnapshot) => ({ id: taskIdOfKey(s.id), task: s.get('task') ?? null, name: s.get('name') ?? null, status: s.get('status') ?? null, artist: s.get('artist') ?? null });
    return {
      task_id: taskId,
      status: snap.get('status'),
      ready: snap.get('ready') === true,
      blocked_by: (snap.get('blocked_by') as string[] | undefined) ?? [],
      dependency_done_statuses: [...doneStatuses],
      upstream: upstream.map((u) => (u.exists ? { ...summary(u), blocking: blocks(u.get('status'), doneStatuses) } : { id: taskIdOfKey(u.id), task: null, name: null, status: null, artist: null, blocking: false })),
      downstream: downstream.map((d) => ({ ...summary(d), ready: d.get('ready') === true, blocking: thisBlocks })),
    };
  }
}
