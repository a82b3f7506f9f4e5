// The migration to per-project task ids (functions/tools/migrate-task-keys.mjs) against the
// emulators, on data in the legacy layout: task documents under their bare id, media files under
// media/{task_id}/ with records keyed from that path and annotations on them. After it, the API
// serves all of it in the new layout; a second run moves nothing.
import { FieldValue } from 'firebase-admin/firestore';
import { beforeAll, describe, expect, it } from 'vitest';
import { mediaIdFor } from '../../src/media/files.js';
import { migrateTaskKeys } from '../../src/tasks/migrate-keys.js';
import { createTestContext, type TestUser } from '../support/context.js';
import { SWA_CONFIG } from './fixture.js';

const ctx = createTestContext('migrate-keys');
const TASK = 'ep00_sq0010_sh0010_comp';
const LEGACY_KEY = `media/${TASK}/v001/comp_v001.png`;
const LEGACY_THUMB = `thumbnails/${TASK}/v001/comp_v001.png_thumb.jpg`;
const legacyId = mediaIdFor(LEGACY_KEY);
let reader: TestUser;

beforeAll(async () => {
  await ctx.seedProject('MIG', SWA_CONFIG);
  reader = await ctx.createUser({ name: 'reader' });
  await ctx.addMember('MIG', reader, ['read']);
  const created = { updated_by: 'legacy', created_at: FieldValue.serverTimestamp(), updated_at: FieldValue.serverTimestamp() };
  await ctx.db.doc(`tasks/${TASK}`).set({ id: TASK, project_id: 'MIG', task: 'comp', status: 'in_progress', artist: 'ana', depends_on: [], ...created });
  await ctx.db.doc('tasks/ep00_sq0010_sh0010_lighting').set({ project_id: 'MIG', task: 'lighting', status: 'approved', ...created });
  await ctx.deps.bucket.file(LEGACY_KEY).save(Buffer.from('png bytes'), { metadata: { contentType: 'image/png', metadata: { media_id: legacyId } } });
  await ctx.deps.bucket.file(LEGACY_THUMB).save(Buffer.from('jpeg bytes'), { metadata: { contentType: 'image/jpeg' } });
  await ctx.db.doc(`media/${legacyId}`).set({
    project_id: 'MIG',
    linked_task_id: TASK,
    status: 'active',
    file_name: 'comp_v001.png',
    file_extension: '.png',
    content_type: 'image/png',
    storage_key: LEGACY_KEY,
    storage_url: `/api/v1/media/${legacyId}/download`,
    thumbnail_key: LEGACY_THUMB,
    thumbnail_small_key: null,
    file_generation: '1',
    ...created,
  });
  await ctx.db.doc('annotations/legacy_note').set({ media_id: legacyId, project_id: 'MIG', status: 'active', ...created });
});

describe('migrate-task-keys', () => {
  it('moves legacy tasks, media files, media records and their annotations to the per-project layout, once', async () => {
    expect(await migrateTaskKeys(ctx.db, ctx.deps.bucket)).toEqual({ tasks: 2, media: 1, files: 2, annotations: 1 });

    expect((await ctx.db.doc(`tasks/${TASK}`).get()).exists).toBe(false);
    expect((await ctx.taskDoc('MIG', TASK).get()).data()).toMatchObject({ id: TASK, project_id: 'MIG', artist: 'ana', updated_by: 'legacy' });
    // A legacy document without its id field gets it, as every task has.
    expect((await ctx.taskDoc('MIG', 'ep00_sq0010_sh0010_lighting').get()).get('id')).toBe('ep00_sq0010_sh0010_lighting');
    expect((await ctx.as(reader).get(`/tasks/${TASK}`).expect(200)).body).toMatchObject({ id: TASK, project_id: 'MIG', artist: 'ana' });
    // The derived fields the legacy documents lacked are filled in: the tasks are listed, filtered and found like any other.
    const listed = await ctx.as(reader).get('/tasks?project_id=MIG').expect(200);
    expect(listed.body.items.map((t: { id: string }) => t.id).sort()).toEqual([TASK, 'ep00_sq0010_sh0010_lighting']);
    expect(listed.body.items.find((t: { id: string }) => t.id === TASK)).toMatchObject({ depends_on: [], blocked_by: [], blocked: false, ready: false, bulk_id: 'task-keys-migration' });
    expect(listed.body.items[0]).not.toHaveProperty('search_tokens');
    const found = await ctx.as(reader).get('/tasks?project_id=MIG&search=sh0010_lighting&status=approved').expect(200);
    expect(found.body.items.map((t: { id: string }) => t.id)).toEqual(['ep00_sq0010_sh0010_lighting']);
    const sorted = await ctx.as(reader).get('/tasks?project_id=MIG&sort=deadline&blocked=false').expect(200);
    expect(sorted.body.total).toBe(2);

    const newKey = `media/MIG/${TASK}/v001/comp_v001.png`;
    const newId = mediaIdFor(newKey);
    expect((await ctx.db.doc(`media/${legacyId}`).get()).exists).toBe(false);
    const media = await ctx.as(reader).get(`/media/${newId}`).expect(200);
    expect(media.body).toMatchObject({ linked_task_id: TASK, storage_key: newKey, storage_url: `/api/v1/media/${newId}/download`, thumbnail_key: `thumbnails/MIG/${TASK}/v001/comp_v001.png_thumb.jpg` });
    const download = await ctx.as(reader).get(`/media/${newId}/download`).buffer(true).expect(200);
    expect(download.body.toString()).toBe('png bytes');
    const [files] = await ctx.deps.bucket.getFiles();
    expect(files.map((f) => f.name).filter((n) => n.includes(TASK)).sort()).toEqual([newKey, `thumbnails/MIG/${TASK}/v001/comp_v001.png_thumb.jpg`]);
    expect((await ctx.db.doc('annotations/legacy_note').get()).get('media_id')).toBe(newId);

    const times = async () => (await ctx.db.collection('tasks').where('project_id', '==', 'MIG').get()).docs.map((d) => `${d.id} ${d.updateTime.toMillis()}`);
    const before = await times();
    expect(await migrateTaskKeys(ctx.db, ctx.deps.bucket)).toEqual({ tasks: 0, media: 0, files: 0, annotations: 0 });
    expect(await times()).toEqual(before);
  });
});
