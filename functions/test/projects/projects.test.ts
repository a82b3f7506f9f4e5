import { beforeAll, describe, expect, it } from 'vitest';
import { SWA_PROJECT } from '../support/swa.js';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';

const ctx = createTestContext('projects');
let admin: TestUser;
let supervisor: TestUser;
let artist: TestUser;
let outsider: TestUser;

const api = '/api/v1';
const spec = { ...SWA_PROJECT, task_types: [...SWA_PROJECT.task_types], milestones: [...SWA_PROJECT.milestones], priority_levels: [...SWA_PROJECT.priority_levels] };

function createProject(body: Record<string, unknown>, user = admin) {
  return ctx.http().post(`${api}/projects`).set('Authorization', user.bearer).send(body);
}

beforeAll(async () => {
  [admin, supervisor, artist, outsider] = await Promise.all([
    ctx.createUser({ admin: true, name: 'admin' }),
    ctx.createUser({ name: 'supervisor' }),
    ctx.createUser({ name: 'artist' }),
    ctx.createUser({ name: 'outsider' }),
  ]);
  await createProject(spec).expect(201);
  await ctx.addMember('SWA', supervisor, ['admin']);
  await ctx.addMember('SWA', artist, ['write']);
});

describe('POST /projects', () => {
  it("stores the spec's SWA configuration and makes the creator its admin", async () => {
    const res = await ctx.http().get(`${api}/projects/SWA`).set('Authorization', admin.bearer).expect(200);
    const { created_at, updated_at, created_by, updated_by, ...fields } = res.body;
    expect(fields).toEqual({ ...spec, dependency_done_statuses: ['approved', 'completed'] });
    expect([created_by, updated_by]).toEqual([admin.uid, admin.uid]);
    expect(new Date(created_at).toISOString()).toBe(created_at);
    expect(res.headers.etag).toMatch(/^"\d+\.\d{9}"$/);
    const member = await ctx.db.doc(`projects/SWA/members/${admin.uid}`).get();
    expect(member.data()).toMatchObject({ uid: admin.uid, project_id: 'SWA', email: admin.email, permissions: ['read', 'write', 'review', 'admin'], added_by: admin.uid, updated_by: admin.uid });
  });

  it('answers 201 with the project, its ETag and Location, filling list defaults', async () => {
    const res = await createProject({ id: 'MINI', name: 'Mini' }).expect(201);
    expect(res.headers.location).toBe('/api/v1/projects/MINI');
    expect(res.headers.etag).toMatch(/^"\d+\.\d{9}"$/);
    expect(res.body).toMatchObject({
      id: 'MINI',
      name: 'Mini',
      description: '',
      status: 'active',
      drive_mapping: {},
      path_segments: {},
      templates: {},
      filename_patterns: {},
      task_types: spec.task_types,
      milestones: spec.milestones,
      priority_levels: spec.priority_levels,
    });
    expect(res.body.search_tokens).toBeUndefined();
    expect(res.body.id_key).toBeUndefined();
  });

  it('refuses a duplicate id in any letter case with 409', async () => {
    expect(expectEnvelope((await createProject(spec).expect(409)).body, 'CONFLICT').message).toBe('Project SWA already exists (project ids are unique in any letter case)');
    expectEnvelope((await createProject({ ...spec, id: 'swa' }).expect(409)).body, 'CONFLICT');
  });

  it('is for global admins only', async () => {
    const res = await createProject({ id: 'NOPE', name: 'x' }, supervisor).expect(403);
    expect(expectEnvelope(res.body, 'PERMISSION_DENIED').message).toBe('Only global admins may create projects');
    await ctx.http().post(`${api}/projects`).send({ id: 'NOPE', name: 'x' }).expect(401);
    expect((await ctx.db.doc('projects/NOPE').get()).exists).toBe(false);
  });

  it('names an unknown placeholder and the field it is in', async () => {
    const res = await createProject({ ...spec, id: 'BADTPL', templates: { working_file: '{drive_working}/{project}/{sequnce_clean}/{filename}' } }).expect(400);
    const error = expectEnvelope(res.body, 'VALIDATION_ERROR');
    expect(error.message).toBe('Invalid project configuration: templates.working_file: Unknown placeholder {sequnce_clean}');
    expect(error.details).toEqual({
      field: 'templates.working_file',
      issue: 'Unknown placeholder {sequnce_clean}',
      errors: [{ field: 'templates.working_file', issue: 'Unknown placeholder {sequnce_clean}' }],
    });
    expect((await ctx.db.doc('projects/BADTPL').get()).exists).toBe(false);
  });

  it('checks the shapes: id format, unknown fields, nested maps, list entries', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ id: 'bad id', name: 'x' }, 'id'],
      [{ id: 'OK1', name: 'x', budget: 3 }, 'body'],
      [{ id: 'OK1', name: 'x', drive_mapping: { working: 'V:' } }, 'drive_mapping'],
      [{ id: 'OK1', name: 'x', templates: { 'Working File': '{project}' } }, 'templates.Working File'],
      [{ id: 'OK1', name: 'x', path_segments: { up: '../x' } }, 'path_segments.up'],
      [{ id: 'OK1', name: 'x', task_types: ['comp', 'COMP'] }, 'task_types'],
      [{ id: 'OK1', name: '' }, 'name'],
    ];
    for (const [body, field] of cases) {
      const res = await createProject(body).expect(400);
      const fields = (expectEnvelope(res.body, 'VALIDATION_ERROR').details as { errors: { field: string }[] }).errors.map((e) => e.field);
      expect(fields).toContain(field);
    }
  });
});

describe('GET /projects/{id}', () => {
  it('is readable by members, and does not exist for anyone else', async () => {
    await ctx.http().get(`${api}/projects/SWA`).set('Authorization', artist.bearer).expect(200);
    const res = await ctx.http().get(`${api}/projects/SWA`).set('Authorization', outsider.bearer).expect(404);
    expect(expectEnvelope(res.body, 'NOT_FOUND').message).toBe('Project SWA not found');
    expect(expectEnvelope((await ctx.http().get(`${api}/projects/NOPE`).set('Authorization', admin.bearer).expect(404)).body, 'NOT_FOUND').message).toBe('Project NOPE not found');
    await ctx.http().get(`${api}/projects/SWA`).expect(401);
  });
});

describe('PATCH /projects/{id}', () => {
  it('merges nested maps key by key, removes keys set to null, and replaces lists', async () => {
    await createProject({ ...spec, id: 'MERGE' }).expect(201);
    await ctx.addMember('MERGE', supervisor, ['admin']);
    const res = await ctx
      .http()
      .patch(`${api}/projects/MERGE`)
      .set('Authorization', supervisor.bearer)
      .send({
        drive_mapping: { working_files: '/mnt/work' },
        templates: { media_file: null, cache_file: '{drive_cache}/{project}/{cache_dir}/{episode}/{shot_clean}/' },
        filename_patterns: { nuke_script: null },
        task_types: ['comp', 'fx'],
        description: 'Renamed',
      })
      .expect(200);
    expect(res.body.drive_mapping).toEqual({ ...spec.drive_mapping, working_files: '/mnt/work' });
    expect(res.body.templates).toEqual({ working_file: spec.templates.working_file, render_output: spec.templates.render_output, cache_file: '{drive_cache}/{project}/{cache_dir}/{episode}/{shot_clean}/' });
    expect(res.body.filename_patterns).toEqual({ maya_scene: spec.filename_patterns.maya_scene, render_sequence: spec.filename_patterns.render_sequence });
    expect(res.body.path_segments).toEqual(spec.path_segments);
    expect(res.body.task_types).toEqual(['comp', 'fx']);
    expect(res.body.milestones).toEqual(spec.milestones);
    expect(res.body).toMatchObject({ name: spec.name, description: 'Renamed', updated_by: supervisor.uid });
    expect(res.headers.etag).toMatch(/^"\d+\.\d{9}"$/);
  });

  it('validates the merged configuration as a whole', async () => {
    await createProject({ ...spec, id: 'MERGE2' }).expect(201);
    const res = await ctx.http().patch(`${api}/projects/MERGE2`).set('Authorization', admin.bearer).send({ drive_mapping: { media_files: null } }).expect(400);
    expect(expectEnvelope(res.body, 'VALIDATION_ERROR').details).toMatchObject({ field: 'templates.media_file', issue: '{drive_media} needs drive_mapping.media_files, which is not set' });
    const pattern = await ctx.http().patch(`${api}/projects/MERGE2`).set('Authorization', admin.bearer).send({ filename_patterns: { maya_scene: '{episode}_{shto}.ma' } }).expect(400);
    expect(expectEnvelope(pattern.body, 'VALIDATION_ERROR').message).toContain('filename_patterns.maya_scene: Unknown placeholder {shto}');
    const stored = await ctx.db.doc('projects/MERGE2').get();
    expect(stored.get('drive_mapping')).toEqual(spec.drive_mapping);
  });

  it('refuses a stale If-Match with 412 and accepts the current one', async () => {
    const current = await ctx.http().get(`${api}/projects/SWA`).set('Authorization', supervisor.bearer).expect(200);
    await ctx.http().patch(`${api}/projects/SWA`).set('Authorization', supervisor.bearer).set('If-Match', current.headers.etag!).send({ description: spec.description }).expect(200);
    const stale = await ctx.http().patch(`${api}/projects/SWA`).set('Authorization', supervisor.bearer).set('If-Match', current.headers.etag!).send({ description: 'late' }).expect(412);
    expectEnvelope(stale.body, 'PRECONDITION_FAILED');
    expect((await ctx.db.doc('projects/SWA').get()).get('description')).toBe(spec.description);
  });

  it('needs project admin, at least one field, and no id change', async () => {
    const denied = await ctx.http().patch(`${api}/projects/SWA`).set('Authorization', artist.bearer).send({ name: 'x' }).expect(403);
    expect(expectEnvelope(denied.body, 'PERMISSION_DENIED').message).toBe("This needs 'admin' permission on project SWA");
    await ctx.http().patch(`${api}/projects/SWA`).set('Authorization', outsider.bearer).send({ name: 'x' }).expect(404);
    expect(expectEnvelope((await ctx.http().patch(`${api}/projects/SWA`).set('Authorization', admin.bearer).send({}).expect(400)).body, 'VALIDATION_ERROR').message).toContain(
      'Give at least one field to change',
    );
    expect(expectEnvelope((await ctx.http().patch(`${api}/projects/SWA`).set('Authorization', admin.bearer).send({ id: 'X' }).expect(400)).body, 'VALIDATION_ERROR').message).toContain(
      'Unknown field(s): id',
    );
  });
});

describe('DELETE /projects/{id}', () => {
  it('archives: the project stays readable, lists hide it, and PATCH status active restores it', async () => {
    await createProject({ ...spec, id: 'OLD', name: 'Old Show' }).expect(201);
    const res = await ctx.http().delete(`${api}/projects/OLD`).set('Authorization', admin.bearer).expect(200);
    expect(res.body).toMatchObject({ id: 'OLD', status: 'archived', archived_by: admin.uid });
    expect(res.body.archived_at).toEqual(expect.any(String));
    await ctx.http().get(`${api}/projects/OLD`).set('Authorization', admin.bearer).expect(200);
    const listed = await ctx.http().get(`${api}/projects`).query({ search: 'old show' }).set('Authorization', admin.bearer).expect(200);
    expect(listed.body.items).toEqual([]);
    const withArchived = await ctx.http().get(`${api}/projects`).query({ search: 'old show', include_archived: 'true' }).set('Authorization', admin.bearer).expect(200);
    expect(withArchived.body.items.map((p: { id: string }) => p.id)).toEqual(['OLD']);
    const dirs = await ctx.http().post(`${api}/projects/OLD/directory-structure`).set('Authorization', admin.bearer).send({ episodes: ['ep01'] }).expect(422);
    expect(expectEnvelope(dirs.body, 'UNPROCESSABLE').message).toBe('Project OLD is archived; it takes no new directories');
    const restored = await ctx.http().patch(`${api}/projects/OLD`).set('Authorization', admin.bearer).send({ status: 'active' }).expect(200);
    expect(restored.body.status).toBe('active');
    expect(restored.body.archived_at).toBeUndefined();
  });

  it('needs project admin', async () => {
    await ctx.http().delete(`${api}/projects/SWA`).set('Authorization', artist.bearer).expect(403);
    await ctx.http().delete(`${api}/projects/SWA`).set('Authorization', outsider.bearer).expect(404);
    expect((await ctx.db.doc('projects/SWA').get()).get('status')).toBe('active');
  });
});

describe('POST /projects/{id}/directory-structure', () => {
  it("plans the spec workflow's folders and records a pending directory operation", async () => {
    const res = await ctx
      .http()
      .post(`${api}/projects/SWA/directory-structure`)
      .set('Authorization', artist.bearer)
      .send({ episodes: ['ep01', 'ep02'], sequences: ['sq010', 'sq020', 'sq030'], task_types: spec.task_types, templates: ['working_file'] })
      .expect(201);
    expect(res.body).toMatchObject({
      project_id: 'SWA',
      operation: 'create_structure',
      status: 'pending',
      directory_count: 11,
      directories: [
        'V:/SWA',
        'V:/SWA/all',
        'V:/SWA/all/scene',
        'V:/SWA/all/scene/ep01',
        'V:/SWA/all/scene/ep01/sq010',
        'V:/SWA/all/scene/ep01/sq020',
        'V:/SWA/all/scene/ep01/sq030',
        'V:/SWA/all/scene/ep02',
        'V:/SWA/all/scene/ep02/sq010',
        'V:/SWA/all/scene/ep02/sq020',
        'V:/SWA/all/scene/ep02/sq030',
      ],
      created_by: artist.uid,
      request: { episodes: ['ep01', 'ep02'], sequences: ['sq010', 'sq020', 'sq030'], shots: [], task_types: spec.task_types, templates: ['working_file'] },
    });
    const stored = await ctx.db.collection('directory_operations').doc(res.body.id).get();
    expect(stored.get('directory_count')).toBe(11);
    expect(stored.get('project_id')).toBe('SWA');
  });

  it('goes down to task folders when shots are given, in the project spelling of task types', async () => {
    const res = await ctx
      .http()
      .post(`${api}/projects/SWA/directory-structure`)
      .set('Authorization', admin.bearer)
      .send({ episodes: ['ep01'], sequences: ['SQ010'], shots: ['SH020'], task_types: ['Lighting'], templates: ['working_file', 'render_output'], version: 'v002' })
      .expect(201);
    expect(res.body.directories.filter((d: string) => d.includes('lighting'))).toEqual([
      'V:/SWA/all/scene/ep01/sq010/sh020/lighting',
      'V:/SWA/all/scene/ep01/sq010/sh020/lighting/version',
      'W:/SWA/all/scene/ep01/sq010/sh020/lighting',
      'W:/SWA/all/scene/ep01/sq010/sh020/lighting/version',
      'W:/SWA/all/scene/ep01/sq010/sh020/lighting/version/v002',
    ]);
  });

  it('refuses unknown task types and templates, too many directories, and readers', async () => {
    const types = await ctx.http().post(`${api}/projects/SWA/directory-structure`).set('Authorization', admin.bearer).send({ episodes: ['ep01'], task_types: ['painting'] }).expect(422);
    expect(expectEnvelope(types.body, 'UNPROCESSABLE').message).toBe(`Not task types of project SWA: painting (it has ${spec.task_types.join(', ')})`);
    const templates = await ctx.http().post(`${api}/projects/SWA/directory-structure`).set('Authorization', admin.bearer).send({ episodes: ['ep01'], templates: ['cache_file'] }).expect(422);
    expect(expectEnvelope(templates.body, 'UNPROCESSABLE').details).toEqual({ field: 'templates', issue: 'unknown', available: ['working_file', 'render_output', 'media_file'] });
    const many = Array.from({ length: 100 }, (_, i) => `s${i}`);
    const huge = await ctx.http().post(`${api}/projects/SWA/directory-structure`).set('Authorization', admin.bearer).send({ episodes: ['ep01'], sequences: many, shots: many, templates: ['working_file'] }).expect(422);
    expect(expectEnvelope(huge.body, 'UNPROCESSABLE').message).toBe('Template working_file alone would plan 80000 directories; at most 5000 per request');
    const reader = await ctx.createUser({ name: 'reader' });
    await ctx.addMember('SWA', reader, ['read']);
    await ctx.http().post(`${api}/projects/SWA/directory-structure`).set('Authorization', reader.bearer).send({ episodes: ['ep01'] }).expect(403);
    const bad = await ctx.http().post(`${api}/projects/SWA/directory-structure`).set('Authorization', admin.bearer).send({ episodes: ['../etc'] }).expect(400);
    expect((expectEnvelope(bad.body, 'VALIDATION_ERROR').details as { field: string }).field).toBe('episodes.0');
  });
});
