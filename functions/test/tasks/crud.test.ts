import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';
import { SWA_CONFIG } from './fixture.js';

const ctx = createTestContext('tasks-crud');
let admin: TestUser;
let writer: TestUser;
let reader: TestUser;
let outsider: TestUser;

beforeAll(async () => {
  await ctx.seedProject('SWA', SWA_CONFIG);
  await ctx.seedProject('OLD', { ...SWA_CONFIG, status: 'archived' });
  [admin, writer, reader, outsider] = await Promise.all([
    ctx.createUser({ admin: true, name: 'admin' }),
    ctx.createUser({ name: 'writer' }),
    ctx.createUser({ name: 'reader' }),
    ctx.createUser({ name: 'outsider' }),
  ]);
  await ctx.addMember('SWA', writer, ['write']);
  await ctx.addMember('OLD', writer, ['write']);
  await ctx.addMember('SWA', reader, ['read']);
});

const api = ctx.as;

describe('POST /tasks', () => {
  it('creates a task with the spec id, normalised names, defaults, actor and server timestamps', async () => {
    const res = await api(writer).post('/tasks', { project_id: 'SWA', episode: 'ep00', sequence: 'SQ0010', shot: 'sh0020', task: 'Comp', frame_range: { start: 1001, end: 1153 }, estimated_duration_hours: 24 }).expect(201);
    expect(res.headers.location).toBe('/api/v1/tasks/ep00_sq0010_sh0020_comp');
    expect(res.headers.etag).toMatch(/^"\d+\.\d{9}"$/);
    const { created_at, updated_at, ...task } = res.body;
    expect(task).toEqual({
      id: 'ep00_sq0010_sh0020_comp', project: 'SWA', project_id: 'SWA', type: 'shot', episode: 'Ep00', sequence: 'sq0010', shot: 'SH0020', task: 'comp',
      artist: 'Unassigned', status: 'not_started', priority: 'medium', milestone: 'not_started', milestone_note: '', frame_range: { start: 1001, end: 1153 },
      start_time: null, deadline: null, estimated_duration_hours: 24, actual_time_logged: 0, versions: [], current_version: 'v001', published_version: 'v000',
      file_extension: '', master_file: true, working_file_path: '', render_output_path: '', media_file_path: '', cache_file_path: '', filename: '',
      sequence_clean: '', shot_clean: '', episode_clean: '', client_submission_history: [], depends_on: [], blocked_by: [], blocked: false, ready: true,
      created_by: writer.uid, updated_by: writer.uid, bulk_id: null,
    });
    expect(created_at).toBe(updated_at);
    expect(Date.now() - Date.parse(created_at)).toBeLessThan(60_000);
    const stored = (await ctx.taskDoc('SWA', 'ep00_sq0010_sh0020_comp').get()).data()!;
    expect([stored.episode_key, stored.shot_key, stored.priority_rank, stored.archived]).toEqual(['ep00', 'sh0020', 1, false]);
  });

  it('answers 409 for a duplicate id, whatever case the names came in', async () => {
    const res = await api(writer).post('/tasks', { project_id: 'SWA', episode: 'EP00', sequence: 'sq0010', shot: 'SH0020', task: 'comp' }).expect(409);
    expect(expectEnvelope(res.body, 'CONFLICT').message).toBe('Task ep00_sq0010_sh0020_comp already exists in project SWA');
  });

  it('lists every problem of the input, each with its field', async () => {
    const res = await api(writer).post('/tasks', { project_id: 'SWA', episode: 'Ep 1', sequence: 'sq1', shot: 'SH1', task: 'paint', priority: 'asap', frame_range: { start: 10, end: 1 }, deadline: 'tomorrow', current_version: 'v1' }).expect(400);
    const error = expectEnvelope(res.body, 'VALIDATION_ERROR');
    expect((error.details as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['episode', 'frame_range', 'deadline', 'current_version', 'task', 'priority']);
    expect(error.message).toContain("task: 'paint' is not one of the project's task_types");
  });

  it('refuses unknown fields and a body without a project', async () => {
    const res = await api(writer).post('/tasks', { episode: 'Ep00', sequence: 'sq1', shot: 'SH1', task: 'comp', colour: 'red' }).expect(400);
    const fields = (expectEnvelope(res.body, 'VALIDATION_ERROR').details as { errors: { field: string; issue: string }[] }).errors;
    expect(fields).toEqual([{ field: 'colour', issue: 'Unknown field' }, { field: 'project_id', issue: 'project_id is required' }]);
    expect(expectEnvelope((await api(writer).post('/tasks', [1]).expect(400)).body, 'VALIDATION_ERROR').message).toBe('Request body must be a JSON object');
  });

  it('refuses new tasks in an archived project with 422', async () => {
    const res = await api(writer).post('/tasks', { project_id: 'OLD', episode: 'Ep00', sequence: 'sq1', shot: 'SH1', task: 'comp' }).expect(422);
    expect(expectEnvelope(res.body, 'UNPROCESSABLE').message).toBe('Project OLD is archived; it takes no new tasks');
  });

  it('checks permissions: readers 403, outsiders and unknown projects 404', async () => {
    const body = { project_id: 'SWA', episode: 'Ep09', sequence: 'sq1', shot: 'SH1', task: 'comp' };
    expect(expectEnvelope((await api(reader).post('/tasks', body).expect(403)).body, 'PERMISSION_DENIED').message).toBe("This needs 'write' permission on project SWA");
    expect(expectEnvelope((await api(outsider).post('/tasks', body).expect(404)).body, 'NOT_FOUND').message).toBe('Project SWA not found');
    expect(expectEnvelope((await api(admin).post('/tasks', { ...body, project_id: 'NOPE' }).expect(404)).body, 'NOT_FOUND').message).toBe('Project NOPE not found');
    expect(await ctx.taskDoc('SWA', 'ep09_sq1_sh1_comp').get().then((s) => s.exists)).toBe(false);
  });

  it('takes an explicit id', async () => {
    const res = await api(admin).post('/tasks', { id: 'hero_asset_model', project: 'SWA', type: 'asset', episode: 'Ep00', sequence: 'assets', shot: 'Hero', task: 'modeling' }).expect(201);
    expect([res.body.id, res.body.project_id, res.body.type, res.body.created_by]).toEqual(['hero_asset_model', 'SWA', 'asset', admin.uid]);
  });
});

describe('GET /tasks/{task_id}', () => {
  it('returns the task with its ETag to members only', async () => {
    const res = await api(reader).get('/tasks/ep00_sq0010_sh0020_comp').expect(200);
    expect([res.body.id, res.body.episode]).toEqual(['ep00_sq0010_sh0020_comp', 'Ep00']);
    expect(res.headers.etag).toMatch(/^"\d+\.\d{9}"$/);
    expect(expectEnvelope((await api(outsider).get('/tasks/ep00_sq0010_sh0020_comp').expect(404)).body, 'NOT_FOUND').message).toBe('Task ep00_sq0010_sh0020_comp not found');
    expect(expectEnvelope((await api(admin).get('/tasks/nope').expect(404)).body, 'NOT_FOUND').message).toBe('Task nope not found');
    expectEnvelope((await api(admin).get('/tasks/a..b').expect(400)).body, 'VALIDATION_ERROR');
  });
});

describe('PATCH /tasks/{task_id}', () => {
  const path = '/tasks/ep00_sq0010_sh0020_comp';

  it('changes fields, normalising config values, and records who and when', async () => {
    const before = await api(writer).get(path);
    const res = await api(writer).patch(path, { status: 'in_progress', priority: 'URGENT', artist: 'john_doe', deadline: '2025-10-01' }).expect(200);
    expect(res.body).toMatchObject({ status: 'in_progress', priority: 'urgent', artist: 'john_doe', deadline: '2025-10-01', updated_by: writer.uid, created_at: before.body.created_at });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(before.body.updated_at));
    expect(res.headers.etag).not.toBe(before.headers.etag);
    const stored = (await ctx.taskDoc('SWA', 'ep00_sq0010_sh0020_comp').get()).data()!;
    expect([stored.priority_rank, stored.artist_key, stored.deadline_key]).toEqual([3, 'john_doe', '2025-10-01T00:00:00.000Z']);
  });

  it('honours If-Match: 200 with the current ETag, 412 with a stale one, 400 with a malformed one', async () => {
    const current = (await api(writer).get(path)).headers.etag as string;
    const ok = await api(writer).patch(path, { milestone_note: 'first' }, current).expect(200);
    const stale = await api(writer).patch(path, { milestone_note: 'second' }, current).expect(412);
    expect(expectEnvelope(stale.body, 'PRECONDITION_FAILED').message).toContain('reload it and retry');
    expect((await api(writer).get(path)).body.milestone_note).toBe('first');
    await api(writer).patch(path, { milestone_note: 'third' }, ok.headers.etag as string).expect(200);
    expectEnvelope((await api(writer).patch(path, { milestone_note: 'x' }, 'yesterday').expect(400)).body, 'VALIDATION_ERROR');
  });

  it('refuses identity, unknown and invalid fields, naming each', async () => {
    const res = await api(writer).patch(path, { shot: 'SH0030', stauts: 'done', frame_range: { start: 5, end: 2 } }).expect(400);
    const errors = (expectEnvelope(res.body, 'VALIDATION_ERROR').details as { errors: { field: string }[] }).errors;
    expect(errors.map((e) => e.field)).toEqual(['shot', 'stauts', 'frame_range']);
  });

  it('lets readers read but not write, and hides the task from outsiders', async () => {
    expectEnvelope((await api(reader).patch(path, { status: 'approved' }).expect(403)).body, 'PERMISSION_DENIED');
    expectEnvelope((await api(outsider).patch(path, { status: 'approved' }).expect(404)).body, 'NOT_FOUND');
    expect((await api(writer).get(path)).body.status).toBe('in_progress');
  });
});

describe('POST /tasks/{task_id}/add-field', () => {
  const path = '/tasks/ep00_sq0010_sh0020_comp';

  it('adds custom fields, which PATCH can then change', async () => {
    const res = await api(writer).post(`${path}/add-field`, { frontend_metadata: { ui_color: '#ff6b6b', priority_weight: 5 }, custom_notes: 'Updated from frontend', workflow_status: 'pending_review' }).expect(200);
    expect(res.body).toMatchObject({ frontend_metadata: { ui_color: '#ff6b6b', priority_weight: 5 }, custom_notes: 'Updated from frontend', workflow_status: 'pending_review', updated_by: writer.uid });
    expect((await api(writer).patch(path, { custom_notes: 'changed' }).expect(200)).body.custom_notes).toBe('changed');
  });

  it("refuses the task's own and reserved names (400) and fields it already has (409), naming them", async () => {
    const own = await api(writer).post(`${path}/add-field`, { status: 'x', search_tokens: 'y', fine_name: 1 }).expect(400);
    const errors = (expectEnvelope(own.body, 'VALIDATION_ERROR').details as { errors: { field: string; issue: string }[] }).errors;
    expect(errors).toEqual([
      { field: 'status', issue: 'status is a task field or reserved; custom fields need another name' },
      { field: 'search_tokens', issue: 'search_tokens is a task field or reserved; custom fields need another name' },
    ]);
    const taken = await api(writer).post(`${path}/add-field`, { custom_notes: 'again' }).expect(409);
    expect(expectEnvelope(taken.body, 'CONFLICT').message).toBe('Task ep00_sq0010_sh0020_comp already has field(s) custom_notes; change them with PATCH');
    const badName = await api(writer).post(`${path}/add-field`, { 'a.b': 1 }).expect(400);
    expect(expectEnvelope(badName.body, 'VALIDATION_ERROR').message).toContain('Field names start with a letter');
    expectEnvelope((await api(writer).post(`${path}/add-field`, { grid: [[1, 2]] }).expect(400)).body, 'VALIDATION_ERROR');
    expectEnvelope((await api(writer).post(`${path}/add-field`, {}).expect(400)).body, 'VALIDATION_ERROR');
    expectEnvelope((await api(reader).post(`${path}/add-field`, { other: 1 }).expect(403)).body, 'PERMISSION_DENIED');
    expect((await api(writer).get(path)).body.fine_name).toBeUndefined();
  });
});

describe('DELETE /tasks/{task_id}', () => {
  it('archives: still readable by id, hidden from lists unless include_archived=true', async () => {
    const created = await api(writer).post('/tasks', { project_id: 'SWA', episode: 'Ep05', sequence: 'sq0010', shot: 'SH0010', task: 'fx' }).expect(201);
    const id = created.body.id as string;
    const res = await api(writer).delete(`/tasks/${id}`).expect(200);
    expect([res.body.status, res.body.updated_by]).toEqual(['archived', writer.uid]);
    expect((await api(writer).get(`/tasks/${id}`).expect(200)).body.status).toBe('archived');
    const listed = async (q: string) => ((await api(writer).get(`/tasks?project_id=SWA&episode=ep05${q}`).expect(200)).body.items as { id: string }[]).map((t) => t.id);
    expect(await listed('')).toEqual([]);
    expect(await listed('&include_archived=true')).toEqual([id]);
    await api(writer).delete(`/tasks/${id}`).expect(200);
    expect((await api(writer).patch(`/tasks/${id}`, { status: 'on_hold' }).expect(200)).body.status).toBe('on_hold');
    expect(await listed('')).toEqual([id]);
    expectEnvelope((await api(reader).delete(`/tasks/${id}`).expect(403)).body, 'PERMISSION_DENIED');
  });
});

describe('task routes in the OpenAPI document', () => {
  it('documents every task endpoint with its body', async () => {
    const doc = (await ctx.http().get('/api/v1/openapi.json').expect(200)).body as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>> };
    const ops = Object.entries(doc.paths).filter(([p]) => p.startsWith('/api/v1/tasks')).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`));
    expect(ops).toEqual(expect.arrayContaining([
      'GET /api/v1/tasks', 'POST /api/v1/tasks', 'PATCH /api/v1/tasks/bulk-update', 'POST /api/v1/tasks/bulk',
      'GET /api/v1/tasks/{task_id}', 'PATCH /api/v1/tasks/{task_id}', 'DELETE /api/v1/tasks/{task_id}', 'POST /api/v1/tasks/{task_id}/add-field',
    ]));
    const create = doc.paths['/api/v1/tasks']!.post!.requestBody!.content['application/json']!.schema;
    expect((create.required as string[]).sort()).toEqual(['episode', 'sequence', 'shot', 'task']);
    expect(doc.paths['/api/v1/tasks/bulk-update']!.patch!.requestBody!.content['application/json']!.schema.anyOf).toHaveLength(2);
  });
});
