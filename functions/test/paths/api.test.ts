import { beforeAll, describe, expect, it } from 'vitest';
import { SWA_PROJECT } from '../support/swa.js';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';
import { SPEC_COMPONENTS, SPEC_PATH, SPEC_TASK } from './spec-example.js';

const ctx = createTestContext('paths');
let admin: TestUser;
let reader: TestUser;
let outsider: TestUser;

const api = '/api/v1';

function generate(body: Record<string, unknown>, user = reader) {
  return ctx.http().post(`${api}/paths/generate`).set('Authorization', user.bearer).send(body);
}

function validate(path: string, projectId = 'SWA', user = reader) {
  return ctx.http().get(`${api}/paths/validate`).query({ path, project_id: projectId }).set('Authorization', user.bearer);
}

beforeAll(async () => {
  [admin, reader, outsider] = await Promise.all([ctx.createUser({ admin: true, name: 'admin' }), ctx.createUser({ name: 'reader' }), ctx.createUser({ name: 'outsider' })]);
  await ctx.http().post(`${api}/projects`).set('Authorization', admin.bearer).send(SWA_PROJECT).expect(201);
  await ctx.addMember('SWA', reader, ['read']);
});

describe('POST /paths/generate', () => {
  it("answers the spec's example exactly", async () => {
    const res = await generate({ project_id: 'SWA', template_type: 'working_file', task_data: SPEC_TASK, filename_pattern: 'maya_scene' }).expect(200);
    expect(JSON.stringify(res.body)).toBe(
      JSON.stringify({
        generated_path: SPEC_PATH,
        components: SPEC_COMPONENTS,
        template_used: 'working_file',
        pattern_used: 'maya_scene',
      }),
    );
  });

  it("uses the project's spelling of the task type, and numeric versions and frames", async () => {
    const res = await generate({
      project_id: 'SWA',
      template_type: 'render_output',
      filename_pattern: 'render_sequence',
      task_data: { ...SPEC_TASK, task: 'LIGHTING', version: 3, frame: 1001, ext: 'exr' },
    }).expect(200);
    expect(res.body.generated_path).toBe('W:/SWA/all/scene/ep01/sq010/sh020/lighting/version/v003/ep01_sq010_sh020_lighting_v003.1001.exr');
    expect(res.body.pattern_used).toBe('render_sequence');
    const dir = await generate({ project_id: 'SWA', template_type: 'media_file', task_data: SPEC_TASK }).expect(200);
    expect(dir.body).toMatchObject({ generated_path: 'E:/SWA/all/scene/ep01/sq010/sh020/lighting/version/v003/media/', pattern_used: null });
  });

  it('reports missing values by placeholder name with 422', async () => {
    const res = await generate({ project_id: 'SWA', template_type: 'working_file', filename_pattern: 'maya_scene', task_data: { episode: 'ep01', task: 'comp' } }).expect(422);
    const error = expectEnvelope(res.body, 'UNPROCESSABLE');
    expect(error.message).toBe('Missing values for working_file with pattern maya_scene: {sequence_clean} (from sequence), {shot_clean} (from shot), {version}');
    expect(error.details).toEqual({ field: 'task_data', issue: 'missing', missing: ['sequence_clean', 'shot_clean', 'version'] });
  });

  it("refuses templates, patterns and task types the project does not have with 422", async () => {
    const template = await generate({ project_id: 'SWA', template_type: 'cache_file', task_data: SPEC_TASK }).expect(422);
    expect(expectEnvelope(template.body, 'UNPROCESSABLE').details).toEqual({ field: 'template_type', issue: 'unknown', available: ['working_file', 'render_output', 'media_file'] });
    const pattern = await generate({ project_id: 'SWA', template_type: 'working_file', filename_pattern: 'houdini_scene', task_data: SPEC_TASK }).expect(422);
    expect(expectEnvelope(pattern.body, 'UNPROCESSABLE').message).toBe("Project SWA has no filename pattern 'houdini_scene'");
    const type = await generate({ project_id: 'SWA', template_type: 'working_file', filename_pattern: 'maya_scene', task_data: { ...SPEC_TASK, task: 'painting' } }).expect(422);
    expect(expectEnvelope(type.body, 'UNPROCESSABLE').message).toBe(`task 'painting' is not one of project SWA's task_types: ${SWA_PROJECT.task_types.join(', ')}`);
  });

  it('refuses malformed values with 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...SPEC_TASK, version: 'version3' }, 'task_data.version'],
      [{ ...SPEC_TASK, episode: '../ep01' }, 'task_data.episode'],
      [{ ...SPEC_TASK, frame: '#x' }, 'task_data.frame'],
      [{ ...SPEC_TASK, colour: 'red' }, 'task_data'],
    ];
    for (const [taskData, field] of cases) {
      const res = await generate({ project_id: 'SWA', template_type: 'working_file', filename_pattern: 'maya_scene', task_data: taskData }).expect(400);
      expect((expectEnvelope(res.body, 'VALIDATION_ERROR').details as { field: string }).field).toBe(field);
    }
  });

  it('is for project members; others hear the project does not exist', async () => {
    const res = await generate({ project_id: 'SWA', template_type: 'working_file', filename_pattern: 'maya_scene', task_data: SPEC_TASK }, outsider).expect(404);
    expect(expectEnvelope(res.body, 'NOT_FOUND').message).toBe('Project SWA not found');
    await ctx.http().post(`${api}/paths/generate`).send({ project_id: 'SWA', template_type: 'working_file', task_data: SPEC_TASK }).expect(401);
  });

  it("answers 422 naming the problems when a stored project's configuration is unusable", async () => {
    await ctx.seedProject('BROKEN', { drive_mapping: {}, templates: { working_file: '{drive_working}/{project}/{shto}/' } });
    const res = await generate({ project_id: 'BROKEN', template_type: 'working_file', task_data: SPEC_TASK }, admin).expect(422);
    expect(expectEnvelope(res.body, 'UNPROCESSABLE').details).toEqual({
      errors: [
        { field: 'templates.working_file', issue: 'Unknown placeholder {shto}' },
        { field: 'templates.working_file', issue: '{drive_working} needs drive_mapping.working_files, which is not set' },
      ],
    });
  });
});

describe('GET /paths/validate', () => {
  it('parses a generated path back into its template, pattern and components', async () => {
    const res = await validate(SPEC_PATH).expect(200);
    expect(res.body).toEqual({
      valid: true,
      path: SPEC_PATH,
      project_id: 'SWA',
      template_used: 'working_file',
      pattern_used: 'maya_scene',
      components: SPEC_COMPONENTS,
      message: null,
      mismatch: null,
    });
  });

  it('says where a path stops matching', async () => {
    const res = await validate('V:/SWA/all/scene/ep01/sq010/sh020/lighting/versions/ep01_sq010_sh020_lighting_master_v003.ma').expect(200);
    expect(res.body).toMatchObject({
      valid: false,
      template_used: null,
      components: null,
      mismatch: { template: 'working_file', pattern: 'maya_scene', position: 42, matched: 'V:/SWA/all/scene/ep01/sq010/sh020/lighting', expected: "'/version/'", found: '/versions/ep01_sq010_sh020_lighting_master_v003.ma' },
    });
    expect(res.body.message).toBe(
      "Path follows template working_file with pattern maya_scene up to character 42 ('V:/SWA/all/scene/ep01/sq010/sh020/lighting'), then expected '/version/' but found '/versions/ep01_sq010_sh020_lighting_master_v003.ma'",
    );
  });

  it('refuses a path whose task is not a task type of the project', async () => {
    const res = await validate('V:/SWA/all/scene/ep01/sq010/sh020/painting/version/ep01_sq010_sh020_painting_master_v003.ma').expect(200);
    expect(res.body).toMatchObject({ valid: false, template_used: 'working_file', pattern_used: 'maya_scene', components: { task: 'painting' } });
    expect(res.body.message).toBe(`Path follows template working_file but task 'painting' is not one of project SWA's task_types: ${SWA_PROJECT.task_types.join(', ')}`);
  });

  it('needs a path and a project the caller can read', async () => {
    const missing = await ctx.http().get(`${api}/paths/validate`).query({ project_id: 'SWA' }).set('Authorization', reader.bearer).expect(400);
    expect((expectEnvelope(missing.body, 'VALIDATION_ERROR').details as { field: string }).field).toBe('query.path');
    await validate(SPEC_PATH, 'SWA', outsider).expect(404);
  });
});

describe('POST /paths/generate-batch', () => {
  it("generates a whole shot's paths, each task answering for itself", async () => {
    const res = await ctx
      .http()
      .post(`${api}/paths/generate-batch`)
      .set('Authorization', reader.bearer)
      .send({
        project_id: 'SWA',
        template_type: 'working_file',
        filename_pattern: 'nuke_script',
        tasks: [
          { ...SPEC_TASK, task: 'comp', task_id: 'ep01_sq010_sh020_comp' },
          { ...SPEC_TASK, task: 'fx', version: undefined },
          { ...SPEC_TASK, task: 'painting', task_id: 'ep01_sq010_sh020_painting' },
        ],
      })
      .expect(200);
    expect(res.body).toEqual({
      project_id: 'SWA',
      template_used: 'working_file',
      pattern_used: 'nuke_script',
      total: 3,
      succeeded: 1,
      failed: 2,
      results: [
        {
          index: 0,
          task_id: 'ep01_sq010_sh020_comp',
          generated_path: 'V:/SWA/all/scene/ep01/sq010/sh020/comp/version/ep01_sq010_sh020_comp_master_v003.nk',
          components: {
            drive: 'V:',
            project: 'SWA',
            episode: 'ep01',
            sequence_clean: 'sq010',
            shot_clean: 'sh020',
            task: 'comp',
            version: 'v003',
            filename: 'ep01_sq010_sh020_comp_master_v003.nk',
          },
        },
        {
          index: 1,
          error: {
            code: 'UNPROCESSABLE',
            message: 'Missing values for working_file with pattern nuke_script: {version}',
            details: { field: 'task_data', issue: 'missing', missing: ['version'] },
          },
        },
        {
          index: 2,
          task_id: 'ep01_sq010_sh020_painting',
          error: {
            code: 'UNPROCESSABLE',
            message: `task 'painting' is not one of project SWA's task_types: ${SWA_PROJECT.task_types.join(', ')}`,
            details: { field: 'task_data', issue: 'invalid', invalid: [{ placeholder: 'task', issue: `task 'painting' is not one of project SWA's task_types: ${SWA_PROJECT.task_types.join(', ')}` }] },
          },
        },
      ],
    });
  });

  it('takes up to 500 tasks, and fails the whole call for an unknown template', async () => {
    const tasks = Array.from({ length: 500 }, (_, i) => ({ ...SPEC_TASK, shot: `sh${String(i).padStart(4, '0')}` }));
    const ok = await ctx.http().post(`${api}/paths/generate-batch`).set('Authorization', reader.bearer).send({ project_id: 'SWA', template_type: 'render_output', tasks }).expect(200);
    expect(ok.body).toMatchObject({ total: 500, succeeded: 500, failed: 0 });
    expect(ok.body.results[499].generated_path).toBe('W:/SWA/all/scene/ep01/sq010/sh0499/lighting/version/v003/');
    const tooMany = await ctx.http().post(`${api}/paths/generate-batch`).set('Authorization', reader.bearer).send({ project_id: 'SWA', template_type: 'render_output', tasks: [...tasks, SPEC_TASK] }).expect(400);
    expect(expectEnvelope(tooMany.body, 'VALIDATION_ERROR').message).toContain('At most 500 tasks per call');
    const unknown = await ctx.http().post(`${api}/paths/generate-batch`).set('Authorization', reader.bearer).send({ project_id: 'SWA', template_type: 'nope', tasks: [SPEC_TASK] }).expect(422);
    expect(expectEnvelope(unknown.body, 'UNPROCESSABLE').message).toBe("Project SWA has no template 'nope'");
  });
});
