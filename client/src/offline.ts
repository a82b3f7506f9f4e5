// The spec's OfflineAPIClient made real. Reads go through a cache that survives restarts; task
// updates go into a persistent queue, are applied to the cache at once, and are replayed in order
// with If-Match when the API answers again. A 412 (someone changed the task meanwhile) is settled
// by the spec's ConflictResolution, and every queued field ends in a SyncOutcome saying who won.
import type { Page, Task, TaskFilters, TaskScope, TaskUpdate } from './api-types.js';
import type { MontuClient } from './client.js';
import { isOffline, MontuApiError } from './errors.js';
import type { OfflineStorage } from './storage.js';

/** The spec's ConflictResolution. */
export interface ConflictResolution {
  strategy: 'client_wins' | 'server_wins' | 'merge' | 'manual';
  /**
   * For `merge`, per field: `client`, `server`, or `latest` (the later of this client's edit time
   * and the task's last write on the server, `updated_at`; clocks are taken to be in step). Fields
   * without one: `server`. A field the server has not changed since the edit always takes the
   * client's value: there is no conflict on it.
   */
  field_strategies?: Record<string, 'client' | 'server' | 'latest'>;
}

/** A queued task update. Edits to one task while it waits are folded into one operation. */
export interface PendingOperation {
  id: string;
  type: 'update_task';
  task_id: string;
  /** The task's project when it was known at the first edit: replay names it, as one id may be used by several of the caller's projects. */
  project_id?: string;
  updates: Record<string, unknown>;
  /** The task's ETag when first edited (null: it was never read, the server's values decide conflicts). */
  base_etag: string | null;
  /** Each edited field's value before the first edit, to tell which the server changed since. */
  base: Record<string, unknown>;
  /** When each field was last edited here (epoch ms). */
  edited_at: Record<string, number>;
  /** When the operation was first queued (epoch ms). */
  timestamp: number;
}

export interface FieldDecision {
  field: string;
  base: unknown;
  client: unknown;
  server: unknown;
  winner: 'client' | 'server';
  /** Why: the strategy that decided, or `unchanged_on_server` / `same_value` where there was no conflict. */
  reason: 'client_wins' | 'server_wins' | 'field_client' | 'field_server' | 'field_latest' | 'manual' | 'unchanged_on_server' | 'same_value';
}

/** What the API answered when it refused an operation: plain data, so it can be stored. */
export interface RefusalSummary {
  status: number;
  code: string;
  message: string;
  details: unknown;
  request_id: string | null;
}

export interface SyncOutcome {
  operation: PendingOperation;
  /**
   * applied: sent as queued (no one else changed these fields); resolved: a conflict was settled,
   * `decisions` says how; rejected: the API refused it (`error`).
   */
  result: 'applied' | 'resolved' | 'rejected';
  decisions: FieldDecision[];
  /** The task as the server holds it afterwards. */
  task?: Task;
  error?: RefusalSummary;
}

/** What a `manual` resolver is handed. */
export interface Conflict {
  operation: PendingOperation;
  server: Task;
  serverEtag: string | null;
}
/** Returns the fields to write (any subset of the client's, or other values), or null to drop the change. */
export type ManualResolver = (conflict: Conflict) => Promise<Record<string, unknown> | null>;

export interface OfflineClientOptions {
  storage: OfflineStorage;
  resolution?: ConflictResolution;
  /** Required for the `manual` strategy: until it answers, the queue waits (and survives restarts). */
  onConflict?: ManualResolver;
  /** Each operation's outcome, as it leaves the queue. */
  onSynced?: (outcome: SyncOutcome) => void;
  now?: () => number;
}

interface CachedTask {
  task: Task;
  etag: string | null;
}

interface CacheContents {
  /** By project and id (`cacheKey`): two of the caller's projects may use one task id. */
  tasks: Record<string, CachedTask>;
  lists: Record<string, Page<Task>>;
}

const cacheKey = (projectId: string, taskId: string) => JSON.stringify([projectId, taskId]);

const QUEUE = 'queue';
const REJECTED = 'rejected';
const CACHE = 'cache';
/** How often one operation may meet a newer version again while being settled. */
const MAX_ATTEMPTS = 5;

export class OfflineClient {
  private queue: PendingOperation[] = [];
  private rejectedOutcomes: SyncOutcome[] = [];
  private cache: CacheContents = { tasks: {}, lists: {} };
  private syncing: Promise<SyncOutcome[]> | null = null;
  private readonly resolution: ConflictResolution;
  private readonly now: () => number;

  private constructor(
    readonly api: MontuClient,
    private readonly options: OfflineClientOptions,
  ) {
    this.resolution = options.resolution ?? { strategy: 'merge' };
    this.now = options.now ?? Date.now;
    if (this.resolution.strategy === 'manual' && !options.onConflict) throw new Error('The manual strategy needs an onConflict resolver');
  }

  /** Loads what an earlier run left in the storage (queue, refused operations, cache). */
  static async open(api: MontuClient, options: OfflineClientOptions): Promise<OfflineClient> {
    const client = new OfflineClient(api, options);
    client.queue = (await options.storage.get<PendingOperation[]>(QUEUE)) ?? [];
    client.rejectedOutcomes = (await options.storage.get<SyncOutcome[]>(REJECTED)) ?? [];
    const cache = (await options.storage.get<CacheContents>(CACHE)) ?? { tasks: {}, lists: {} };
    // Every cached task came from the API with its project: entries an earlier version keyed by id alone are keyed again.
    cache.tasks = Object.fromEntries(Object.values(cache.tasks).map((entry) => [cacheKey(entry.task.project_id, entry.task.id), entry]));
    client.cache = cache;
    return client;
  }

  /** The writes still waiting, oldest first. */
  get pending(): readonly PendingOperation[] {
    return this.queue;
  }

  /** Operations the API refused (validation, permission, deleted task), kept until the app clears them. */
  get rejected(): readonly SyncOutcome[] {
    return this.rejectedOutcomes;
  }

  async clearRejected(): Promise<void> {
    this.rejectedOutcomes = [];
    await this.options.storage.set(REJECTED, []);
  }

  // --- reads ----------------------------------------------------------------------------------

  /** As the spec: the cached page when there is one (and useCache), else the API, else the cache when offline. */
  async getTasks(filters: TaskFilters = {}, useCache = true): Promise<Page<Task>> {
    const key = JSON.stringify(filters);
    const cached = this.cache.lists[key];
    if (useCache && cached) return cached;
    try {
      const page = await this.api.getTasks(filters);
      this.cache.lists[key] = this.withPending(page);
      await this.saveCache();
      return this.cache.lists[key];
    } catch (err) {
      if (isOffline(err) && cached) return cached;
      throw err;
    }
  }

  /**
   * The task (with the queued changes applied), from the API when it answers, else from the cache.
   * scope.project_id picks the project when several of the caller's use the id.
   */
  async getTask(taskId: string, useCache = false, scope: TaskScope = {}): Promise<Task> {
    const cached = this.cached(taskId, scope.project_id);
    if (useCache && cached) return cached.task;
    try {
      const { task, etag } = await this.api.getTaskVersioned(taskId, scope);
      const key = cacheKey(task.project_id, taskId);
      const before = this.cache.tasks[key];
      const pending = this.pendingFor(taskId, task.project_id);
      // A task with queued edits keeps the version those edits are based on.
      this.cache.tasks[key] = pending && before ? { task: { ...task, ...pending.updates } as Task, etag: before.etag } : { task, etag };
      await this.saveCache();
      return this.cache.tasks[key].task;
    } catch (err) {
      if (isOffline(err) && cached) return cached.task;
      throw err;
    }
  }

  /** The cached task: of the project named, or the one cached under that id when the project is not named. */
  private cached(taskId: string, projectId?: string): CachedTask | undefined {
    if (projectId) return this.cache.tasks[cacheKey(projectId, taskId)];
    const found = Object.values(this.cache.tasks).filter((entry) => entry.task.id === taskId);
    return found.length === 1 ? found[0] : undefined;
  }

  /** The queued operation on the task (an operation queued without a project matches any). */
  private pendingFor(taskId: string, projectId?: string): PendingOperation | undefined {
    return this.queue.find((op) => op.task_id === taskId && (!projectId || !op.project_id || op.project_id === projectId));
  }

  private withPending(page: Page<Task>): Page<Task> {
    return { ...page, items: page.items.map((task) => ({ ...task, ...this.pendingFor(task.id, task.project_id)?.updates }) as Task) };
  }

  // --- writes ---------------------------------------------------------------------------------

  /**
   * Queues the change (persisted before this returns), shows it in the cache, and tries to send it.
   * scope.project_id picks the project when several of the caller's use the id; without it, the
   * project of the task as cached or listed.
   */
  async updateTask(taskId: string, updates: TaskUpdate, scope: TaskScope = {}): Promise<void> {
    // The version the edit is based on: read it now if it can be, so the replay can send If-Match.
    // A task seen in a cached list is read from that list's project.
    const named = scope.project_id ?? this.cached(taskId)?.task.project_id ?? this.fromLists(taskId)?.task.project_id;
    if (!this.cached(taskId, named)) await this.getTask(taskId, false, { project_id: named }).catch((err: unknown) => {
      if (!isOffline(err)) throw err;
    });
    const known = this.cached(taskId, named) ?? this.fromLists(taskId, named);
    const before = known?.task as Record<string, unknown> | undefined;
    const at = this.now();
    const fields = Object.keys(updates);
    const projectId = known?.task.project_id ?? named;
    let op = this.pendingFor(taskId, projectId);
    if (!op) {
      op = {
        id: `${at.toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
        type: 'update_task',
        task_id: taskId,
        ...(projectId ? { project_id: projectId } : {}),
        updates: {},
        base_etag: known?.etag ?? null,
        base: {},
        edited_at: {},
        timestamp: at,
      };
      this.queue.push(op);
    }
    for (const field of fields) {
      // A field the task does not have yet is based on null, as the server reports it missing.
      if (!(field in op.base) && before) op.base[field] = before[field] ?? null;
      op.updates[field] = (updates as Record<string, unknown>)[field];
      op.edited_at[field] = at;
    }
    await this.saveQueue();
    this.applyToCache(taskId, op.project_id, updates as Record<string, unknown>);
    await this.saveCache();
    try {
      await this.syncPendingOperations();
    } catch (err) {
      // Offline, or the API busy or down: the change waits in the queue for the next sync.
      if (!transient(err)) throw err;
    }
  }

  /** The task as a cached list shows it: of `projectId`, or of the one project listing that id. */
  private fromLists(taskId: string, projectId?: string): CachedTask | undefined {
    const listed = Object.values(this.cache.lists).flatMap((page) => page.items.filter((t) => t.id === taskId && (!projectId || t.project_id === projectId)));
    return listed.length > 0 && listed.every((t) => t.project_id === listed[0]!.project_id) ? { task: listed[0]!, etag: null } : undefined;
  }

  /** Shows `values` on the task wherever it is cached: of `projectId`, or of any project when that is not known. */
  private applyToCache(taskId: string, projectId: string | undefined, values: Record<string, unknown>): void {
    const ofTask = (task: Task) => task.id === taskId && (!projectId || task.project_id === projectId);
    for (const [key, entry] of Object.entries(this.cache.tasks)) if (ofTask(entry.task)) this.cache.tasks[key] = { task: { ...entry.task, ...values } as Task, etag: entry.etag };
    for (const page of Object.values(this.cache.lists)) page.items = page.items.map((t) => (ofTask(t) ? ({ ...t, ...values } as Task) : t));
  }

  // --- sync -----------------------------------------------------------------------------------

  /**
   * Replays the queue in order. Stops (throwing) at the first operation that gets no answer or a
   * failure to wait out (429, 5xx), a 401 after a refresh, or a 412 that kept coming back; it stays
   * queued. Any other refusal is recorded in `rejected` and the queue goes on. Returns the outcomes.
   */
  syncPendingOperations(): Promise<SyncOutcome[]> {
    this.syncing ??= this.drain().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async drain(): Promise<SyncOutcome[]> {
    const outcomes: SyncOutcome[] = [];
    while (this.queue.length > 0) {
      const op = this.queue[0]!;
      let outcome: SyncOutcome;
      try {
        outcome = await this.execute(op);
      } catch (err) {
        // Stays queued: a failure to wait out, a sign-in the app must renew (401), or a task that kept
        // changing while being settled (412).
        if (!(err instanceof MontuApiError) || err.status === 401 || err.status === 412 || transient(err)) throw err;
        const error = { status: err.status, code: err.code, message: err.message, details: err.details, request_id: err.requestId };
        outcome = { operation: op, result: 'rejected', decisions: [], error };
        this.rejectedOutcomes.push(outcome);
        await this.options.storage.set(REJECTED, this.rejectedOutcomes);
      }
      // Removed only once its outcome is known (and a refusal recorded): a crash before this replays it.
      this.queue.shift();
      await this.saveQueue();
      if (outcome.task) {
        const key = cacheKey(outcome.task.project_id, op.task_id);
        this.cache.tasks[key] = { task: outcome.task, etag: this.cache.tasks[key]?.etag ?? null };
        this.applyToCache(op.task_id, outcome.task.project_id, outcome.task as Record<string, unknown>);
        await this.saveCache();
      }
      outcomes.push(outcome);
      this.options.onSynced?.(outcome);
    }
    return outcomes;
  }

  private async execute(op: PendingOperation): Promise<SyncOutcome> {
    if (op.base_etag !== null) {
      try {
        const res = await this.api.updateTask(op.task_id, op.updates as TaskUpdate, { ifMatch: op.base_etag, project_id: op.project_id });
        this.setEtag(res.data, res.etag);
        return { operation: op, result: 'applied', task: res.data, decisions: [] };
      } catch (err) {
        if (!(err instanceof MontuApiError && err.status === 412)) throw err;
      }
    }
    for (let attempt = 1; ; attempt++) {
      const { task: server, etag } = await this.api.getTaskVersioned(op.task_id, { project_id: op.project_id });
      const { writes, decisions } = await this.settle(op, server, etag);
      // Without a known version (never read before going offline) there may be no conflict at all.
      const result = decisions.every((d) => d.reason === 'unchanged_on_server' || d.reason === 'same_value') ? 'applied' : 'resolved';
      if (!writes) return { operation: op, result, task: server, decisions };
      try {
        const res = await this.api.updateTask(op.task_id, writes as TaskUpdate, { ifMatch: etag, project_id: op.project_id });
        this.setEtag(res.data, res.etag);
        return { operation: op, result, task: res.data, decisions };
      } catch (err) {
        // Changed again while being settled: settle against the newer version.
        if (!(err instanceof MontuApiError && err.status === 412) || attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  }

  private setEtag(task: Task, etag: string | null): void {
    const entry = this.cache.tasks[cacheKey(task.project_id, task.id)];
    if (entry) entry.etag = etag;
  }

  /** Which value each queued field keeps against the server's version, and what to write (null: nothing). */
  private async settle(op: PendingOperation, server: Task, serverEtag: string | null): Promise<{ writes: Record<string, unknown> | null; decisions: FieldDecision[] }> {
    const current = server as Record<string, unknown>;
    const { strategy, field_strategies: fieldStrategies = {} } = this.resolution;
    let manual: Record<string, unknown> | null | undefined;
    if (strategy === 'manual') manual = await this.options.onConflict!({ operation: op, server, serverEtag });
    const serverWrittenAt = Date.parse(String(current.updated_at ?? '')) || 0;

    const decisions: FieldDecision[] = Object.entries(op.updates).map(([field, client]) => {
      const base = op.base[field];
      const serverValue = current[field] ?? null;
      const decide = (winner: 'client' | 'server', reason: FieldDecision['reason']): FieldDecision => ({ field, base, client, server: serverValue, winner, reason });
      if (same(serverValue, client)) return decide('client', 'same_value');
      if (strategy === 'manual') return decide(manual && field in manual && same(manual[field], client) ? 'client' : 'server', 'manual');
      if (strategy === 'client_wins') return decide('client', 'client_wins');
      if (strategy === 'server_wins') return decide('server', 'server_wins');
      if (field in op.base && same(serverValue, base)) return decide('client', 'unchanged_on_server');
      const fieldStrategy = fieldStrategies[field] ?? 'server';
      if (fieldStrategy === 'latest') return decide((op.edited_at[field] ?? op.timestamp) > serverWrittenAt ? 'client' : 'server', 'field_latest');
      return decide(fieldStrategy, fieldStrategy === 'client' ? 'field_client' : 'field_server');
    });

    const writes =
      strategy === 'manual'
        ? manual && Object.fromEntries(Object.entries(manual).filter(([field, value]) => !same(current[field], value)))
        : Object.fromEntries(decisions.filter((d) => d.winner === 'client' && d.reason !== 'same_value').map((d) => [d.field, d.client]));
    return { writes: writes && Object.keys(writes).length > 0 ? writes : null, decisions };
  }

  private saveQueue(): Promise<void> {
    return this.options.storage.set(QUEUE, this.queue);
  }

  private saveCache(): Promise<void> {
    return this.options.storage.set(CACHE, this.cache);
  }
}

/** Worth waiting out: no answer, a timeout, rate limiting or a server failure. */
function transient(err: unknown): boolean {
  return isOffline(err) || (err instanceof MontuApiError && (err.status === 408 || err.status === 429 || err.status >= 500));
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
