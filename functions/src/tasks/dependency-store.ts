// Firestore access for task dependencies: the graph as far as a check walks it, a task's
// dependents (one `array-contains` query within its project), and bringing the derived `blocked_by`/`ready` of some
// tasks up to date, reading and writing in proportion to those tasks, never the whole project.
import { FieldValue, type DocumentReference, type DocumentSnapshot, type Firestore } from 'firebase-admin/firestore';
import { isStaleWrite } from '../lib/etag.js';
import { hasCode } from '../lib/firestore-errors.js';
import { chunked } from '../lib/chunked.js';
import { ProjectStore } from '../projects/store.js';
import { SYSTEM_USER } from '../lib/document-change.js';
import { dependencyNodeOf, dependencyStateOf, doneStatusesOf, sameState, type DependencyNode } from './dependencies.js';
import { taskIdOfKey, taskKey } from './keys.js';
import { taskRef, tasksCollection } from './store.js';

/** Ids per getAll round trip. */
const READ_CHUNK = 300;
/** Rounds a refresh makes when other writes keep changing the tasks it updates (then the trigger is retried). */
const REFRESH_ATTEMPTS = 5;

/** What a refresh cost: documents read and written (the benchmark's and the tests' measure). */
export interface RefreshCost {
  read: number;
  written: number;
}

/** Snapshots of `refs`, read in chunks, in order (missing ones included, `exists` false). */
export async function readTasks(db: Firestore, refs: readonly DocumentReference[], fields?: readonly string[]): Promise<DocumentSnapshot[]> {
  const out: DocumentSnapshot[] = [];
  for (const chunk of chunked(refs, READ_CHUNK)) out.push(...(await (fields ? db.getAll(...chunk, { fieldMask: [...fields] }) : db.getAll(...chunk))));
  return out;
}

/** The documents of the project's tasks `ids`: a task waits only for tasks of its own project. */
export function projectTaskRefs(db: Firestore, projectId: string, ids: readonly string[]): DocumentReference[] {
  return ids.map((id) => taskRef(db, projectId, id));
}

/**
 * The tasks of the project that wait for `taskId` (another project's `depends_on` names its own
 * task of that id). Served by the (project_id, depends_on) index in firestore.indexes.json.
 */
export async function dependentsOf(db: Firestore, projectId: string, taskId: string, fields?: readonly string[]): Promise<DocumentSnapshot[]> {
  const query = tasksCollection(db).where('project_id', '==', projectId).where('depends_on', 'array-contains', taskId);
  return (await (fields ? query.select(...fields) : query).get()).docs;
}

/**
 * The dependency graph as a check sees it: stored tasks read on demand (each once), overlaid with
 * the tasks a call creates (`pending`, by id; each names its project) and the changes it has
 * accepted so far. Ids are per project, so every lookup names the project.
 */
export class DependencyGraph {
  private readonly nodes = new Map<string, DependencyNode | undefined>();

  constructor(
    private readonly db: Firestore,
    pending: ReadonlyMap<string, DependencyNode> = new Map(),
  ) {
    for (const node of pending.values()) this.nodes.set(taskKey(node.project_id, node.id), node);
  }

  async load(projectId: string, ids: readonly string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.nodes.has(taskKey(projectId, id)));
    const snaps = await readTasks(this.db, projectTaskRefs(this.db, projectId, missing), ['project_id', 'status', 'depends_on']);
    snaps.forEach((snap, i) => this.nodes.set(snap.id, snap.exists ? dependencyNodeOf(missing[i]!, snap.data() ?? {}) : undefined));
  }

  node(projectId: string, id: string): DependencyNode | undefined {
    return this.nodes.get(taskKey(projectId, id));
  }

  /** What each of the project's tasks `ids` waits for (unknown tasks wait for nothing). */
  async upstreamOf(projectId: string, ids: string[]): Promise<Map<string, readonly string[]>> {
    await this.load(projectId, ids);
    return new Map(ids.map((id) => [id, this.node(projectId, id)?.depends_on ?? []]));
  }

  /** Records an accepted change, so later checks of the same call see its edges (and its new status, if any). */
  async accept(change: { task_id: string; project_id: string; status?: string | undefined; depends_on: readonly string[] }): Promise<void> {
    await this.load(change.project_id, [change.task_id]);
    const known = this.node(change.project_id, change.task_id);
    this.nodes.set(taskKey(change.project_id, change.task_id), { id: change.task_id, project_id: change.project_id, status: change.status ?? known?.status ?? 'not_started', depends_on: change.depends_on });
  }
}

/** Each project's done statuses, read once per refresh. */
function doneStatusesReader(db: Firestore, cost: RefreshCost) {
  const projects = new ProjectStore(db);
  const cache = new Map<string, Promise<readonly string[]>>();
  return (projectId: string) => {
    if (!cache.has(projectId)) {
      cost.read++;
      cache.set(projectId, projects.get(projectId).then((snap) => doneStatusesOf(snap?.data())));
    }
    return cache.get(projectId)!;
  };
}

/**
 * Recomputes `blocked_by`, `blocked` and `ready` of `tasks` from fresh reads of what they wait
 * for and writes those that differ, each only while the task is as read (a BulkWriter batches the
 * writes). A task another write changed meanwhile is read again and recomputed, so two upstream
 * tasks finishing at once cannot overwrite each other's effect. Unchanged tasks are not written:
 * running it again (a redelivered event) writes nothing.
 */
export async function refreshReadiness(db: Firestore, tasks: readonly DocumentSnapshot[]): Promise<RefreshCost> {
  const cost: RefreshCost = { read: 0, written: 0 };
  const doneStatuses = doneStatusesReader(db, cost);
  let pending = tasks.filter((t) => t.exists);
  for (let attempt = 1; pending.length > 0; attempt++) {
    const nodes = pending.map((snap) => ({ snap, node: dependencyNodeOf(taskIdOfKey(snap.id), snap.data() ?? {}) }));
    const upstreamKeys = [...new Set(nodes.flatMap((n) => n.node.depends_on.map((id) => taskKey(n.node.project_id, id))))];
    const upstream = await readTasks(db, upstreamKeys.map((key) => tasksCollection(db).doc(key)), ['status']);
    cost.read += upstreamKeys.length;
    const statuses = new Map(upstream.filter((u) => u.exists).map((u) => [u.id, { status: u.get('status') as unknown }]));

    const writer = db.bulkWriter();
    const stale: DocumentReference[] = [];
    const failures: unknown[] = [];
    for (const { snap, node } of nodes) {
      const ofNode = new Map(node.depends_on.map((id) => [id, statuses.get(taskKey(node.project_id, id))]));
      const state = dependencyStateOf(node, ofNode, await doneStatuses(node.project_id));
      if (sameState(state, snap.data() ?? {})) continue;
      const write = { ...state, updated_by: SYSTEM_USER, bulk_id: null, updated_at: FieldValue.serverTimestamp() };
      void writer.update(snap.ref, write, { lastUpdateTime: snap.updateTime! }).then(
        () => cost.written++,
        (err: unknown) => {
          if (isStaleWrite(err)) stale.push(snap.ref);
          // A task deleted meanwhile needs nothing.
          else if (!hasCode(err, 'NOT_FOUND')) failures.push(err);
        },
      );
    }
    await writer.close();
    if (failures.length > 0) throw failures[0];
    if (stale.length === 0) break;
    if (attempt >= REFRESH_ATTEMPTS) throw new Error(`Tasks ${stale.slice(0, 5).map((ref) => ref.id).join(', ')} kept changing while their readiness was updated`);
    pending = (await readTasks(db, stale)).filter((s) => s.exists);
    cost.read += stale.length;
  }
  return cost;
}
