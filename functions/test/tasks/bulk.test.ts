import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';
import { RFX_CONFIG, SWA_CONFIG, configOf, newTask, seedTasks } from './fixture.js';

const ctx = createTestContext('tasks-bulk');
let admin: TestUser;
let writer: TestUser;

const task = (project: string, shot: string, taskType = 'comp') => ({ project_id: project, episode: 'Ep01', sequence: 'sq0010', shot, task: taskType });
const SWA = ['ep01_sq0010_sh0010_comp', 'ep01_sq0010_sh0020_comp', 'ep01_sq0010_sh0030_comp', 'ep01_sq0010_sh0040_comp', 'ep01_sq0010_sh0050_comp', 'ep01_sq0010_sh0060_comp'] as const;
const RFX = ['ep01_sq0010_sh0100_comp', 'ep01_sq0010_sh0110_comp'] as const;
const HID = 'ep01_sq0010_sh0200_comp';

beforeAll(async () => {
  await ctx.seedProject('SWA', SWA_CONFIG);
  await ctx.seedProject('RFX', RFX_CONFIG);
  await ctx.seedProject('HID', SWA_CONFIG);
  await ctx.seedProject('BIG', SWA_CONFIG);
  [admin, writer] = await Promise.all([ctx.createUser({ admin: true, name: 'admin' }), ctx.createUser({ name: 'writer' })]);
  await ctx.addMember('SWA', writer, ['write']);
  await ctx.addMember('RFX', writer, ['read']);
  const specs = [
    ...['SH0010', 'SH0020', 'SH0030', 'SH0040', 'SH0050', 'SH0060'].map((s) => task('SWA', s)),
    task('RFX', 'SH0100'),
    task('RFX', 'SH0110'),
    task('HID', 'SH0200'),
    ...Array.from({ length: 500 }, (_, i) => task('BIG', `SH${String(i).padStart(4, '0')}`, 'lighting')),
  ];
  await seedTasks(ctx.db, specs.map((s, i) => ({ task: newTask(s, configOf(s.project_id)), config: configOf(s.project_id), created: Date.UTC(2025, 0, 1) + i, updated: Date.UTC(2025, 0, 1) + i })));
}, 60_000);

const bulkUpdate = (user: TestUser, body: unknown) => ctx.http().patch('/api/v1/tasks/bulk-update').set('Authorization', user.bearer).send(body as object);
const legacy = (user: TestUser, body: unknown) => ctx.http().post('/api/v1/tasks/bulk').set('Authorization', user.bearer).send(body as object);
/** The stored task of this id (ids are unique across the projects of this file). */
const stored = async (id: string) => (await ctx.db.collection('tasks').where('id', '==', id).get()).docs[0]!.data();
async function bulkEvents(project: string) {
  const snap = await ctx.db.collection(`projects/${project}/events`).where('type', '==', 'tasks_bulk_updated').get();
  return snap.docs.map((d) => ({ id: d.id, ...(d.data() as { data: Record<string, unknown> }) }));
}

describe('PATCH /tasks/bulk-update', () => {
  it('updates the valid tasks and reports unknown, forbidden, invalid and repeated ones per item', async () => {
    const res = await bulkUpdate(writer, [
      { task_id: SWA[0], updates: { status: 'in_progress', artist: 'john_doe' } },
      { task_id: SWA[1], updates: { status: 'in_progress', artist: 'john_doe' } },
      { task_id: 'ghost_task', updates: { status: 'approved' } },
      { task_id: RFX[0], updates: { status: 'approved' } },
      { task_id: HID, updates: { status: 'approved' } },
      { task_id: SWA[2], updates: { status: 'done', priority: 'high' } },
      { task_id: SWA[0], updates: { status: 'approved' } },
      { task_id: '../etc', updates: { status: 'approved' } },
    ]).expect(200);
    expect(res.body).toEqual({
      message: 'Successfully updated 2 tasks',
      updated_count: 2,
      failed_count: 6,
      updated_tasks: [SWA[0], SWA[1]],
      errors: [
        { task_id: 'ghost_task', error: 'Task ghost_task not found' },
        { task_id: RFX[0], error: "This needs 'write' permission on project RFX" },
        { task_id: HID, error: `Task ${HID} not found` },
        { task_id: SWA[2], error: 'status: status must be one of not_started, in_progress, pending_review, needs_revision, approved, completed, on_hold, archived' },
        { task_id: SWA[0], error: `Task ${SWA[0]} is listed more than once in this call` },
        { task_id: '../etc', error: 'Task id may only contain letters, digits, _, . and -' },
      ],
    });
    const events = await bulkEvents('SWA');
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toEqual({ task_ids: [SWA[0], SWA[1]], operation: 'bulk_update', changes: { status: 'in_progress', artist: 'john_doe' }, user: writer.uid, timestamp: expect.any(String) });
    for (const id of [SWA[0], SWA[1]]) expect(await stored(id)).toMatchObject({ status: 'in_progress', artist: 'john_doe', artist_key: 'john_doe', updated_by: writer.uid, bulk_id: events[0]!.id });
    expect(await stored(SWA[2])).toMatchObject({ status: 'not_started', priority: 'medium', updated_by: 'seed', bulk_id: null });
    expect(await stored(RFX[0])).toMatchObject({ status: 'not_started', updated_by: 'seed' });
    expect(await bulkEvents('RFX')).toEqual([]);
  });

  it("accepts the spec's example body as written, custom_field included, and refuses a likely typo of a task field", async () => {
    const [comp, lighting] = ['ep01_sq0010_sh0000_lighting', 'ep01_sq0010_sh0001_lighting'];
    const res = await bulkUpdate(admin, [
      { task_id: comp, updates: { status: 'in_progress', artist: 'john_doe', custom_field: 'new_value' } },
      { task_id: lighting, updates: { priority: 'high', milestone: 'final_render' } },
    ]).expect(200);
    expect(res.body).toMatchObject({ message: 'Successfully updated 2 tasks', updated_count: 2, failed_count: 0, updated_tasks: [comp, lighting], errors: [] });
    expect(await stored(comp)).toMatchObject({ status: 'in_progress', artist: 'john_doe', custom_field: 'new_value' });
    expect(await stored(lighting)).toMatchObject({ priority: 'high', milestone: 'final_render' });
    const shown = await ctx.http().get(`/api/v1/tasks/${comp}`).set('Authorization', admin.bearer).expect(200);
    expect(shown.body.custom_field).toBe('new_value');

    const typo = await bulkUpdate(admin, [{ task_id: lighting, updates: { priorty: 'low' } }]).expect(200);
    expect(typo.body.errors).toEqual([{ task_id: lighting, error: 'priorty: Unknown field priorty: did you mean priority? (to add a custom field this close to a task field, use POST /tasks/{task_id}/add-field)' }]);
    expect(await stored(lighting)).not.toHaveProperty('priorty');
  });

  it('records shared changes and per-task changes when tasks get different updates', async () => {
    const res = await bulkUpdate(writer, { updates: [{ task_id: SWA[3], updates: { priority: 'HIGH', milestone: 'final_render' } }, { task_id: SWA[4], updates: { priority: 'high' } }] }).expect(200);
    expect(res.body.updated_tasks).toEqual([SWA[3], SWA[4]]);
    const event = (await bulkEvents('SWA')).find((e) => (e.data.task_ids as string[]).includes(SWA[3]))!;
    expect(event.data).toMatchObject({ changes: { priority: 'high' }, changes_by_task: { [SWA[3]]: { priority: 'high', milestone: 'final_render' }, [SWA[4]]: { priority: 'high' } } });
    expect(await stored(SWA[3])).toMatchObject({ priority: 'high', priority_rank: 2, milestone: 'final_render', bulk_id: event.id });
  });

  it('with atomic: true writes nothing when any task fails, and everything when none does', async () => {
    const before = await stored(SWA[5]);
    const eventsBefore = (await bulkEvents('SWA')).length;
    const res = await bulkUpdate(writer, { atomic: true, updates: [{ task_id: SWA[5], updates: { status: 'approved' } }, { task_id: RFX[1], updates: { status: 'approved' } }] }).expect(422);
    const error = expectEnvelope(res.body, 'UNPROCESSABLE');
    expect(error.message).toBe('Nothing was changed: 1 of 2 task(s) cannot be updated');
    expect(error.details).toEqual({ failed: 1, errors: [{ task_id: RFX[1], error: "This needs 'write' permission on project RFX" }] });
    expect((await stored(SWA[5])).updated_at).toEqual(before.updated_at);
    expect((await bulkEvents('SWA')).length).toBe(eventsBefore);

    const ok = await bulkUpdate(writer, { atomic: true, updates: [{ task_id: SWA[5], updates: { status: 'approved' } }] }).expect(200);
    expect(ok.body).toMatchObject({ updated_count: 1, failed_count: 0, errors: [] });
    expect((await stored(SWA[5])).status).toBe('approved');
  });

  it('writes one event per project touched', async () => {
    const res = await bulkUpdate(admin, [{ task_id: SWA[0], updates: { milestone_note: 'bulk' } }, { task_id: RFX[0], updates: { milestone_note: 'bulk' } }, { task_id: RFX[1], updates: { milestone_note: 'bulk' } }]).expect(200);
    expect(res.body.updated_count).toBe(3);
    const rfx = await bulkEvents('RFX');
    expect(rfx.map((e) => e.data.task_ids)).toEqual([[RFX[0], RFX[1]]]);
    expect((await stored(RFX[1])).bulk_id).toBe(rfx[0]!.id);
    const swa = (await bulkEvents('SWA')).filter((e) => (e.data.changes as Record<string, unknown>).milestone_note === 'bulk');
    expect(swa.map((e) => e.data.task_ids)).toEqual([[SWA[0]]]);
  });

  it('clears bulk_id when a task is next changed on its own', async () => {
    await ctx.http().patch(`/api/v1/tasks/${SWA[0]}`).set('Authorization', writer.bearer).send({ milestone_note: 'single' }).expect(200);
    expect((await stored(SWA[0])).bulk_id).toBeNull();
  });

  it('updates 500 tasks in one call', async () => {
    const ids = Array.from({ length: 500 }, (_, i) => `ep01_sq0010_sh${String(i).padStart(4, '0')}_lighting`);
    const res = await bulkUpdate(admin, { atomic: true, updates: ids.map((task_id) => ({ task_id, updates: { status: 'on_hold' } })) }).expect(200);
    expect(res.body.updated_count).toBe(500);
    const count = await ctx.db.collection('tasks').where('project_id', '==', 'BIG').where('status', '==', 'on_hold').count().get();
    expect(count.data().count).toBe(500);
    const events = (await bulkEvents('BIG')).filter((e) => (e.data.task_ids as string[]).includes(ids[2]!));
    expect(events.map((e) => (e.data.task_ids as string[]).length)).toEqual([500]);
  });

  it('refuses malformed bodies and more than 500 tasks', async () => {
    expect(expectEnvelope((await bulkUpdate(writer, []).expect(400)).body, 'VALIDATION_ERROR').message).toContain('Give at least one task');
    const many = Array.from({ length: 501 }, (_, i) => ({ task_id: `t${i}`, updates: { status: 'approved' } }));
    expect(expectEnvelope((await bulkUpdate(writer, many).expect(400)).body, 'VALIDATION_ERROR').message).toContain('At most 500 tasks per call');
    expectEnvelope((await bulkUpdate(writer, [{ task_id: SWA[0], updates: {} }]).expect(400)).body, 'VALIDATION_ERROR');
    expectEnvelope((await bulkUpdate(writer, [{ task_id: SWA[0] }]).expect(400)).body, 'VALIDATION_ERROR');
    await ctx.http().patch('/api/v1/tasks/bulk-update').send([]).expect(401);
  });
});

describe('POST /tasks/bulk (legacy format)', () => {
  it('applies the operation and answers successful/failed/errors/updated_tasks', async () => {
    const res = await legacy(writer, { task_ids: [SWA[1], SWA[2], 'task3'], operation: 'update_status', data: { status: 'in_progress', artist: 'new_artist' } }).expect(200);
    expect(res.body).toEqual({ successful: 2, failed: 1, errors: [{ task_id: 'task3', error: 'Task task3 not found' }], updated_tasks: [SWA[1], SWA[2]] });
    const event = (await bulkEvents('SWA')).find((e) => e.data.operation === 'update_status')!;
    expect(event.data).toMatchObject({ task_ids: [SWA[1], SWA[2]], changes: { status: 'in_progress', artist: 'new_artist' }, user: writer.uid });
    expect(await stored(SWA[2])).toMatchObject({ status: 'in_progress', artist: 'new_artist', bulk_id: event.id, updated_by: writer.uid });
  });

  it('archives, hiding the tasks from lists', async () => {
    const res = await legacy(writer, { task_ids: [SWA[3], SWA[4]], operation: 'archive' }).expect(200);
    expect(res.body).toEqual({ successful: 2, failed: 0, errors: [], updated_tasks: [SWA[3], SWA[4]] });
    const listed = await ctx.http().get(`/api/v1/tasks?project_id=SWA&shot=sh0040,sh0050`).set('Authorization', writer.bearer).expect(200);
    expect(listed.body.total).toBe(0);
  });

  it('reports forbidden tasks per item and is all-or-nothing with atomic', async () => {
    const res = await legacy(writer, { task_ids: [RFX[0], HID], operation: 'set_priority', data: { priority: 'high' } }).expect(200);
    expect(res.body).toEqual({
      successful: 0,
      failed: 2,
      errors: [{ task_id: RFX[0], error: "This needs 'write' permission on project RFX" }, { task_id: HID, error: `Task ${HID} not found` }],
      updated_tasks: [],
    });
    await legacy(writer, { task_ids: [SWA[5], RFX[0]], operation: 'assign_artist', data: { artist: 'zoe' }, atomic: true }).expect(422);
    expect((await stored(SWA[5])).artist).toBe('Unassigned');
  });

  it('refuses an operation without its data, unknown operations and more than 500 ids', async () => {
    expect(expectEnvelope((await legacy(writer, { task_ids: [SWA[5]], operation: 'update_status', data: { artist: 'x' } }).expect(400)).body, 'VALIDATION_ERROR').message).toBe('Operation update_status needs data.status');
    expectEnvelope((await legacy(writer, { task_ids: [SWA[5]], operation: 'update', data: {} }).expect(400)).body, 'VALIDATION_ERROR');
    expectEnvelope((await legacy(writer, { task_ids: [SWA[5]], operation: 'explode' }).expect(400)).body, 'VALIDATION_ERROR');
    const many = Array.from({ length: 501 }, (_, i) => `t${i}`);
    expect(expectEnvelope((await legacy(writer, { task_ids: many, operation: 'archive' }).expect(400)).body, 'VALIDATION_ERROR').message).toContain('At most 500 tasks per call');
  });
});
