// Finding 8: task ids are per project (docs/task-ids.md). The same id in two projects is two tasks;
// a user who is not a member of a project learns nothing about its task ids (reading, changing,
// uploading, dry runs and creates answer as for an id nobody uses) and is never blocked by them;
// the spec's global routes resolve an id within the caller's projects, and when it names several
// of them the caller picks one with project_id (409 otherwise, naming only the caller's projects).
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';
import { csv, HEADER, postImport } from '../csv-import/helpers.js';
import { idNeutral as answer } from '../support/id-neutral.js';

const ctx = createTestContext('task-ids');
const TAKEN = 'ep07_sq0010_sh0010_comp'; // SWA's
const FREE = 'ep07_sq0010_sh0020_comp'; // nobody's
let admin: TestUser;
let mallory: TestUser; // writes in RFX, not a member of SWA
let lead: TestUser; // writes in SWA and RFX, not a member of OTHER

const api = (user: TestUser) => ctx.as(user);
const newTask = (project: string, shot: string, extra: Record<string, unknown> = {}) => ({ project_id: project, episode: 'ep07', sequence: 'sq0010', shot, task: 'comp', ...extra });
const idOf = (shot: string) => `ep07_sq0010_${shot}_comp`;

beforeAll(async () => {
  [admin, mallory, lead] = await Promise.all([ctx.createUser({ admin: true }), ctx.createUser({ name: 'mallory' }), ctx.createUser({ name: 'lead' })]);
  for (const id of ['SWA', 'RFX', 'OTHER']) await api(admin).post('/projects', { id, name: id, task_types: ['comp'] }).expect(201);
  await Promise.all([ctx.addMember('RFX', mallory, ['write']), ctx.addMember('SWA', lead, ['write']), ctx.addMember('RFX', lead, ['write'])]);
  await api(admin).post('/tasks', newTask('SWA', 'sh0010', { artist: 'swa-secret-artist' })).expect(201);
});

describe("what a non-member can infer about another project's task ids", () => {
  const probes: [string, (id: string) => Promise<{ status: number; body: unknown }>][] = [
    ['GET /tasks/{id}', (id) => api(mallory).get(`/tasks/${id}`)],
    ['GET /tasks/{id}?project_id=SWA', (id) => api(mallory).get(`/tasks/${id}?project_id=SWA`)],
    ['PATCH /tasks/{id}', (id) => api(mallory).patch(`/tasks/${id}`, { status: 'on_hold' })],
    ['DELETE /tasks/{id}', (id) => api(mallory).delete(`/tasks/${id}`)],
    ['GET /tasks/{id}/history', (id) => api(mallory).get(`/tasks/${id}/history`)],
    ['POST /tasks/{id}/add-field', (id) => api(mallory).post(`/tasks/${id}/add-field`, { field_name: 'x', field_value: 1 })],
    ['PATCH /tasks/bulk-update', (id) => api(mallory).patch('/tasks/bulk-update', [{ task_id: id, updates: { status: 'on_hold' } }])],
    ['POST /media/upload-url', (id) => api(mallory).post('/media/upload-url', { task_id: id, file_name: 'x.exr', file_size: 10 })],
  ];
  for (const [route, probe] of probes) {
    it(`${route} answers the same for a taken id as for a free one`, async () => {
      expect(answer(await probe(TAKEN), TAKEN)).toBe(answer(await probe(FREE), FREE));
    });
  }

  it('a CSV dry run in their own project answers the same for a taken id as for a free one', async () => {
    const dryRun = (shot: string) => postImport(ctx, mallory, 'import-csv', { project_id: 'RFX', validate_only: 'true', existing: 'update' }, csv(HEADER, `ep07,sq0010,${shot},comp,,,,,,,,`));
    const taken = await dryRun('sh0010');
    const free = await dryRun('sh0020');
    expect(taken.status).toBe(200);
    expect(answer(taken, TAKEN)).toBe(answer(free, FREE));
    expect(taken.body).toMatchObject({ invalid_tasks: 0, actions: { create: 1, update: 0, skip: 0 } });
  });

  it('creating an id another project uses succeeds like a fresh one: nothing leaks, nobody is blocked', async () => {
    const taken = idOf('sh0030');
    await api(admin).post('/tasks', newTask('SWA', 'sh0030', { artist: 'swa-secret-artist' })).expect(201);
    const res = await api(mallory).post('/tasks', newTask('RFX', 'sh0030')).expect(201);
    const fresh = await api(mallory).post('/tasks', newTask('RFX', 'sh0040')).expect(201);
    expect(answer(res, taken).replace(/"(etag|created_at|updated_at)":"[^"]*"/g, '')).toBe(answer(fresh, idOf('sh0040')).replace(/"(etag|created_at|updated_at)":"[^"]*"/g, ''));
    expect(JSON.stringify(res.body)).not.toMatch(/SWA|swa-secret-artist/);
    // An import too; and SWA's admin can still create there an id RFX took first.
    const imported = await postImport(ctx, mallory, 'import-csv', { project_id: 'RFX', existing: 'fail' }, csv(HEADER, 'ep07,sq0010,sh0010,comp,mallory,,,,,,,'));
    expect(imported.body).toMatchObject({ created_tasks: 1, updated_tasks: 0, invalid_tasks: 0 });
    await api(admin).post('/tasks', newTask('SWA', 'sh0040')).expect(201);
    expect((await ctx.taskDoc('SWA', TAKEN).get()).data()).toMatchObject({ id: TAKEN, project_id: 'SWA', artist: 'swa-secret-artist' });
    expect((await ctx.taskDoc('RFX', TAKEN).get()).data()).toMatchObject({ id: TAKEN, project_id: 'RFX', artist: 'mallory' });
    // Mallory's own id is now unambiguous for them: only RFX is theirs.
    expect((await api(mallory).get(`/tasks/${TAKEN}`).expect(200)).body).toMatchObject({ id: TAKEN, project_id: 'RFX', artist: 'mallory' });
  });
});

describe('the same id in two projects is two tasks', () => {
  const ID = idOf('sh0500');

  it('each project creates, reads, changes and archives its own; without project_id a member of both gets 409', async () => {
    const swa = await api(lead).post('/tasks', newTask('SWA', 'sh0500', { artist: 'ana' })).expect(201);
    const rfx = await api(lead).post('/tasks', newTask('RFX', 'sh0500', { artist: 'ben' })).expect(201);
    expect([swa.body.id, rfx.body.id, swa.headers.location, rfx.headers.location]).toEqual([ID, ID, `/api/v1/tasks/${ID}`, `/api/v1/tasks/${ID}`]);
    expect(expectEnvelope((await api(lead).post('/tasks', newTask('SWA', 'sh0500')).expect(409)).body, 'CONFLICT').message).toBe(`Task ${ID} already exists in project SWA`);

    const ambiguity = `Task ${ID} exists in 2 of your projects (RFX, SWA); give project_id to choose one`;
    for (const res of [
      await api(lead).get(`/tasks/${ID}`),
      await api(lead).patch(`/tasks/${ID}`, { status: 'on_hold' }),
      await api(lead).delete(`/tasks/${ID}`),
      await api(lead).get(`/tasks/${ID}/history`),
      await api(lead).post(`/tasks/${ID}/add-field`, { shot_notes: 'x' }),
    ]) {
      expect(res.status).toBe(409);
      expect(expectEnvelope(res.body, 'CONFLICT')).toMatchObject({ message: ambiguity, details: { field: 'project_id', issue: 'ambiguous', project_ids: ['RFX', 'SWA'] } });
    }

    expect((await api(lead).get(`/tasks/${ID}?project_id=SWA`).expect(200)).body).toMatchObject({ id: ID, project_id: 'SWA', artist: 'ana' });
    expect((await api(lead).get(`/tasks/${ID}?project_id=RFX`).expect(200)).body).toMatchObject({ id: ID, project_id: 'RFX', artist: 'ben' });
    expect((await api(lead).patch(`/tasks/${ID}?project_id=SWA`, { artist: 'cleo' }).expect(200)).body).toMatchObject({ id: ID, project_id: 'SWA', artist: 'cleo' });
    expect((await api(lead).post(`/tasks/${ID}/add-field?project_id=RFX`, { shot_notes: 'rfx only' }).expect(200)).body).toMatchObject({ id: ID, shot_notes: 'rfx only' });
    expect((await api(lead).delete(`/tasks/${ID}?project_id=RFX`).expect(200)).body).toMatchObject({ id: ID, project_id: 'RFX', status: 'archived' });
    expect((await ctx.taskDoc('SWA', ID).get()).data()).toMatchObject({ artist: 'cleo', status: 'not_started' });
    expect((await ctx.taskDoc('SWA', ID).get()).get('shot_notes')).toBeUndefined();
    expect((await ctx.taskDoc('RFX', ID).get()).data()).toMatchObject({ artist: 'ben', status: 'archived', shot_notes: 'rfx only' });

    // A member of only one of the projects needs no project_id; naming one they cannot read is a 404.
    expect((await api(mallory).get(`/tasks/${ID}`).expect(200)).body).toMatchObject({ project_id: 'RFX' });
    expect(expectEnvelope((await api(mallory).get(`/tasks/${ID}?project_id=SWA`).expect(404)).body, 'NOT_FOUND').message).toBe(`Task ${ID} not found`);
  });

  it('bulk updates resolve each id within project_id, and report an ambiguous one per item', async () => {
    const bulkId = idOf('sh0510');
    for (const project of ['SWA', 'RFX']) await api(lead).post('/tasks', newTask(project, 'sh0510')).expect(201);
    const ambiguous = await api(lead).patch('/tasks/bulk-update', [{ task_id: bulkId, updates: { artist: 'dan' } }]).expect(200);
    expect(ambiguous.body).toMatchObject({ updated_count: 0, errors: [{ task_id: bulkId, error: `Task ${bulkId} exists in 2 of your projects (RFX, SWA); give project_id to choose one` }] });
    const picked = await api(lead).patch('/tasks/bulk-update?project_id=RFX', [{ task_id: bulkId, updates: { artist: 'dan' } }]).expect(200);
    expect(picked.body).toMatchObject({ updated_count: 1, updated_tasks: [bulkId], errors: [] });
    const legacy = await api(lead).post('/tasks/bulk?project_id=SWA', { task_ids: [bulkId], operation: 'assign_artist', data: { artist: 'eve' } }).expect(200);
    expect(legacy.body).toMatchObject({ successful: 1, updated_tasks: [bulkId] });
    expect([(await ctx.taskDoc('SWA', bulkId).get()).get('artist'), (await ctx.taskDoc('RFX', bulkId).get()).get('artist')]).toEqual(['eve', 'dan']);
  });

  it('the 409 names only the projects the caller belongs to', async () => {
    const everywhere = idOf('sh0520');
    for (const project of ['SWA', 'RFX', 'OTHER']) await api(admin).post('/tasks', newTask(project, 'sh0520')).expect(201);
    const res = await api(lead).get(`/tasks/${everywhere}`).expect(409);
    expect(expectEnvelope(res.body, 'CONFLICT').details).toMatchObject({ project_ids: ['RFX', 'SWA'] });
    expect(JSON.stringify(res.body)).not.toContain('OTHER');
    // A global admin sees every project.
    expect(expectEnvelope((await api(admin).get(`/tasks/${everywhere}`).expect(409)).body, 'CONFLICT').details).toMatchObject({ project_ids: ['OTHER', 'RFX', 'SWA'] });
  });

  it('imports and dry runs of one project never touch or count the other project\'s task of the same id', async () => {
    const importId = idOf('sh0530');
    await api(lead).post('/tasks', newTask('SWA', 'sh0530', { artist: 'ana' })).expect(201);
    const row = csv(HEADER, 'ep07,sq0010,sh0530,comp,zed,,,,,,,');
    const dry = await postImport(ctx, lead, 'import-csv', { project_id: 'RFX', validate_only: 'true', existing: 'fail' }, row);
    expect(dry.body).toMatchObject({ invalid_tasks: 0, actions: { create: 1, update: 0, skip: 0 } });
    const written = await postImport(ctx, lead, 'import-csv', { project_id: 'RFX', existing: 'fail' }, row);
    expect(written.body).toMatchObject({ created_tasks: 1, invalid_tasks: 0 });
    const again = await postImport(ctx, lead, 'import-csv', { project_id: 'SWA', validate_only: 'true', existing: 'update' }, row);
    expect(again.body).toMatchObject({ actions: { create: 0, update: 1, skip: 0 } });
    expect([(await ctx.taskDoc('SWA', importId).get()).get('artist'), (await ctx.taskDoc('RFX', importId).get()).get('artist')]).toEqual(['ana', 'zed']);
  });

  it('media upload to each project stores two files under two ids', async () => {
    const mediaTask = idOf('sh0540');
    for (const project of ['SWA', 'RFX']) await api(lead).post('/tasks', newTask(project, 'sh0540')).expect(201);
    const body = { task_id: mediaTask, file_name: 'comp_v001.exr', file_size: 10 };
    expect(expectEnvelope((await api(lead).post('/media/upload-url', body).expect(409)).body, 'CONFLICT').message).toBe(
      `Task ${mediaTask} exists in 2 of your projects (RFX, SWA); give project_id to choose one`,
    );
    const swa = await api(lead).post('/media/upload-url', { ...body, project_id: 'SWA' }).expect(201);
    const rfx = ctx
      .http()
      .post('/api/v1/media')
      .set('Authorization', lead.bearer)
      .field('task_id', mediaTask)
      .field('project_id', 'RFX')
      .attach('file', Buffer.from('exr bytes'), 'comp_v001.exr');
    const inline = await rfx.expect(201);
    expect(swa.body.media).toMatchObject({ project_id: 'SWA', linked_task_id: mediaTask, storage_key: `media/SWA/${mediaTask}/v001/comp_v001.exr` });
    expect(inline.body).toMatchObject({ project_id: 'RFX', linked_task_id: mediaTask, storage_key: `media/RFX/${mediaTask}/v001/comp_v001.exr` });
    expect(swa.body.media.id).not.toBe(inline.body.id);
  });
});
