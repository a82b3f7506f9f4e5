// Finding 8: task ids are one namespace across projects (docs/task-ids.md). What a user who is not a
// member of a project can learn about its task ids: by reading, changing or uploading to them,
// nothing (the same answers as for an id nobody uses); by a CSV dry run, nothing (it answers from the
// caller's own project); only an actual create tells them an id is taken, naming no project and no
// data, and it is audited.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';
import { csv, HEADER, postImport } from '../csv-import/helpers.js';
import { idNeutral as answer } from '../support/id-neutral.js';

const ctx = createTestContext('task-ids');
const TAKEN = 'ep07_sq0010_sh0010_comp'; // SWA's
const FREE = 'ep07_sq0010_sh0020_comp'; // nobody's
let admin: TestUser;
let mallory: TestUser; // writes in RFX, not a member of SWA

beforeAll(async () => {
  [admin, mallory] = await Promise.all([ctx.createUser({ admin: true }), ctx.createUser({ name: 'mallory' })]);
  for (const id of ['SWA', 'RFX']) await ctx.http().post('/api/v1/projects').set('Authorization', admin.bearer).send({ id, name: id, task_types: ['comp'] }).expect(201);
  await ctx.addMember('RFX', mallory, ['write']);
  await ctx.http().post('/api/v1/tasks').set('Authorization', admin.bearer).send({ project_id: 'SWA', episode: 'ep07', sequence: 'sq0010', shot: 'sh0010', task: 'comp', artist: 'swa-secret-artist' }).expect(201);
});

describe('what a non-member can infer about another project\'s task ids', () => {
  const probes: [string, (id: string) => Promise<{ status: number; body: unknown }>][] = [
    ['GET /tasks/{id}', (id) => ctx.http().get(`/api/v1/tasks/${id}`).set('Authorization', mallory.bearer)],
    ['PATCH /tasks/{id}', (id) => ctx.http().patch(`/api/v1/tasks/${id}`).set('Authorization', mallory.bearer).send({ status: 'on_hold' })],
    ['DELETE /tasks/{id}', (id) => ctx.http().delete(`/api/v1/tasks/${id}`).set('Authorization', mallory.bearer)],
    ['GET /tasks/{id}/history', (id) => ctx.http().get(`/api/v1/tasks/${id}/history`).set('Authorization', mallory.bearer)],
    ['POST /tasks/{id}/add-field', (id) => ctx.http().post(`/api/v1/tasks/${id}/add-field`).set('Authorization', mallory.bearer).send({ field_name: 'x', field_value: 1 })],
    ['PATCH /tasks/bulk-update', (id) => ctx.http().patch('/api/v1/tasks/bulk-update').set('Authorization', mallory.bearer).send([{ task_id: id, updates: { status: 'on_hold' } }])],
    ['POST /media/upload-url', (id) => ctx.http().post('/api/v1/media/upload-url').set('Authorization', mallory.bearer).send({ task_id: id, file_name: 'x.exr', file_size: 10 })],
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

  it('an actual create learns only that the id is taken: no project, no data, and the other project keeps its task', async () => {
    const res = await ctx.http().post('/api/v1/tasks').set('Authorization', mallory.bearer).send({ project_id: 'RFX', episode: 'ep07', sequence: 'sq0010', shot: 'sh0010', task: 'comp' }).expect(409);
    expect(expectEnvelope(res.body, 'CONFLICT').message).toBe(`Task ${TAKEN} already exists`);
    expect(JSON.stringify(res.body)).not.toMatch(/SWA|swa-secret-artist/);
    const imported = await postImport(ctx, mallory, 'import-csv', { project_id: 'RFX', existing: 'update' }, csv(HEADER, 'ep07,sq0010,sh0010,comp,mallory,,,,,,,'));
    expect(imported.body).toMatchObject({ created_tasks: 0, updated_tasks: 0, invalid_tasks: 1 });
    expect(JSON.stringify(imported.body)).not.toMatch(/SWA|swa-secret-artist/);
    expect((await ctx.db.doc(`tasks/${TAKEN}`).get()).data()).toMatchObject({ project_id: 'SWA', artist: 'swa-secret-artist' });
  });
});
