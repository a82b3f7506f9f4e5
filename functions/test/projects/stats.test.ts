import { beforeAll, describe, expect, it } from 'vitest';
import { humanSize } from '../../src/projects/service.js';
import { SWA_PROJECT } from '../support/swa.js';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';

const ctx = createTestContext('project-stats');
let admin: TestUser;
let artist: TestUser;
let outsider: TestUser;

const api = '/api/v1';

/** A task document as the tasks API stores it (only the fields the stats read). */
function task(id: string, projectId: string, status: string, type: string, artistName: string) {
  return ctx.taskDoc(projectId, id).set({ id, project_id: projectId, status, task: type, artist: artistName, artist_key: artistName.toLowerCase(), archived: status === 'archived' });
}

function media(id: string, projectId: string, status: string, fileSize: number | null) {
  return ctx.db.doc(`media/${id}`).set({ project_id: projectId, status, metadata: { file_size: fileSize } });
}

beforeAll(async () => {
  [admin, artist, outsider] = await Promise.all([ctx.createUser({ admin: true, name: 'admin' }), ctx.createUser({ name: 'artist' }), ctx.createUser({ name: 'outsider' })]);
  await ctx.http().post(`${api}/projects`).set('Authorization', admin.bearer).send({ ...SWA_PROJECT, task_types: ['lighting', 'comp', 'fx'] }).expect(201);
  await ctx.addMember('SWA', artist, ['read']);
  await Promise.all([
    task('t01', 'SWA', 'in_progress', 'lighting', 'John_Doe'),
    task('t02', 'SWA', 'in_progress', 'lighting', 'john_doe'),
    task('t03', 'SWA', 'pending_review', 'comp', 'Ana'),
    task('t04', 'SWA', 'needs_revision', 'comp', 'Unassigned'),
    task('t05', 'SWA', 'not_started', 'fx', 'Bo'),
    task('t06', 'SWA', 'completed', 'lighting', 'Cy'),
    task('t07', 'SWA', 'approved', 'comp', 'Ana'),
    task('t08', 'SWA', 'completed', 'comp', 'Dee'),
    task('t09', 'SWA', 'archived', 'fx', 'Eve'),
    task('t10', 'SWA', 'on_hold', 'fx', 'Fay'),
    task('t11', 'SWA', 'in_progress', 'fx', 'Gus'),
    // Another project's tasks and media never count.
    task('x01', 'OTHER', 'in_progress', 'lighting', 'Zed'),
    media('m1', 'SWA', 'active', 1024 ** 4 * 2),
    media('m2', 'SWA', 'active', 1024 ** 4 / 2),
    media('m3', 'SWA', 'archived', 1024 ** 3),
    media('m4', 'SWA', 'pending_upload', 1024 ** 4),
    media('m5', 'SWA', 'active', null),
    media('x1', 'OTHER', 'active', 1024 ** 4),
  ]);
});

describe('GET /projects/{id}/stats', () => {
  it("answers the spec's shape from aggregations", async () => {
    const res = await ctx.http().get(`${api}/projects/SWA/stats`).set('Authorization', artist.bearer).expect(200);
    expect(res.body).toEqual({
      project_id: 'SWA',
      total_tasks: 10,
      tasks_by_status: { not_started: 1, in_progress: 3, pending_review: 1, needs_revision: 1, approved: 1, completed: 2, on_hold: 1 },
      tasks_by_type: { lighting: 3, comp: 4, fx: 3 },
      total_media_files: 3,
      total_storage_size: '2.5TB',
      total_storage_bytes: 1024 ** 4 * 2.5 + 1024 ** 3,
      active_artists: 3,
      completion_percentage: 30,
    });
  });

  it('answers zeros for an empty project', async () => {
    await ctx.http().post(`${api}/projects`).set('Authorization', admin.bearer).send({ id: 'EMPTY', name: 'Empty', task_types: ['comp'] }).expect(201);
    const res = await ctx.http().get(`${api}/projects/EMPTY/stats`).set('Authorization', admin.bearer).expect(200);
    expect(res.body).toEqual({
      project_id: 'EMPTY',
      total_tasks: 0,
      tasks_by_status: { not_started: 0, in_progress: 0, pending_review: 0, needs_revision: 0, approved: 0, completed: 0, on_hold: 0 },
      tasks_by_type: { comp: 0 },
      total_media_files: 0,
      total_storage_size: '0B',
      total_storage_bytes: 0,
      active_artists: 0,
      completion_percentage: 0,
    });
  });

  it('is for project members only', async () => {
    const res = await ctx.http().get(`${api}/projects/SWA/stats`).set('Authorization', outsider.bearer).expect(404);
    expect(expectEnvelope(res.body, 'NOT_FOUND').message).toBe('Project SWA not found');
  });

  it('writes sizes the way the spec does', () => {
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(512)).toBe('512B');
    expect(humanSize(1536)).toBe('1.5KB');
    expect(humanSize(52428800)).toBe('50MB');
    expect(humanSize(1024 ** 4 * 2.5)).toBe('2.5TB');
    expect(humanSize(1024 ** 5 * 3000)).toBe('3000PB');
  });
});
