// The triggers that keep blocked_by/ready current, called as Firestore calls them: with events built
// from real snapshots around real writes (the served-stack test has the emulator fire them).
import { beforeAll, describe, expect, it } from 'vitest';
import { eventsCollection } from '../../src/realtime/feed.js';
import { publishTaskWrite } from '../../src/realtime/triggers.js';
import { refreshReadiness } from '../../src/tasks/dependency-store.js';
import { refreshAfterProjectWrite, refreshAfterTaskWrite } from '../../src/tasks/dependency-triggers.js';
import { writeEvent } from '../realtime/cloud-events.js';
import { createTestContext, type TestUser } from '../support/context.js';
import { SWA_CONFIG, configOf, newTask, seedTasks } from './fixture.js';

const ctx = createTestContext('tasks-dependency-triggers');
const api = ctx.as;
let writer: TestUser;
let admin: TestUser;

beforeAll(async () => {
  for (const p of ['CHN', 'DIA', 'IDM', 'BIG', 'CFG', 'RUN']) await ctx.seedProject(p, SWA_CONFIG);
  [writer, admin] = await Promise.all([ctx.createUser({ name: 'writer' }), ctx.createUser({ admin: true, name: 'admin' })]);
  for (const p of ['CHN', 'DIA', 'IDM', 'BIG', 'CFG', 'RUN']) await ctx.addMember(p, writer, ['write']);
}, 60_000);

async function create(project: string, shot: string, taskType: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await api(writer).post('/tasks', { project_id: project, episode: project, sequence: 'sq0010', shot, task: taskType, ...extra }).expect(201);
  return res.body.id as string;
}
// Each project names its episode after itself, so an id starts with its project.
const ref = (id: string) => ctx.taskDoc(id.split('_')[0]!.toUpperCase(), id);
const state = async (id: string) => {
  const data = (await ref(id).get()).data()!;
  return { blocked_by: data.blocked_by, ready: data.ready };
};
/** Changes a task through the API and runs the trigger on the write, as the emulator would. */
async function change(id: string, updates: Record<string, unknown>) {
  const event = await writeEvent(ref(id), () => api(writer).patch(`/tasks/${id}`, updates).expect(200));
  return { event, cost: await refreshAfterTaskWrite(ctx.db, event) };
}

describe('a status change upstream', () => {
  it('moves a chain one step at a time', async () => {
    const layout = await create('CHN', 'SH0010', 'layout');
    const animation = await create('CHN', 'SH0010', 'animation', { depends_on: [layout] });
    const lighting = await create('CHN', 'SH0010', 'lighting', { depends_on: [animation] });

    await change(layout, { status: 'in_progress' });
    expect(await state(animation)).toEqual({ blocked_by: [layout], ready: false });
    await change(layout, { status: 'approved' });
    expect(await state(animation)).toEqual({ blocked_by: [], ready: true });
    expect(await state(lighting)).toEqual({ blocked_by: [animation], ready: false });
    await change(animation, { status: 'completed' });
    expect(await state(lighting)).toEqual({ blocked_by: [], ready: true });

    // Reopened upstream work blocks again; archived work never blocks.
    await change(animation, { status: 'needs_revision' });
    expect(await state(lighting)).toEqual({ blocked_by: [animation], ready: false });
    const event = await writeEvent(ref(animation), () => api(writer).delete(`/tasks/${animation}`).expect(200));
    await refreshAfterTaskWrite(ctx.db, event);
    expect(await state(lighting)).toEqual({ blocked_by: [], ready: true });
  });

  it('lets a diamond through only when both sides are done', async () => {
    const layout = await create('DIA', 'SH0010', 'layout');
    const animation = await create('DIA', 'SH0010', 'animation', { depends_on: [layout] });
    const fx = await create('DIA', 'SH0010', 'fx', { depends_on: [layout] });
    const comp = await create('DIA', 'SH0010', 'comp', { depends_on: [animation, fx] });
    expect(await state(comp)).toEqual({ blocked_by: [animation, fx], ready: false });

    await change(layout, { status: 'completed' });
    expect([await state(animation), await state(fx)]).toEqual([{ blocked_by: [], ready: true }, { blocked_by: [], ready: true }]);
    await change(animation, { status: 'approved' });
    expect(await state(comp)).toEqual({ blocked_by: [fx], ready: false });
    await change(fx, { status: 'completed' });
    expect(await state(comp)).toEqual({ blocked_by: [], ready: true });
  });

  it('settles a task whose upstream tasks finish at the same moment', async () => {
    const [a, b] = [await create('RUN', 'SH0010', 'animation'), await create('RUN', 'SH0010', 'fx')];
    const comp = await create('RUN', 'SH0010', 'comp', { depends_on: [a, b] });
    const events = [
      await writeEvent(ref(a), () => api(writer).patch(`/tasks/${a}`, { status: 'completed' }).expect(200)),
      await writeEvent(ref(b), () => api(writer).patch(`/tasks/${b}`, { status: 'completed' }).expect(200)),
    ];
    await Promise.all(events.map((e) => refreshAfterTaskWrite(ctx.db, e)));
    expect(await state(comp)).toEqual({ blocked_by: [], ready: true });

    // A task another write changed since it was read is read again, not overwritten.
    const stale = await ref(comp).get();
    await ref(comp).update({ milestone_note: 'changed meanwhile' });
    await ref(a).update({ status: 'in_progress' });
    // Reads: two upstream tasks and the project, then the task again and its upstream tasks again.
    expect(await refreshReadiness(ctx.db, [stale])).toEqual({ read: 6, written: 1 });
    expect((await ref(comp).get()).data()).toMatchObject({ milestone_note: 'changed meanwhile', blocked_by: [a], ready: false });
  });
});

describe('redelivered events', () => {
  it('change nothing twice: no second write, no second feed event', async () => {
    const layout = await create('IDM', 'SH0010', 'layout');
    const animation = await create('IDM', 'SH0010', 'animation', { depends_on: [layout] });
    const upstream = await writeEvent(ref(layout), () => api(writer).patch(`/tasks/${layout}`, { status: 'approved' }).expect(200));

    let first: Awaited<ReturnType<typeof refreshAfterTaskWrite>> | undefined;
    const downstream = await writeEvent(ref(animation), async () => (first = await refreshAfterTaskWrite(ctx.db, upstream)));
    expect(first!.written).toBe(1);
    expect((await refreshAfterTaskWrite(ctx.db, upstream)).written).toBe(0);

    // The derived fields are no task_updated: the readiness event says it.
    expect(await publishTaskWrite(ctx.db, downstream)).toEqual([`${downstream.id}_task_ready`]);
    await publishTaskWrite(ctx.db, downstream);
    const feed = (await eventsCollection(ctx.db, 'IDM').where('type', 'in', ['task_ready', 'task_blocked']).get()).docs.map((d) => d.data());
    expect(feed).toEqual([expect.objectContaining({ type: 'task_ready', data: expect.objectContaining({ task_id: animation, blocked_by: [], user: 'system' }) })]);

    // Reopening the upstream task publishes task_blocked for the downstream one.
    const reopen = await writeEvent(ref(layout), () => api(writer).patch(`/tasks/${layout}`, { status: 'needs_revision' }).expect(200));
    const blocked = await writeEvent(ref(animation), () => refreshAfterTaskWrite(ctx.db, reopen));
    expect(await publishTaskWrite(ctx.db, blocked)).toContain(`${blocked.id}_task_blocked`);
    expect((await eventsCollection(ctx.db, 'IDM').doc(`${blocked.id}_task_blocked`).get()).get('data')).toMatchObject({ task_id: animation, blocked_by: [layout] });
  });
});

describe('an upstream task with 500 dependents', () => {
  it('makes all of them ready, reading and writing in proportion to the dependents', async () => {
    const upstream = await create('BIG', 'SH0000', 'animation');
    const config = configOf('BIG');
    await seedTasks(
      ctx.db,
      Array.from({ length: 500 }, (_, i) => {
        const task = newTask({ project_id: 'BIG', episode: 'BIG', sequence: 'sq0010', shot: `SH${String(i + 1).padStart(4, '0')}`, task: 'lighting', depends_on: [upstream] }, config);
        return { task: Object.assign(task, { blocked_by: [upstream] }), config, created: Date.UTC(2025, 0, 1) + i, updated: Date.UTC(2025, 0, 1) + i };
      }),
    );
    // Tasks of the same project that wait for nothing are not read.
    await seedTasks(ctx.db, Array.from({ length: 200 }, (_, i) => ({ task: newTask({ project_id: 'BIG', episode: 'BIG2', sequence: 'sq0010', shot: `SH${String(i).padStart(4, '0')}`, task: 'comp' }, config), config, created: 0, updated: 0 })));
    expect((await api(writer).get('/tasks?project_id=BIG&blocked=true&page_size=1').expect(200)).body.total).toBe(500);

    const { cost } = await change(upstream, { status: 'completed' });
    expect(cost.written).toBe(500);
    expect(cost.read).toBeGreaterThanOrEqual(500);
    expect(cost.read).toBeLessThanOrEqual(505);
    const ready = await api(writer).get('/tasks?project_id=BIG&ready=true&task_type=lighting&page_size=1').expect(200);
    expect(ready.body.total).toBe(500);
  }, 60_000);
});

describe('dependency_done_statuses', () => {
  it('recomputes the waiting tasks of a project when its done statuses change', async () => {
    const animation = await create('CFG', 'SH0010', 'animation', { status: 'pending_review' });
    const lighting = await create('CFG', 'SH0010', 'lighting', { depends_on: [animation] });
    expect(await state(lighting)).toEqual({ blocked_by: [animation], ready: false });
    const event = await writeEvent(ctx.db.doc('projects/CFG'), () => api(admin).patch('/projects/CFG', { dependency_done_statuses: ['pending_review', 'approved', 'completed'] }).expect(200));
    expect((await refreshAfterProjectWrite(ctx.db, event)).written).toBe(1);
    expect(await state(lighting)).toEqual({ blocked_by: [], ready: true });
    expect((await refreshAfterProjectWrite(ctx.db, event)).written).toBe(0);
  });
});
