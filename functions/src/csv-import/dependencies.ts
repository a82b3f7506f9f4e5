// The `Depends On` column of a CSV import: a chunk's dependency changes are checked together, in
// row order, against the project's stored tasks and the tasks the file creates, so a row may wait
// for a task any row of the file creates, and a cycle the file closes is refused on the row that
// closes it. A row waiting for a task no row read so far creates is deferred: the processor checks
// it again, and writes it, once the whole file is read. Accepted rows get their first `blocked_by`.
import type { Firestore } from 'firebase-admin/firestore';
import { notFoundProblem, type DependencyNode } from '../tasks/dependencies.js';
import { checkDependencyChanges, type DependencyChange } from '../tasks/dependency-service.js';
import type { TaskRecord } from '../tasks/record.js';

/** What the importer has planned for a row (only what this check reads and completes). */
interface PlannedRow {
  task: TaskRecord;
  action: 'create' | 'update' | 'skip';
  changes: Record<string, unknown>;
}

const dependsOnOf = (task: TaskRecord) => (task as unknown as { depends_on?: string[] }).depends_on;

/** A planned row that sets or changes the tasks it waits for. */
export const setsDependencies = (p: PlannedRow) => (p.action === 'create' ? (dependsOnOf(p.task)?.length ?? 0) > 0 : p.action === 'update' && 'depends_on' in p.changes);

/** What a row creating a task is to the dependency check of the rows that wait for it. */
export const pendingNode = (projectId: string, p: PlannedRow): DependencyNode => ({ id: p.task.id, project_id: projectId, status: p.task.status, depends_on: [] });

export interface DependencyOutcome<P> {
  /** Why each refused row is. */
  refused: Map<P, string>;
  /** Rows waiting for a task that rows further down the file may create: checked again once the file is read. */
  deferred: P[];
}

/**
 * Checks the planned rows that set `depends_on`. Tasks of other projects are "not found", as for a
 * dry run (docs/task-ids.md). A refused row creates nothing, so rows waiting for its task are
 * checked again without it. `known`: tasks the file's earlier rows create that the check cannot
 * read (a dry run writes nothing). `mayComeLater(id)`: whether a row not read yet may create the
 * task; a row whose only problem is waiting for such tasks is deferred, and so is a row waiting
 * for a deferred row's task.
 */
export async function checkDependencies<P extends PlannedRow>(
  db: Firestore,
  projectId: string,
  plan: readonly P[],
  options: { known?: ReadonlyMap<string, DependencyNode>; mayComeLater?: (taskId: string) => boolean } = {},
): Promise<DependencyOutcome<P>> {
  const { known = new Map(), mayComeLater = () => false } = options;
  const changing = plan.filter(setsDependencies);
  const refused = new Map<P, string>();
  const deferred = new Set<P>();
  const settled = (p: P) => refused.has(p) || deferred.has(p);
  const creating = (rows: Iterable<P>) => new Set([...rows].filter((p) => p.action === 'create').map((p) => p.task.id));
  for (;;) {
    const before = refused.size + deferred.size;
    const notCreated = creating(refused.keys());
    const waiting = creating(deferred);
    const pending = new Map(known);
    for (const p of plan) if (p.action === 'create' && !settled(p)) pending.set(p.task.id, pendingNode(projectId, p));
    const checking: P[] = [];
    for (const p of changing.filter((c) => !settled(c))) {
      const upstream = dependsOnOf(p.task) ?? [];
      const lost = upstream.filter((id) => notCreated.has(id));
      if (lost.length > 0) refused.set(p, lost.map((id) => `Task ${id} is not imported: its own row was refused`).join('; '));
      else if (upstream.some((id) => waiting.has(id))) deferred.add(p);
      else checking.push(p);
    }
    const changes: DependencyChange[] = checking.map((p) => ({
      task_id: p.task.id,
      project_id: projectId,
      status: p.action === 'create' ? p.task.status : undefined,
      depends_on: dependsOnOf(p.task) ?? [],
    }));
    const verdicts = await checkDependencyChanges(db, changes, { pending });
    checking.forEach((p, i) => {
      const verdict = verdicts[i]!;
      const later = (problem: string) => (dependsOnOf(p.task) ?? []).some((id) => problem === notFoundProblem(id) && mayComeLater(id));
      if (!verdict.ok && verdict.problems.every(later)) deferred.add(p);
      else if (!verdict.ok) refused.set(p, verdict.problems.join('; '));
      // A new task is stored with its first estimate; an update's follows from the trigger within a second.
      else if (p.action === 'create') Object.assign(p.task, { blocked_by: verdict.blocked_by });
    });
    if (refused.size + deferred.size === before) return { refused, deferred: plan.filter((p) => deferred.has(p)) };
  }
}
