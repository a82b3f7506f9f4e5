// Task domain service: permission checks, the project's configuration, optimistic concurrency and
// the bulk workflows. Input checks live in validation.ts, Firestore access in store.ts.
import type { DocumentSnapshot } from 'firebase-admin/firestore';
import type { Caller } from '../auth/caller.js';
import { ApiError, conflict, notFound, preconditionFailed, unprocessable, validationError } from '../http/errors.js';
import { describeIssues, type BodyParse } from '../http/validate.js';
import { emptyPage, paginate, type Page } from '../http/pagination.js';
import { assertIfMatch, etagOf, isStaleWrite } from '../lib/etag.js';
import { projectIdSchema } from '../lib/ids.js';
import { requireOpenProject } from '../lib/open-project.js';
import { docToJson } from '../lib/serialize.js';
import { sameValue } from '../lib/same-value.js';
import { retryStale } from '../lib/transaction.js';
import { feedEventDoc, writeFeedEvent } from '../realtime/feed.js';
import { DependencyService } from './dependency-service.js';
import { INDEX_FIELD_NAMES } from './indexing.js';
import { taskConfigOf, type ProjectTaskConfig } from './project-config.js';
import { taskIdSchema, type BulkOperation, type TaskCreateData, type TaskListQuery, type TaskUpdateData } from './schemas.js';
import { checkNewFields, checkNewTask, checkTaskUpdate, checkTaskUpdateInput, invalidTask, taskProblems } from './validation.js';
import { MAX_DISJUNCTIONS, filteredQuery, planTaskQuery, storedChanges, type TaskFilters } from './store.js';
import { taskIdOfKey } from './keys.js';
import { TaskResolver, type TaskTarget } from './resolve.js';
import { allInOrder } from '../lib/in-order.js';
import { step } from '../lib/timing.js';
import { DomainService } from '../lib/domain-service.js';

export type TaskJson = Record<string, unknown> & { id: string };

/** A task as the API returns it: spec fields and custom fields, without the derived query fields; its id the bare one. */
export function toTask(snap: DocumentSnapshot): TaskJson {
  const task = docToJson(snap, INDEX_FIELD_NAMES) as TaskJson;
  task.id = taskIdOfKey(snap.id);
  return task;
}

/** A task body is an object; anything else has nothing more to check. */
function bodyObject(body: BodyParse<unknown>): Record<string, unknown> {
  const input = body.input;
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw validationError('Request body must be a JSON object', { field: 'body', issue: 'Expected an object' });
  return input as Record<string, unknown>;
}

export interface BulkItem {
  task_id: string;
  updates: Record<string, unknown>;
}

/** A task a bulk call will change: its id, as read, and the checked changes. */
interface BulkChange {
  id: string;
  snap: DocumentSnapshot;
  current: Record<string, unknown>;
  changes: Record<string, unknown>;
  config: ProjectTaskConfig;
}

export interface BulkOutcome {
  updated: string[];
  errors: { task_id: string; error: string }[];
}

/** Firestore documents stay under 1 MiB; keep a margin for the derived fields. */
const MAX_TASK_BYTES = 900 * 1024;
/** A bulk event carries per-task changes only while it stays comfortably small. */
const MAX_EVENT_CHANGES_BYTES = 256 * 1024;

export class TaskService extends DomainService {
  private readonly resolver = new TaskResolver(this.deps.db, this.access);
  private readonly tasks = this.resolver.tasks;
  readonly dependencies = new DependencyService(this.deps.db, this.access);

  private async config(projectId: string): Promise<ProjectTaskConfig> {
    const project = await this.projects.get(projectId);
    return taskConfigOf(project?.data());
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  async list(caller: Caller, query: TaskListQuery): Promise<Page<TaskJson>> {
    const { page, page_size, page_token, project_id, ...rest } = query;
    let projectIds: readonly string[] | undefined;
    let implicit = false;
    // Named projects are checked while the page is read; the readable ones must be known before it.
    let allowed: Promise<unknown> = Promise.resolve();
    if (project_id) {
      allowed = allInOrder(project_id.map((id) => this.access.require(caller, id, 'read')));
      projectIds = project_id;
    } else {
      const readable = await this.access.readableProjects(caller);
      if (readable !== 'all') {
        if (readable.length === 0) return emptyPage({ page, page_size });
        if (readable.length > MAX_DISJUNCTIONS) {
          throw validationError(`You can read ${readable.length} projects, more than one query covers (${MAX_DISJUNCTIONS}); filter by project_id`, {
            field: 'project_id',
            issue: 'required_for_many_projects',
          });
        }
        projectIds = readable;
        implicit = true;
      }
    }
    const filters: TaskFilters = { ...rest, project_ids: projectIds };
    let plan;
    try {
      plan = planTaskQuery(filters);
    } catch (err) {
      await allowed;
      if (implicit && err instanceof ApiError) {
        throw validationError(`${err.message}; your ${projectIds!.length} readable projects count as project_id values, so filter by project_id`, err.details);
      }
      throw err;
    }
    return paginate(filteredQuery(this.deps.db, plan), { page, page_size, page_token }, { orderBy: plan.orderBy, fingerprint: ['tasks', plan], map: toTask, alongside: allowed });
  }

  /** The task and its ETag; non-members hear it does not exist. `projectId` picks among the caller's projects holding the id. */
  async get(caller: Caller, id: string, projectId?: string): Promise<{ task: TaskJson; etag: string }> {
    const snap = await this.resolver.find(caller, id, 'read', projectId);
    return { task: toTask(snap), etag: etagOf(snap) };
  }

  // -------------------------------------------------------------------------------------------
  // Single-task writes

  /** `body` is the schema's result: every problem, its own and the project's, is reported at once, after the permission check. */
  async create(caller: Caller, body: BodyParse<TaskCreateData>): Promise<{ task: TaskJson; etag: string }> {
    const input = bodyObject(body);
    const projectId = projectIdSchema.safeParse(input.project_id ?? input.project);
    if (!projectId.success) throw invalidTask('task', body.issues);
    await this.access.require(caller, projectId.data, 'write');
    const project = await this.projects.get(projectId.data);
    if (!project) throw notFound(`Project ${projectId.data}`);
    requireOpenProject(project, 'it takes no new tasks');
    const config = taskConfigOf(project.data());
    const checked = checkNewTask(body, config);
    if (!checked.ok) throw invalidTask('task', checked.issues);
    await this.dependencies.settle(checked.value.id, {}, checked.value as unknown as Record<string, unknown>);
    // Ids are per project: only a task of this project can be in the way.
    if (!(await this.tasks.create(checked.value, config, caller.uid))) throw conflict(`Task ${checked.value.id} already exists in project ${projectId.data}`, { field: 'id', issue: 'duplicate' });
    const snap = (await this.tasks.get(projectId.data, checked.value.id))!;
    return { task: toTask(snap), etag: etagOf(snap) };
  }

  /**
   * Applies a change built from the current task. With If-Match the client's version must still be
   * current (412 otherwise); without it a concurrent write makes us re-read and rebuild the change,
   * so derived fields never mix two versions (409 with Retry-After when that keeps happening).
   */
  private async change(
    caller: Caller,
    target: TaskTarget,
    ifMatch: string | undefined,
    build: (current: Record<string, unknown>, config: ProjectTaskConfig) => Record<string, unknown> | null,
  ): Promise<{ task: TaskJson; etag: string }> {
    const { id } = target;
    return retryStale(`Task ${id}`, async () => {
      const snap = await this.resolver.find(caller, id, 'write', target.projectId);
      assertIfMatch(snap, ifMatch);
      const projectId = String(snap.get('project_id'));
      const config = await this.config(projectId);
      const changes = build(snap.data() ?? {}, config);
      if (changes === null) return { task: toTask(snap), etag: etagOf(snap) };
      await this.dependencies.settle(id, snap.data() ?? {}, changes);
      try {
        await this.tasks.update(snap, changes, config, caller.uid);
      } catch (err) {
        if (ifMatch !== undefined && isStaleWrite(err)) throw preconditionFailed(`Task ${id} changed since ETag ${ifMatch}; reload it and retry`);
        throw err;
      }
      const fresh = (await this.tasks.get(projectId, id))!;
      return { task: toTask(fresh), etag: etagOf(fresh) };
    });
  }

  update(caller: Caller, target: TaskTarget, body: BodyParse<TaskUpdateData>, ifMatch: string | undefined) {
    bodyObject(body);
    return this.change(caller, target, ifMatch, (current, config) => {
      const checked = checkTaskUpdate(body, config, current);
      if (!checked.ok) throw invalidTask('task update', checked.issues);
      return checked.value;
    });
  }

  /** DELETE archives: the task stays readable by id, lists hide it unless include_archived=true. */
  archive(caller: Caller, target: TaskTarget, ifMatch: string | undefined) {
    return this.change(caller, target, ifMatch, (current) => (current.status === 'archived' ? null : { status: 'archived' }));
  }

  addFields(caller: Caller, target: TaskTarget, fields: Record<string, unknown>, ifMatch: string | undefined) {
    const { id } = target;
    return this.change(caller, target, ifMatch, (current) => {
      const { issues, collisions } = checkNewFields(fields, current);
      if (issues.length) throw invalidTask('fields', issues);
      if (collisions.length) throw conflict(`Task ${id} already has field(s) ${collisions.map((c) => c.field).join(', ')}; change them with PATCH`, { field: collisions[0]!.field, issue: collisions[0]!.issue, errors: collisions });
      if (Buffer.byteLength(JSON.stringify({ ...current, ...fields })) > MAX_TASK_BYTES) {
        throw unprocessable(`Task ${id} would grow beyond Firestore's document size limit (1 MiB); store large data elsewhere`);
      }
      return fields;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Bulk

  /**
   * Applies per-task updates in one batch, written only while every task is still as it was read
   * (re-read and rebuilt otherwise, as for single-task changes). Unknown, forbidden and invalid items
   * are reported per item; the rest are written, or with `atomic` nothing is written when any item
   * fails (422).
   * Writes one `tasks_bulk_updated` feed event per project touched and marks each written task with
   * that event's id (`bulk_id`), so per-task trigger events can be folded into it.
   */
  async bulkUpdate(caller: Caller, items: readonly BulkItem[], options: { atomic: boolean; operation: BulkOperation | 'bulk_update'; projectId?: string | undefined }): Promise<BulkOutcome> {
    const seen = new Set<string>();
    const preErrors = new Map<number, string>();
    items.forEach((item, i) => {
      const id = taskIdSchema.safeParse(item.task_id);
      if (!id.success) preErrors.set(i, id.error.issues[0]!.message);
      else if (seen.has(item.task_id)) preErrors.set(i, `Task ${item.task_id} is listed more than once in this call`);
      seen.add(item.task_id);
    });
    const ids = items.filter((_, i) => !preErrors.has(i)).map((item) => item.task_id);
    const configs = new Map<string, Promise<ProjectTaskConfig>>();
    const configOf = (projectId: string) => {
      if (!configs.has(projectId)) configs.set(projectId, this.config(projectId));
      return configs.get(projectId)!;
    };

    return retryStale('A task of this call', async () => {
      const found = await step('read', () => this.resolver.findMany(caller, ids, options.projectId));
      const errors: BulkOutcome['errors'] = [];
      const valid: BulkChange[] = [];
      await step('check', async () => {
        for (const [i, item] of items.entries()) {
          const pre = preErrors.get(i);
          if (pre) {
            errors.push({ task_id: item.task_id, error: pre });
            continue;
          }
          const snap = found.get(item.task_id)!;
          const problem = typeof snap === 'string' ? snap : await this.bulkPermission(caller, item.task_id, snap);
          if (problem) {
            errors.push({ task_id: item.task_id, error: problem });
            continue;
          }
          // Decoded once: a snapshot decodes its document afresh on every data().
          const current = (snap as DocumentSnapshot).data() ?? {};
          const config = await configOf(String(current.project_id));
          const checked = checkTaskUpdateInput(item.updates, config, current);
          if (!checked.ok) errors.push({ task_id: item.task_id, error: describeIssues(taskProblems(checked.issues)) });
          else valid.push({ id: item.task_id, snap: snap as DocumentSnapshot, current, changes: checked.value, config });
        }
      });
      const refused = await step('dependencies', () => this.dependencies.settleAll(valid.map((v) => ({ task_id: v.id, current: v.current, changes: v.changes }))));
      errors.push(...[...refused].map(([task_id, error]) => ({ task_id, error })));
      const accepted = valid.filter((v) => !refused.has(v.id));
      if (options.atomic && errors.length) {
        throw unprocessable(`Nothing was changed: ${errors.length} of ${items.length} task(s) cannot be updated`, { failed: errors.length, errors });
      }
      await step('write', () => this.writeBulk(caller, accepted, options.operation));
      return { updated: accepted.map((v) => v.id), errors };
    });
  }

  /** Why the caller may not change this task, or undefined (non-members hear it does not exist). */
  private async bulkPermission(caller: Caller, id: string, snap: DocumentSnapshot): Promise<string | undefined> {
    const projectId = String(snap.get('project_id'));
    const perms = await this.access.permissions(caller, projectId);
    if (perms.length === 0) return `Task ${id} not found`;
    if (!perms.includes('write')) return `This needs 'write' permission on project ${projectId}`;
    return undefined;
  }

  private async writeBulk(caller: Caller, valid: BulkChange[], operation: string) {
    const batch = this.deps.db.batch();
    const byProject = new Map<string, BulkChange[]>();
    for (const v of valid) {
      const projectId = String(v.current.project_id);
      const group = byProject.get(projectId);
      if (group) group.push(v);
      else byProject.set(projectId, [v]);
    }
    for (const [projectId, group] of byProject) {
      const event = feedEventDoc('tasks_bulk_updated', caller.uid, { task_ids: group.map((g) => g.id), operation, ...describeChanges(group.map((g) => [g.id, g.changes])) }, this.deps.clock());
      const eventRef = await writeFeedEvent(this.deps.db, projectId, event, { within: batch });
      for (const g of group) batch.update(g.snap.ref, storedChanges(g.current, g.changes, g.config, caller.uid, eventRef.id), { lastUpdateTime: g.snap.updateTime! });
    }
    await batch.commit();
  }
}

/**
 * The event's `changes`: the fields every task got with the same value (what a client can apply to
 * all task_ids); when tasks got different updates, also `changes_by_task` (dropped if it would make
 * the event large: clients then reload those tasks).
 */
function describeChanges(entries: [string, Record<string, unknown>][]) {
  const [first] = entries;
  const shared: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(first?.[1] ?? {})) {
    if (entries.every(([, c]) => field in c && sameValue(c[field], value))) shared[field] = value;
  }
  const uniform = entries.every(([, c]) => Object.keys(c).length === Object.keys(shared).length);
  if (uniform) return { changes: shared };
  const byTask = Object.fromEntries(entries);
  return Buffer.byteLength(JSON.stringify(byTask)) <= MAX_EVENT_CHANGES_BYTES ? { changes: shared, changes_by_task: byTask } : { changes: shared, changes_by_task: null };
}

/** The field each legacy bulk operation must set. */
const LEGACY_REQUIRED: Record<BulkOperation, string | undefined> = {
  update: undefined,
  update_status: 'status',
  assign_artist: 'artist',
  set_priority: 'priority',
  set_milestone: 'milestone',
  archive: undefined,
};

/** The updates a legacy `{operation, data}` call applies to each of its tasks. */
export function legacyUpdates(operation: BulkOperation, data: Record<string, unknown>): Record<string, unknown> {
  if (operation === 'archive') return { ...data, status: 'archived' };
  const required = LEGACY_REQUIRED[operation];
  if (required && !(required in data)) throw validationError(`Operation ${operation} needs data.${required}`, { field: `data.${required}`, issue: 'required' });
  if (Object.keys(data).length === 0) throw validationError(`Operation ${operation} needs the fields to change in data`, { field: 'data', issue: 'empty' });
  return data;
}
