import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';
import { RFX_CONFIG, SWA_CONFIG } from './fixture.js';

const ctx = createTestContext('tasks-dependencies');
const api = ctx.as;
let writer: TestUser;
let reader: TestUser;
let outsider: TestUser;

const task = (project: string, shot: string, taskType: string, extra: Record<string, unknown> = {}) => ({ project_id: project, episode: 'Ep01', sequence: 'sq0010', shot, task: taskType, ...extra });
const idOf = (shot: string, taskType: string) => `ep01_sq0010_${shot.toLowerCase()}_${taskType}`;

async function create(project: string, shot: string, taskType: string, extra: Record<string, unknown> = {}) {
  const res = await api(writer).post('/tasks', task(project, shot, taskType, extra)).expect(201);
  return res.body as Record<string, unknown> & { id: string };
}

beforeAll(async () => {
  await ctx.seedProject('SWA', SWA_CONFIG);
  await ctx.seedProject('RFX', RFX_CONFIG);
  await ctx.seedProject('HID', SWA_CONFIG);
  await ctx.seedProject('QUE', SWA_CONFIG);
  [writer, reader, outsider] = await Promise.all([ctx.createUser({ name: 'writer' }), ctx.createUser({ name: 'reader' }), ctx.createUser({ name: 'outsider' })]);
  await Promise.all([
    ctx.addMember('SWA', writer, ['write']),
    ctx.addMember('QUE', writer, ['write']),
    ctx.addMember('RFX', writer, ['write']),
    ctx.addMember('SWA', reader, ['read']),
    ctx.addMember('QUE', reader, ['read']),
  ]);
});

describe('depends_on on create and PATCH', () => {
  it('stores what a task waits for, the pending ones in blocked_by, and ready only when nothing blocks', async () => {
    const animation = await create('SWA', 'SH0010', 'animation');
    const layout = await create('SWA', 'SH0010', 'layout', { status: 'approved' });
    const lighting = await create('SWA', 'SH0010', 'lighting', { depends_on: [animation.id, layout.id] });
    expect(lighting).toMatchObject({ depends_on: [animation.id, layout.id], blocked_by: [animation.id], blocked: true, ready: false });
    expect(animation).toMatchObject({ depends_on: [], blocked_by: [], blocked: false, ready: true });

    const res = await api(writer).patch(`/tasks/${lighting.id}`, { depends_on: [layout.id] }).expect(200);
    expect(res.body).toMatchObject({ depends_on: [layout.id], blocked_by: [], blocked: false, ready: true });
    const started = await api(writer).patch(`/tasks/${lighting.id}`, { status: 'in_progress' }).expect(200);
    expect(started.body).toMatchObject({ blocked_by: [], ready: false });
  });

  it('refuses unknown and archived tasks, ids only other projects hold and the task itself with 422, naming each', async () => {
    const archived = await create('SWA', 'SH0020', 'layout');
    await api(writer).delete(`/tasks/${archived.id}`).expect(200);
    const visible = await create('RFX', 'SH0021', 'comp');
    await ctx.taskDoc('HID', idOf('SH0020', 'fx')).set({ id: idOf('SH0020', 'fx'), project_id: 'HID', status: 'not_started', depends_on: [] });
    const hidden = idOf('SH0020', 'fx');

    const res = await api(writer).post('/tasks', task('SWA', 'SH0020', 'comp', { depends_on: ['ghost_task', archived.id, visible.id, hidden] })).expect(422);
    const error = expectEnvelope(res.body, 'UNPROCESSABLE');
    expect(error.details).toMatchObject({
      field: 'depends_on',
      errors: [
        { field: 'depends_on', issue: 'Task ghost_task not found' },
        { field: 'depends_on', issue: `Task ${archived.id} is archived; an archived task cannot be waited for` },
        // Ids resolve within the task's own project: another project's task of that id is not looked at,
        // whether the writer can read that project or not.
        { field: 'depends_on', issue: `Task ${visible.id} not found` },
        { field: 'depends_on', issue: `Task ${hidden} not found` },
      ],
    });
    expect(error.message).toContain('ghost_task not found');
    expect((await ctx.taskDoc('SWA', idOf('SH0020', 'comp')).get()).exists).toBe(false);

    const comp = await create('SWA', 'SH0020', 'comp');
    const self = await api(writer).patch(`/tasks/${comp.id}`, { depends_on: [comp.id] }).expect(422);
    expect(expectEnvelope(self.body, 'UNPROCESSABLE').message).toContain(`Task ${comp.id} cannot depend on itself`);
  });

  it('refuses more than 50 upstream tasks, repeated ids and malformed lists with 400', async () => {
    const comp = await create('SWA', 'SH0030', 'comp');
    const many = Array.from({ length: 51 }, (_, i) => `task_${i}`);
    const tooMany = await api(writer).patch(`/tasks/${comp.id}`, { depends_on: many }).expect(400);
    expect(expectEnvelope(tooMany.body, 'VALIDATION_ERROR').details).toMatchObject({ field: 'depends_on', issue: 'depends_on lists at most 50 tasks' });
    const twice = await api(writer).patch(`/tasks/${comp.id}`, { depends_on: ['a_task', 'a_task'] }).expect(400);
    expect(expectEnvelope(twice.body, 'VALIDATION_ERROR').details).toMatchObject({ field: 'depends_on', issue: 'depends_on lists a task more than once' });
    const text = await api(writer).patch(`/tasks/${comp.id}`, { depends_on: 'a_task' }).expect(400);
    expect(expectEnvelope(text.body, 'VALIDATION_ERROR').details).toMatchObject({ field: 'depends_on', issue: 'depends_on must be a list of task ids' });
  });

  it('refuses a change that closes a cycle with 422 naming its tasks in order', async () => {
    const layout = await create('SWA', 'SH0040', 'layout');
    const animation = await create('SWA', 'SH0040', 'animation', { depends_on: [layout.id] });
    const lighting = await create('SWA', 'SH0040', 'lighting', { depends_on: [animation.id] });
    const res = await api(writer).patch(`/tasks/${layout.id}`, { depends_on: [lighting.id] }).expect(422);
    const error = expectEnvelope(res.body, 'UNPROCESSABLE');
    expect(error.message).toBe(`Task ${layout.id} cannot depend on these tasks: Dependency cycle: ${layout.id} → ${lighting.id} → ${animation.id} → ${layout.id} (each task waits for the next)`);
    expect(error.details).toMatchObject({ cycle: [layout.id, lighting.id, animation.id, layout.id] });
    expect((await api(writer).get(`/tasks/${layout.id}`).expect(200)).body.depends_on).toEqual([]);
  });

  it('keeps the derived fields to the server', async () => {
    const comp = await create('SWA', 'SH0050', 'comp');
    for (const field of ['blocked_by', 'blocked', 'ready']) {
      const res = await api(writer).patch(`/tasks/${comp.id}`, { [field]: field === 'blocked_by' ? [] : true }).expect(400);
      expect(expectEnvelope(res.body, 'VALIDATION_ERROR').details).toMatchObject({ field, issue: `${field} is maintained by the server` });
    }
    const create400 = await api(writer).post('/tasks', task('SWA', 'SH0051', 'comp', { ready: true })).expect(400);
    expect(expectEnvelope(create400.body, 'VALIDATION_ERROR').details).toMatchObject({ field: 'ready', issue: 'Unknown field' });
  });
});

describe('depends_on in bulk calls', () => {
  it('finds a cycle that only the call as a whole closes: atomic refuses all with 422, otherwise the closing item', async () => {
    const [a, b, c] = [await create('SWA', 'SH0060', 'layout'), await create('SWA', 'SH0060', 'animation'), await create('SWA', 'SH0060', 'lighting')];
    const items = [
      { task_id: b.id, updates: { depends_on: [a.id] } },
      { task_id: c.id, updates: { depends_on: [b.id] } },
      { task_id: a.id, updates: { depends_on: [c.id] } },
    ];
    const cycle = `Dependency cycle: ${a.id} → ${c.id} → ${b.id} → ${a.id} (each task waits for the next)`;
    const atomic = await api(writer).patch('/tasks/bulk-update', { atomic: true, updates: items }).expect(422);
    expect(expectEnvelope(atomic.body, 'UNPROCESSABLE').details).toEqual({ failed: 1, errors: [{ task_id: a.id, error: `depends_on: ${cycle}` }] });
    expect((await api(writer).get(`/tasks/${b.id}`).expect(200)).body.depends_on).toEqual([]);

    const partial = await api(writer).patch('/tasks/bulk-update', items).expect(200);
    expect(partial.body).toMatchObject({ updated_tasks: [b.id, c.id], errors: [{ task_id: a.id, error: `depends_on: ${cycle}` }] });
    expect((await api(writer).get(`/tasks/${c.id}`).expect(200)).body).toMatchObject({ depends_on: [b.id], blocked_by: [b.id], ready: false });
  });

  it('sets depends_on through the legacy format, checking each task', async () => {
    const upstream = await create('SWA', 'SH0070', 'animation');
    const [x, y] = [await create('SWA', 'SH0071', 'lighting'), await create('SWA', 'SH0072', 'lighting')];
    const res = await api(writer).post('/tasks/bulk', { task_ids: [x.id, y.id, upstream.id], operation: 'update', data: { depends_on: [upstream.id] } }).expect(200);
    expect(res.body).toMatchObject({ successful: 2, updated_tasks: [x.id, y.id], errors: [{ task_id: upstream.id, error: `depends_on: Task ${upstream.id} cannot depend on itself` }] });
    expect((await api(writer).get(`/tasks/${y.id}`).expect(200)).body).toMatchObject({ blocked_by: [upstream.id], blocked: true });
  });
});

describe('GET /tasks?ready and ?blocked', () => {
  let ids: Record<string, string>;
  beforeAll(async () => {
    const layout = await create('QUE', 'SH0100', 'layout', { artist: 'Alice', priority: 'low' });
    const animation = await create('QUE', 'SH0100', 'animation', { artist: 'Bob', priority: 'high', status: 'completed' });
    const lighting = await create('QUE', 'SH0100', 'lighting', { artist: 'Alice', priority: 'urgent', depends_on: [animation.id] });
    const comp = await create('QUE', 'SH0100', 'comp', { artist: 'Alice', priority: 'high', depends_on: [lighting.id, layout.id] });
    const fx = await create('QUE', 'SH0100', 'fx', { artist: 'alice', priority: 'medium', status: 'in_progress' });
    ids = { layout: layout.id, animation: animation.id, lighting: lighting.id, comp: comp.id, fx: fx.id };
  });
  const list = async (query: string) => ((await api(reader).get(`/tasks?project_id=QUE&${query}`).expect(200)).body.items as { id: string }[]).map((t) => t.id);

  it("answers the artist's ready queue in one query, sorted as asked", async () => {
    expect(await list('artist=alice&ready=true&sort=priority&order=desc')).toEqual([ids.lighting, ids.layout]);
    expect(await list('artist=alice&ready=false&sort=priority&order=asc')).toEqual([ids.fx, ids.comp]);
  });

  it('lists blocked tasks, combined with other filters, search and sort', async () => {
    expect(await list('blocked=true')).toEqual([ids.comp]);
    expect(await list('blocked=false&status=not_started&sort=created_at&order=asc')).toEqual([ids.layout, ids.lighting]);
    expect(await list('blocked=true&search=comp&task_type=comp,fx')).toEqual([ids.comp]);
  });

  it('refuses a value that is not a boolean', async () => {
    const res = await api(reader).get('/tasks?ready=yes').expect(400);
    expect(expectEnvelope(res.body, 'VALIDATION_ERROR').message).toContain('ready');
  });
});

describe('dependencies with the same ids in two projects', () => {
  it("wait for their own project's task, and list only their own project's dependents", async () => {
    const rfxLayout = await create('RFX', 'SH0300', 'layout', { status: 'approved' });
    const swaLayout = await create('SWA', 'SH0300', 'layout', { status: 'in_progress' });
    expect(rfxLayout.id).toBe(swaLayout.id);
    const swaLighting = await create('SWA', 'SH0300', 'lighting', { depends_on: [swaLayout.id] });
    const rfxLighting = await create('RFX', 'SH0300', 'lighting', { depends_on: [rfxLayout.id] });
    expect([swaLighting.blocked_by, rfxLighting.blocked_by]).toEqual([[swaLayout.id], []]);

    const ambiguous = await api(writer).get(`/tasks/${swaLayout.id}/dependencies`).expect(409);
    expect(expectEnvelope(ambiguous.body, 'CONFLICT').message).toBe(`Task ${swaLayout.id} exists in 2 of your projects (RFX, SWA); give project_id to choose one`);
    const swa = await api(writer).get(`/tasks/${swaLayout.id}/dependencies?project_id=SWA`).expect(200);
    expect(swa.body.downstream).toEqual([{ id: swaLighting.id, task: 'lighting', name: null, status: 'not_started', artist: 'Unassigned', ready: false, blocking: true }]);
    const rfx = await api(writer).get(`/tasks/${rfxLayout.id}/dependencies?project_id=RFX`).expect(200);
    expect(rfx.body.downstream).toEqual([{ id: rfxLighting.id, task: 'lighting', name: null, status: 'not_started', artist: 'Unassigned', ready: true, blocking: false }]);
  });
});

describe('GET /tasks/{task_id}/dependencies', () => {
  it('shows upstream and downstream tasks with their status and whether each blocks', async () => {
    const animation = await create('SWA', 'SH0200', 'animation', { artist: 'bob', status: 'approved' });
    const layout = await create('SWA', 'SH0200', 'layout', { artist: 'carol', status: 'in_progress' });
    const lighting = await create('SWA', 'SH0200', 'lighting', { artist: 'alice', depends_on: [animation.id, layout.id] });
    const comp = await create('SWA', 'SH0200', 'comp', { depends_on: [lighting.id] });
    const res = await api(reader).get(`/tasks/${lighting.id}/dependencies`).expect(200);
    expect(res.body).toEqual({
      task_id: lighting.id,
      status: 'not_started',
      ready: false,
      blocked_by: [layout.id],
      dependency_done_statuses: ['approved', 'completed'],
      upstream: [
        { id: animation.id, task: 'animation', name: null, status: 'approved', artist: 'bob', blocking: false },
        { id: layout.id, task: 'layout', name: null, status: 'in_progress', artist: 'carol', blocking: true },
      ],
      downstream: [{ id: comp.id, task: 'comp', name: null, status: 'not_started', artist: 'Unassigned', ready: false, blocking: true }],
    });
  });

  it('answers as every task route: outsiders and unknown ids 404', async () => {
    const comp = await create('SWA', 'SH0210', 'comp');
    expectEnvelope((await api(outsider).get(`/tasks/${comp.id}/dependencies`).expect(404)).body, 'NOT_FOUND');
    expectEnvelope((await api(reader).get('/tasks/ghost_task/dependencies').expect(404)).body, 'NOT_FOUND');
    expectEnvelope((await ctx.http().get(`/api/v1/tasks/${comp.id}/dependencies`).expect(401)).body, 'UNAUTHENTICATED');
    const readerWrites = await api(reader).patch(`/tasks/${comp.id}`, { depends_on: [] }).expect(403);
    expectEnvelope(readerWrites.body, 'PERMISSION_DENIED');
  });
});

describe('dependency_done_statuses', () => {
  it('defaults to approved and completed, and takes task statuses only', async () => {
    const admin = await ctx.createUser({ admin: true, name: 'admin' });
    const created = await api(admin).post('/projects', { id: 'DDS', name: 'Done statuses' }).expect(201);
    expect(created.body.dependency_done_statuses).toEqual(['approved', 'completed']);
    const changed = await api(admin).patch('/projects/DDS', { dependency_done_statuses: ['pending_review', 'approved', 'completed'] }).expect(200);
    expect(changed.body.dependency_done_statuses).toEqual(['pending_review', 'approved', 'completed']);
    for (const bad of [['done'], ['archived'], [], ['approved', 'approved']]) {
      const res = await api(admin).patch('/projects/DDS', { dependency_done_statuses: bad }).expect(400);
      expect(expectEnvelope(res.body, 'VALIDATION_ERROR').message).toContain('dependency_done_statuses');
    }
  });
});
