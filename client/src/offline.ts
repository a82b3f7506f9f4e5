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
  tasks: Record<string, CachedTask>;
  lists: Record<string, Page<Task>>;
}

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
    client.cache = (await options.storage.get<CacheContents>(CACHE)) ?? { tasks: {}, lists: {} };
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
    const cached = this.cache.tasks[taskId];
    if (useCache && cached) return cached.task;
    try {
      const { task, etag } = await this.api.getTaskVersioned(taskId, scope);
      const pending = this.queue.find((op) => op.task_id === taskId);
      // A task with queued edits keeps the version those edits are based on.
      this.cache.tasks[taskId] = pending && cached ? { task: { ...task, ...pending.updates } as Task, etag: cached.etag } : { task, etag };
      await this.saveCache();
      return this.cache.tasks[taskId].task;
    } catch (err) {
      if (isOffline(err) && cached) return cached.task;
      throw err;
    }
  }

  private withPending(page: Page<Task>): Page<Task> {
    return { ...page, items: page.items.map((task) => ({ ...task, ...this.queue.find((op) => op.task_id === task.id)?.updates }) as Task) };
  }

  // --- writes ---------------------------------------------------------------------------------

  /** Queues the change (persisted before this returns), shows it in the cache, and tries to send it. */
  async updateTask(taskId: string, updates: TaskUpdate): Promise<void> {
    // The version the edit is based on: read it now if it can be, so the replay can send If-Match.
    // A task seen in a cached list is read from that list's project.
    if (!this.cache.tasks[taskId]) await this.getTask(taskId, false, { project_id: this.fromLists(taskId)?.task.project_id }).catch((err: unknown) => {
      if (!isOffline(err)) throw err;
    });
    const known = this.cache.tasks[taskId] ?? this.fromLists(taskId);
    const before = known?.task as Record<string, unknown> | undefined;
    const at = this.now();
    const fields = Object.keys(updates);
    let op = this.queue.find((o) => o.task_id === taskId);
    if (!op) {
      const projectId = known?.task.project_id;
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
    this.applyToCache(taskId, updates as Record<string, unknown>);
    await this.saveCache();
    try {
      await this.syncPendingOperations();
    } catch (err) {
      // Offline, or the API busy or down: the change waits in the queue for the next sync.
      if (!transient(err)) throw err;
    }
  }

  private fromLists(taskId: string): CachedTask | undefined {
    for (const page of Object.values(this.cache.lists)) {
      const task = page.items.find((t) => t.id === taskId);
      if (task) return { task, etag: null };
    }
    return undefined;
  }

  private applyToCache(taskId: string, values: Record<string, unknown>, etag?: string | null): void {
    const entry = this.cache.tasks[taskId];
    if (entry) this.cache.tasks[taskId] = { task: { ...entry.task, ...values } as Task, etag: etag === undefined ? entry.etag : etag };
    for (const page of Object.values(this.cache.lists)) page.items = page.items.map((t) => (t.id === taskId ? ({ ...t, ...values } as Task) : t));
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
        const etag = this.cache.tasks[op.task_id]?.etag;
        this.cache.tasks[op.task_id] = { task: outcome.task, etag: etag ?? null };
        this.applyToCache(op.task_id, outcome.task as Record<string, unknown>);
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
        this.setEtag(op.task_id, res.etag);
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
        this.setEtag(op.task_id, res.etag);
        return { operation: op, result, task: res.data, decisions };
      } catch (err) {
        // Changed again while being settled: settle against the newer version.
        if (!(err instanceof MontuApiError && err.status === 412) || attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  }

  private setEtag(taskId: string, etag: string | null): void {
    const entry = this.cache.tasks[taskId];
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
