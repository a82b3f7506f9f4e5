// The offline client on the served stack: clients edit one task while offline, reconnect, and the
// spec's ConflictResolution decides each field; the queue survives a restart (file storage), reads
// fall back to the cache, and every queued change ends in an outcome.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryStorage, MontuClient, OfflineClient, type ConflictResolution, type MontuClientOptions, type SyncOutcome, type Task } from '../src/index.js';
import { FileStorage } from '../src/node.js';
import { createUser, loggedIn, newEmail, newEpisode, studioAdmin, unique } from './support/stack.js';

/** The spec's example ConflictResolution, as written. */
const SPEC_RESOLUTION: ConflictResolution = {
  strategy: 'merge',
  field_strategies: {
    status: 'server', // Server status always wins
    artist: 'client', // Client assignment wins
    notes: 'latest', // Latest timestamp wins
    priority: 'server', // Server priority wins
  },
};

/** A fetch that can be cut off, as a laptop losing its network. */
function network() {
  const state = { online: true };
  const fetchImpl: typeof fetch = (input, init) => (state.online ? fetch(input, init) : Promise.reject(new TypeError('fetch failed')));
  return { state, fetch: fetchImpl };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

let admin: MontuClient;
let projectId: string;
let dir: string;
const members: Record<string, string> = {};

beforeAll(async () => {
  admin = await studioAdmin();
  projectId = (await admin.createProject({ id: unique('OFFLINE'), name: 'Offline edits' })).id;
  for (const name of ['alice', 'bob', 'carol']) {
    members[name] = newEmail(name);
    await createUser(members[name]);
  }
  await admin.addProjectUsers(projectId, Object.values(members).map((email) => ({ email, permissions: ['read', 'write'] })));
  dir = mkdtempSync(path.join(tmpdir(), 'montu-offline-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function newTask(): Promise<Task> {
  const task = await admin.createTask({ project_id: projectId, episode: newEpisode(), sequence: 'sq0010', shot: 'sh0010', task: 'comp' });
  // `notes` is a custom field, as the spec's strategies name it.
  await admin.request('POST', `/tasks/${task.id}/add-field`, { body: { notes: 'original note' } });
  return task;
}

async function member(name: string, options: Omit<Parameters<typeof OfflineClient.open>[1], 'storage'> & { storage?: Parameters<typeof OfflineClient.open>[1]['storage']; client?: MontuClientOptions } = {}) {
  const net = network();
  const api = await loggedIn(members[name]!, { fetch: net.fetch, ...options.client });
  const outcomes: SyncOutcome[] = [];
  const storage = options.storage ?? new MemoryStorage();
  const offline = await OfflineClient.open(api, { resolution: SPEC_RESOLUTION, onSynced: (o) => outcomes.push(o), ...options, storage });
  return { api, offline, net, outcomes, storage };
}

describe('two clients edit one task while offline', () => {
  it('reconnect one after the other: the field strategies decide, and every change is accounted for', async () => {
    const task = await newTask();
    const aliceFile = path.join(dir, 'alice.json');
    let alice = await member('alice', { storage: new FileStorage(aliceFile) });
    const bob = await member('bob');
    await alice.offline.getTask(task.id);
    await bob.offline.getTask(task.id);
    alice.net.state.online = false;
    bob.net.state.online = false;

    await alice.offline.updateTask(task.id, { status: 'in_progress', artist: 'alice', notes: 'alice note', description: 'alice desc' } as never);
    await tick();
    await bob.offline.updateTask(task.id, { status: 'on_hold', artist: 'bob', priority: 'high', notes: 'bob note' } as never);
    // Each sees their own change at once, from the cache.
    expect(await alice.offline.getTask(task.id)).toMatchObject({ status: 'in_progress', artist: 'alice' });
    expect(await bob.offline.getTask(task.id)).toMatchObject({ status: 'on_hold', artist: 'bob' });
    expect(alice.offline.pending).toHaveLength(1);

    // Bob reconnects first: his version is current, so his change goes through as queued.
    bob.net.state.online = true;
    await bob.offline.syncPendingOperations();
    expect(bob.outcomes).toMatchObject([{ result: 'applied', task: { status: 'on_hold', artist: 'bob', priority: 'high', notes: 'bob note' } }]);
    expect(bob.offline.pending).toHaveLength(0);

    // Alice's app restarts while still offline: the queue is read back from her file.
    const session = alice.api.currentSession;
    alice = await member('alice', { storage: new FileStorage(aliceFile), client: { session } });
    expect(alice.offline.pending.map((op) => op.updates)).toEqual([{ status: 'in_progress', artist: 'alice', notes: 'alice note', description: 'alice desc' }]);

    // Alice reconnects: 412 on her stale If-Match, then the spec's merge.
    alice.net.state.online = true;
    await alice.offline.syncPendingOperations();
    const [outcome] = alice.outcomes;
    expect(outcome).toMatchObject({ result: 'resolved' });
    const decided = Object.fromEntries(outcome!.decisions.map((d) => [d.field, [d.winner, d.reason]]));
    expect(decided).toEqual({
      status: ['server', 'field_server'], // Bob's on_hold stays
      artist: ['client', 'field_client'], // Alice's assignment wins
      notes: ['server', 'field_latest'], // Alice wrote hers before Bob's reached the server
      description: ['client', 'unchanged_on_server'], // nobody else touched it: no conflict
    });

    const final = await admin.getTask(task.id);
    expect(final).toMatchObject({ status: 'on_hold', artist: 'alice', priority: 'high', notes: 'bob note', description: 'alice desc' });
    // Every queued field of both clients, in the order they reached the server: a change that lost
    // lost to exactly the value the earlier outcome left, and the task ends with each winner's value.
    const expected: Record<string, unknown> = {};
    for (const o of [...bob.outcomes, ...alice.outcomes]) {
      for (const [field, value] of Object.entries(o.operation.updates)) {
        const decision = o.decisions.find((d) => d.field === field);
        if (decision && field in expected) expect(decision.server, field).toEqual(expected[field]);
        if (o.result === 'applied' || decision?.winner === 'client') expected[field] = value;
      }
    }
    expect(final).toMatchObject(expected);
    expect(alice.offline.pending).toHaveLength(0);
    expect(await new FileStorage(aliceFile).get('queue')).toEqual([]);
    // The server's own record (newest first) has both writes: Bob's whole change, then what Alice's merge sent.
    await vi.waitFor(async () => {
      const history = await admin.get<{ items: { action: string; changes: Record<string, unknown> }[] }>(`/tasks/${task.id}/history`);
      expect(history.items.filter((e) => e.action === 'update').map((e) => Object.keys(e.changes).sort())).toEqual([
        ['artist', 'description'],
        ['artist', 'notes', 'priority', 'status'],
        ['notes'], // add-field, before either went offline
      ]);
    }, { timeout: 15_000, interval: 200 });
  });

  it('latest: an edit made after the server last wrote the task wins', async () => {
    const task = await newTask();
    const alice = await member('alice');
    const bob = await member('bob');
    await bob.offline.getTask(task.id);
    bob.net.state.online = false;
    // Alice, online, writes first; Bob edits offline afterwards.
    await alice.offline.updateTask(task.id, { notes: 'alice online' } as never);
    expect(alice.outcomes).toMatchObject([{ result: 'applied' }]);
    await tick();
    await bob.offline.updateTask(task.id, { notes: 'bob later' } as never);
    bob.net.state.online = true;
    await bob.offline.syncPendingOperations();
    expect(bob.outcomes[0]!.decisions).toMatchObject([{ field: 'notes', winner: 'client', reason: 'field_latest', server: 'alice online' }]);
    expect(await admin.getTask(task.id)).toMatchObject({ notes: 'bob later' });
  });
});

describe('the other strategies', () => {
  /** Carol reads the task, goes offline, edits; the admin changes it meanwhile; Carol reconnects. */
  async function staleEdit(resolution: ConflictResolution, onConflict?: Parameters<typeof OfflineClient.open>[1]['onConflict']) {
    const task = await newTask();
    const carol = await member('carol', { resolution, ...(onConflict ? { onConflict } : {}) });
    await carol.offline.getTask(task.id);
    carol.net.state.online = false;
    await carol.offline.updateTask(task.id, { status: 'completed', artist: 'carol' });
    await admin.updateTask(task.id, { status: 'on_hold', artist: 'admin' });
    carol.net.state.online = true;
    await carol.offline.syncPendingOperations();
    return { task: await admin.getTask(task.id), outcome: carol.outcomes[0]!, carol };
  }

  it('client_wins writes the queued change over the newer version', async () => {
    const { task, outcome } = await staleEdit({ strategy: 'client_wins' });
    expect(task).toMatchObject({ status: 'completed', artist: 'carol' });
    expect(outcome.decisions.map((d) => [d.field, d.winner, d.reason])).toEqual([['status', 'client', 'client_wins'], ['artist', 'client', 'client_wins']]);
  });

  it('server_wins drops it, and says what was dropped', async () => {
    const { task, outcome, carol } = await staleEdit({ strategy: 'server_wins' });
    expect(task).toMatchObject({ status: 'on_hold', artist: 'admin' });
    expect(outcome.decisions.map((d) => [d.field, d.winner, d.client, d.server])).toEqual([['status', 'server', 'completed', 'on_hold'], ['artist', 'server', 'carol', 'admin']]);
    // The cache follows the server.
    expect(await carol.offline.getTask(outcome.operation.task_id, true)).toMatchObject({ status: 'on_hold', artist: 'admin' });
  });

  it('manual hands the conflict to the app, which picks the values to write', async () => {
    const handed: unknown[] = [];
    const { task, outcome } = await staleEdit({ strategy: 'manual' }, async (conflict) => {
      handed.push({ updates: conflict.operation.updates, server: { status: conflict.server.status, artist: conflict.server.artist } });
      return { status: 'approved', artist: 'carol' };
    });
    expect(handed).toEqual([{ updates: { status: 'completed', artist: 'carol' }, server: { status: 'on_hold', artist: 'admin' } }]);
    expect(task).toMatchObject({ status: 'approved', artist: 'carol' });
    expect(outcome.decisions.map((d) => [d.field, d.winner])).toEqual([['status', 'server'], ['artist', 'client']]);
  });
});

describe('the queue and the cache', () => {
  it('replays in order, keeps a refused change for the app, and serves reads from the cache while offline', async () => {
    const first = await newTask();
    const second = await newTask();
    const carol = await member('carol');
    const listed = await carol.offline.getTasks({ project_id: projectId, page_size: 100 });
    expect(listed.items.map((t) => t.id)).toEqual(expect.arrayContaining([first.id, second.id]));
    carol.net.state.online = false;
    await carol.offline.updateTask(first.id, { priority: 'urgent' });
    await carol.offline.updateTask(second.id, { status: 'not_a_status' } as never);
    await carol.offline.updateTask(second.id, { artist: 'carol' });
    // Offline: the cached list, with the queued changes in it.
    const cached = await carol.offline.getTasks({ project_id: projectId, page_size: 100 });
    expect(cached.items.find((t) => t.id === first.id)).toMatchObject({ priority: 'urgent' });
    expect(carol.offline.pending.map((op) => [op.task_id, op.updates])).toEqual([
      [first.id, { priority: 'urgent' }],
      [second.id, { status: 'not_a_status', artist: 'carol' }],
    ]);
    await expect(carol.offline.syncPendingOperations()).rejects.toMatchObject({ name: 'MontuNetworkError' });
    expect(carol.offline.pending).toHaveLength(2);

    carol.net.state.online = true;
    await carol.offline.syncPendingOperations();
    expect(carol.outcomes.map((o) => [o.operation.task_id, o.result])).toEqual([
      [first.id, 'applied'],
      [second.id, 'rejected'],
    ]);
    expect(carol.offline.rejected).toMatchObject([{ operation: { task_id: second.id }, error: { status: 400, code: 'VALIDATION_ERROR', details: expect.any(Object) } }]);
    // Kept as plain data: what was refused, and why, survives a restart.
    const reopened = await OfflineClient.open(carol.api, { storage: carol.storage });
    expect(reopened.rejected).toEqual(carol.offline.rejected);
    expect(await admin.getTask(first.id)).toMatchObject({ priority: 'urgent' });
    expect(await admin.getTask(second.id)).toMatchObject({ status: second.status, artist: second.artist });
  });
});

describe('a task id two of the caller’s projects use', () => {
  it('edits queued from a project’s list are read and replayed in that project, online and after a reconnect', async () => {
    const other = (await admin.createProject({ id: unique('OFFLINE2'), name: 'Same ids' })).id;
    await admin.addProjectUsers(other, [{ email: members.alice!, permissions: ['read', 'write'] }]);
    const shot = { episode: newEpisode(), sequence: 'sq0010', shot: 'sh0010', task: 'comp' };
    const { id } = await admin.createTask({ project_id: projectId, ...shot });
    await admin.createTask({ project_id: other, ...shot });

    // Offline: the edit is queued with the listed task's project, and the replay names it.
    const away = await member('alice');
    await away.offline.getTasks({ project_id: other, page_size: 100 });
    away.net.state.online = false;
    await away.offline.updateTask(id, { priority: 'urgent' });
    expect(away.offline.pending).toMatchObject([{ task_id: id, project_id: other }]);
    away.net.state.online = true;
    await away.offline.syncPendingOperations();
    expect(away.outcomes.map((o) => o.result)).toEqual(['applied']);

    // Online: the task is read from the listed project before the edit is sent.
    const here = await member('alice');
    await here.offline.getTasks({ project_id: other, page_size: 100 });
    await here.offline.updateTask(id, { artist: 'alice' });
    expect(here.outcomes.map((o) => o.result)).toEqual(['applied']);

    expect(await admin.getTask(id, { project_id: other })).toMatchObject({ priority: 'urgent', artist: 'alice' });
    expect(await admin.getTask(id, { project_id: projectId })).not.toMatchObject({ priority: 'urgent' });
    expect(await admin.getTask(id, { project_id: projectId })).not.toMatchObject({ artist: 'alice' });
  });

  it('the same id edited offline in both projects: each project keeps its own cache entry, queued change and version', async () => {
    const other = (await admin.createProject({ id: unique('OFFLINE3'), name: 'Same ids again' })).id;
    await admin.addProjectUsers(other, [{ email: members.alice!, permissions: ['read', 'write'] }]);
    const shot = { episode: newEpisode(), sequence: 'sq0020', shot: 'sh0010', task: 'comp' };
    const { id } = await admin.createTask({ project_id: projectId, ...shot, priority: 'low' });
    await admin.createTask({ project_id: other, ...shot, priority: 'low' });

    const storage = new FileStorage(path.join(dir, 'alice-two-projects.json'));
    let alice = await member('alice', { storage });
    await alice.offline.getTask(id, false, { project_id: projectId });
    await alice.offline.getTask(id, false, { project_id: other });
    alice.net.state.online = false;
    await alice.offline.updateTask(id, { priority: 'urgent' }, { project_id: projectId });
    await alice.offline.updateTask(id, { artist: 'alice' }, { project_id: other });
    // Meanwhile someone else changes the task in the other project: its edit is settled against that version.
    await admin.updateTask(id, { status: 'in_progress' }, { project_id: other });

    expect(alice.offline.pending.map((op) => [op.project_id, op.updates])).toEqual([
      [projectId, { priority: 'urgent' }],
      [other, { artist: 'alice' }],
    ]);
    // After a restart, each project's task reads from the cache with its own change only.
    alice = await member('alice', { storage });
    alice.net.state.online = false;
    expect(await alice.offline.getTask(id, true, { project_id: projectId })).toMatchObject({ project_id: projectId, priority: 'urgent', artist: 'Unassigned' });
    expect(await alice.offline.getTask(id, true, { project_id: other })).toMatchObject({ project_id: other, priority: 'low', artist: 'alice' });

    alice.net.state.online = true;
    const outcomes = await alice.offline.syncPendingOperations();
    expect(outcomes.map((o) => [o.operation.project_id, o.result])).toEqual([
      [projectId, 'applied'],
      [other, 'applied'],
    ]);
    expect(await admin.getTask(id, { project_id: projectId })).toMatchObject({ priority: 'urgent', artist: 'Unassigned', status: 'not_started' });
    expect(await admin.getTask(id, { project_id: other })).toMatchObject({ priority: 'low', artist: 'alice', status: 'in_progress' });
    expect(await alice.offline.getTask(id, true, { project_id: other })).toMatchObject({ artist: 'alice', status: 'in_progress' });
  });
});
