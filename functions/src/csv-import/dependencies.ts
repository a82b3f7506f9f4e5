// The `Depends On` column of a CSV import: a chunk's dependency changes are checked together, in
// row order, against the project's stored tasks and the tasks the chunk creates, so a row may wait
// for a task created by an earlier row or a later row of the same chunk, and a cycle the file
// closes is refused on the row that closes it. Accepted rows get their first `blocked_by`.
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

/**
 * A refusal naming a task that no row read so far creates (`seen`): a later part of the file may
 * create it, which a row cannot wait for (rows are checked a chunk at a time). Says what to do.
 */
export function withFileOrderHint(issue: string, task: TaskRecord, seen: ReadonlyMap<string, number>): string {
  const unseen = (dependsOnOf(task) ?? []).some((id) => !seen.has(id) && issue.includes(notFoundProblem(id)));
  if (!unseen) return issue;
  return `${issue} (if the file creates it further down, put that row before the rows that wait for it, or import the file again with existing=update)`;
}

/** A planned row that sets or changes the tasks it waits for. */
export const setsDependencies = (p: PlannedRow) => (p.action === 'create' ? (dependsOnOf(p.task)?.length ?? 0) > 0 : p.action === 'update' && 'depends_on' in p.changes);

/**
 * Checks the planned rows that set `depends_on` and returns why each refused row is. Tasks of
 * other projects are "not found", as for a dry run (docs/task-ids.md). A refused row creates
 * nothing, so rows waiting for its task are checked again without it.
 */
export async function refusedDependencies<P extends PlannedRow>(db: Firestore, projectId: string, plan: readonly P[]): Promise<Map<P, string>> {
  const changing = plan.filter(setsDependencies);
  const refused = new Map<P, string>();
  for (;;) {
    const before = refused.size;
    const notCreated = new Set([...refused.keys()].filter((p) => p.action === 'create').map((p) => p.task.id));
    const created = plan.filter((p) => p.action === 'create' && !refused.has(p));
    const pending = new Map<string, DependencyNode>(created.map((p) => [p.task.id, { id: p.task.id, project_id: projectId, status: p.task.status, depends_on: [] }]));
    const checking: P[] = [];
    for (const p of changing.filter((c) => !refused.has(c))) {
      const lost = (dependsOnOf(p.task) ?? []).filter((id) => notCreated.has(id));
      if (lost.length > 0) refused.set(p, lost.map((id) => `Task ${id} is not imported: its own row was refused`).join('; '));
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
      if (!verdict.ok) refused.set(p, verdict.problems.join('; '));
      // A new task is stored with its first estimate; an update's follows from the trigger within a second.
      else if (p.action === 'create') Object.assign(p.task, { blocked_by: verdict.blocked_by });
    });
    if (refused.size === before) return refused;
  }
}
