// Trigger handlers that keep the derived `blocked_by`/`ready` current. A task write refreshes the
// task itself when what it waits for changed, and its dependents when it started or stopped
// blocking; a project write refreshes the project's waiting tasks when its done statuses change.
// Every refresh recomputes from fresh reads and writes only differences, so a redelivered event
// changes nothing twice.
import type { DocumentData, Firestore } from 'firebase-admin/firestore';
import { versions, type DocumentWrittenEvent } from '../lib/document-change.js';
import { sameValue } from '../lib/same-value.js';
import { ProjectStore } from '../projects/store.js';
import { blocks, doneStatusesOf } from './dependencies.js';
import { dependentsOf, readTasks, refreshReadiness, type RefreshCost } from './dependency-store.js';
import { taskIdOfKey } from './keys.js';
import { tasksCollection } from './store.js';

/** Whether a version of a task holds its dependents back (a task that does not exist does not). */
const blocking = (task: DocumentData | undefined, doneStatuses: readonly string[]) => task !== undefined && blocks(task.status, doneStatuses);

/** Refreshes what a task write may have changed: the task's own state and its dependents'. */
export async function refreshAfterTaskWrite(db: Firestore, event: DocumentWrittenEvent): Promise<RefreshCost> {
  const { before, after, ref } = versions(event);
  const cost: RefreshCost = { read: 0, written: 0 };
  if (!ref) return cost;
  const add = (c: RefreshCost) => {
    cost.read += c.read;
    cost.written += c.written;
  };
  if (after && !sameValue(before?.depends_on ?? [], after.depends_on ?? [])) {
    // The write's own first estimate may predate an upstream change: recompute from fresh reads.
    const [self] = await readTasks(db, [ref]);
    cost.read++;
    add(await refreshReadiness(db, [self!]));
  }
  const statusChanged = before?.status !== after?.status || !before !== !after;
  if (statusChanged) {
    const projectId = String((after ?? before)?.project_id ?? '');
    const doneStatuses = doneStatusesOf((await new ProjectStore(db).get(projectId))?.data());
    cost.read++;
    if (blocking(before, doneStatuses) !== blocking(after, doneStatuses)) {
      const dependents = await dependentsOf(db, projectId, taskIdOfKey(ref.id));
      cost.read += Math.max(1, dependents.length);
      add(await refreshReadiness(db, dependents));
    }
  }
  return cost;
}

/** When a project's done statuses change, every task of it that waits for others is recomputed. */
export async function refreshAfterProjectWrite(db: Firestore, event: DocumentWrittenEvent): Promise<RefreshCost> {
  const { before, after, ref } = versions(event);
  if (!ref || !after || sameValue(doneStatusesOf(before), doneStatusesOf(after))) return { read: 0, written: 0 };
  // A rare configuration change: read the project's tasks once, keep those that wait for others.
  const tasks = await tasksCollection(db).where('project_id', '==', ref.id).get();
  const waiting = tasks.docs.filter((d) => Array.isArray(d.get('depends_on')) && (d.get('depends_on') as unknown[]).length > 0);
  const cost = await refreshReadiness(db, waiting);
  return { read: cost.read + tasks.size, written: cost.written };
}
