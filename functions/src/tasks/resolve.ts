// The spec's global task routes (`/tasks/{task_id}`, history, media uploads...) name a task by its
// bare id, while ids are per project (docs/task-ids.md). An id is resolved within the projects the
// caller may read: one query for the id (at most one task per project), the others' tasks unseen.
// Several left: the caller names one with `project_id` (409 listing only their own projects).
import type { DocumentSnapshot, Firestore } from 'firebase-admin/firestore';
import type { AccessControl } from '../auth/access.js';
import type { Caller, Permission } from '../auth/caller.js';
import { conflict, notFound } from '../http/errors.js';
import { TaskStore } from './store.js';

/** A task named by a global route: its bare id, and the project when the caller named one. */
export interface TaskTarget {
  id: string;
  projectId?: string | undefined;
}

const projectOf = (snap: DocumentSnapshot) => String(snap.get('project_id'));

/** The 409 of an id the caller can see in several projects, naming those projects (sorted). */
export function ambiguousTask(taskId: string, projectIds: readonly string[]) {
  const names = [...projectIds].sort();
  return conflict(`Task ${taskId} exists in ${names.length} of your projects (${names.join(', ')}); give project_id to choose one`, {
    field: 'project_id',
    issue: 'ambiguous',
    project_ids: names,
  });
}

export class TaskResolver {
  readonly tasks: TaskStore;

  constructor(
    db: Firestore,
    private readonly access: AccessControl,
  ) {
    this.tasks = new TaskStore(db);
  }

  /**
   * The caller's task `taskId` (of `projectId` when given), once they hold `needed` on its project.
   * Unknown, or only in projects they cannot read: 404, as for an id nobody uses.
   */
  async find(caller: Caller, taskId: string, needed: Permission, projectId?: string): Promise<DocumentSnapshot> {
    if (projectId === undefined) this.access.prefetchMemberships(caller);
    const snap = projectId === undefined ? await this.pick(caller, taskId, await this.tasks.withId(taskId)) : await this.tasks.get(projectId, taskId);
    if (!snap) throw notFound(`Task ${taskId}`);
    await this.access.require(caller, projectOf(snap), needed, `Task ${taskId}`);
    return snap;
  }

  /**
   * Each of `taskIds` resolved like `find` (without the permission check, which bulk calls report
   * per task): the task, or why there is none to use. A named project the caller cannot read is
   * refused as a whole (404), as a list filtered by it is.
   */
  async findMany(caller: Caller, taskIds: readonly string[], projectId?: string): Promise<Map<string, DocumentSnapshot | string>> {
    const out = new Map<string, DocumentSnapshot | string>();
    const notFoundMessage = (id: string) => notFound(`Task ${id}`).message;
    if (projectId !== undefined) {
      await this.access.require(caller, projectId, 'read');
      const snaps = await this.tasks.getMany(projectId, taskIds);
      taskIds.forEach((id, i) => out.set(id, snaps[i]!.exists ? snaps[i]! : notFoundMessage(id)));
      return out;
    }
    this.access.prefetchMemberships(caller);
    for (const [id, candidates] of await this.tasks.withIds(taskIds)) {
      try {
        out.set(id, (await this.pick(caller, id, candidates)) ?? notFoundMessage(id));
      } catch (err) {
        out.set(id, (err as Error).message);
      }
    }
    return out;
  }

  /** The one candidate the caller may read, null when none; 409 when several. */
  private async pick(caller: Caller, taskId: string, candidates: readonly DocumentSnapshot[]): Promise<DocumentSnapshot | null> {
    const readable = await Promise.all(candidates.map(async (c) => (await this.access.permissions(caller, projectOf(c))).includes('read')));
    const visible = candidates.filter((_, i) => readable[i]);
    if (visible.length > 1) throw ambiguousTask(taskId, visible.map(projectOf));
    return visible[0] ?? null;
  }
}
