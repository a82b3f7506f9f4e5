import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope } from '../support/context.js';
import { binary, finalize, fixtures, mediaOfTask, seedStudio, seedTask, storedKeys, upload } from './helpers.js';

const ctx = createTestContext('media-life');
const TASK = 'ep00_sq0010_sh0020_comp';

describe('media lifecycle', () => {
  it('upload → trigger → metadata and thumbnails → list/filter → Range download → approve → task status → delete leaves nothing', async () => {
    const studio = await seedStudio(ctx, 'SWA');
    await seedTask(ctx, 'SWA', TASK, 'pending_review');
    const jpeg = await fixtures.jpeg(1920, 1080);
    const png = await fixtures.png(1024, 768);

    // Upload: the record, its key and what is known before the trigger runs.
    const up = await upload(ctx, studio.artist, { name: 'comp_beauty_v001.jpg', data: jpeg }, { task_id: TASK, version: 'v001', description: 'Beauty pass', tags: 'comp, beauty' }).expect(201);
    const id = up.body.id as string;
    expect(up.headers.location).toBe(`/api/v1/media/${id}`);
    expect(up.body).toMatchObject({
      project_id: 'SWA',
      linked_task_id: TASK,
      linked_version: 'v001',
      author: studio.artist.uid,
      file_name: 'comp_beauty_v001.jpg',
      media_type: 'image',
      file_extension: '.jpg',
      content_type: 'image/jpeg',
      storage_key: `media/SWA/${TASK}/v001/comp_beauty_v001.jpg`,
      storage_url: `/api/v1/media/${id}/download`,
      thumbnail_key: null,
      thumbnail_status: 'pending',
      description: 'Beauty pass',
      tags: ['comp', 'beauty'],
      approval_status: 'pending',
      approval_history: [],
      status: 'active',
      open_annotations: 0,
      total_annotations: 0,
      updated_by: studio.artist.uid,
    });
    // The picture's size is read at upload, so the spec's pixel positions are checked before the trigger runs.
    expect(up.body.metadata).toMatchObject({ file_size: jpeg.length, checksum: createHash('md5').update(jpeg).digest('hex'), width: 1920, height: 1080, format: 'jpg' });
    expect(await storedKeys(ctx, `media/SWA/${TASK}/`)).toEqual([`media/SWA/${TASK}/v001/comp_beauty_v001.jpg`]);
    const annotate = (position: Record<string, number>) =>
      ctx.http().post('/api/v1/annotations').set('Authorization', studio.artist.bearer).send({ media_id: id, annotation_type: 'note', content: 'Edge needs work', position, timestamp: 1.5 });
    const inside = await annotate({ x: 100, y: 200, width: 50, height: 30 }).expect(201);
    expect(inside.body).toMatchObject({ coordinates: 'pixels', position: { x: 100, y: 200, width: 50, height: 30 } });
    const outside = await annotate({ x: 1900, y: 0, width: 40, height: 10 }).expect(422);
    expect(outside.body.error.message).toBe('position: Position (1900, 0, 40×10) lies outside the 1920×1080 px picture');

    // The Storage trigger fills in the image facts and makes both thumbnails.
    expect(await finalize(ctx, up.body.storage_key)).toBe('ready');
    const got = await ctx.http().get(`/api/v1/media/${id}`).set('Authorization', studio.viewer.bearer).expect(200);
    expect(got.headers.etag).toMatch(/^"\d+\.\d{9}"$/);
    expect(got.body.metadata).toMatchObject({ file_size: jpeg.length, width: 1920, height: 1080, format: 'jpeg', color_space: 'srgb', has_alpha: false, bit_depth: 8 });
    expect(got.body.thumbnail_status).toBe('ready');
    expect(got.body.thumbnail_key).toBe(`thumbnails/SWA/${TASK}/v001/comp_beauty_v001.jpg_thumb.jpg`);
    expect(got.body.thumbnail_small_key).toBe(`thumbnails/SWA/${TASK}/v001/comp_beauty_v001.jpg_thumb_small.jpg`);

    // A second version, to filter between.
    const second = await upload(ctx, studio.artist, { name: 'comp_beauty_v002.png', data: png }, { task_id: TASK, version: 'v002', tags: 'wip' }).expect(201);
    expect(await finalize(ctx, second.body.storage_key)).toBe('ready');

    const list = async (query: string) => {
      const res = await ctx.http().get(`/api/v1/media?${query}`).set('Authorization', studio.viewer.bearer).expect(200);
      return { ids: (res.body.items as { id: string }[]).map((m) => m.id), total: res.body.total as number };
    };
    expect(await list(`task_id=${TASK}`)).toEqual({ ids: [second.body.id, id], total: 2 });
    expect(await list('tags=beauty')).toEqual({ ids: [id], total: 1 });
    expect(await list('tags=wip,nothing')).toEqual({ ids: [second.body.id], total: 1 });
    expect(await list('file_type=png')).toEqual({ ids: [second.body.id], total: 1 });
    expect(await list('file_type=.JPG')).toEqual({ ids: [id], total: 1 });
    expect(await list('version=v001&media_type=image')).toEqual({ ids: [id], total: 1 });
    expect(await list(`author=${studio.artist.uid}&approval_status=pending&project_id=SWA`)).toEqual({ ids: [second.body.id, id], total: 2 });
    expect(await list('media_type=video')).toEqual({ ids: [], total: 0 });

    // Download: whole, then a byte range as a video scrubber asks.
    const whole = await ctx.http().get(`/api/v1/media/${id}/download`).set('Authorization', studio.viewer.bearer).buffer(true).parse(binary).expect(200);
    expect(Buffer.compare(whole.body as Buffer, jpeg)).toBe(0);
    expect(whole.headers['content-type']).toBe('image/jpeg');
    expect(whole.headers['content-length']).toBe(String(jpeg.length));
    expect(whole.headers['content-disposition']).toBe('attachment; filename="comp_beauty_v001.jpg"');
    expect(whole.headers.etag).toBe(`"${createHash('md5').update(jpeg).digest('hex')}"`);
    const part = await ctx.http().get(`/api/v1/media/${id}/download`).set('Authorization', studio.viewer.bearer).set('Range', 'bytes=100-1123').buffer(true).parse(binary).expect(206);
    expect(part.headers['content-range']).toBe(`bytes 100-1123/${jpeg.length}`);
    expect(part.headers['content-length']).toBe('1024');
    expect(Buffer.compare(part.body as Buffer, jpeg.subarray(100, 1124))).toBe(0);

    // Thumbnails: 512 px and 128 px on the long edge.
    const thumb = await ctx.http().get(`/api/v1/media/${id}/thumbnail`).set('Authorization', studio.viewer.bearer).buffer(true).parse(binary).expect(200);
    expect(thumb.headers['content-type']).toBe('image/jpeg');
    expect(await sharp(thumb.body as Buffer).metadata()).toMatchObject({ format: 'jpeg', width: 512, height: 288 });
    const small = await ctx.http().get(`/api/v1/media/${id}/thumbnail?size=small`).set('Authorization', studio.viewer.bearer).buffer(true).parse(binary).expect(200);
    expect(await sharp(small.body as Buffer).metadata()).toMatchObject({ width: 128, height: 72 });

    // Review: readers and the uploading artist may not approve; a supervisor's approval moves the pending_review task to approved.
    for (const user of [studio.viewer, studio.artist]) {
      const denied = await ctx.http().post(`/api/v1/media/${id}/approve`).set('Authorization', user.bearer).send({ approval_status: 'approved' }).expect(403);
      expectEnvelope(denied.body, 'PERMISSION_DENIED');
    }
    const approved = await ctx.http().post(`/api/v1/media/${id}/approve`).set('Authorization', studio.supervisor.bearer).send({ approval_status: 'approved', reviewer: studio.supervisor.uid, review_notes: 'Looks good, approved for final comp' }).expect(200);
    expect(approved.body.approval_status).toBe('approved');
    expect(approved.body.approval_history).toEqual([{ approval_status: 'approved', reviewer: studio.supervisor.uid, review_notes: 'Looks good, approved for final comp', reviewed_at: expect.any(String) }]);
    expect(approved.body.linked_task).toEqual({ id: TASK, previous_status: 'pending_review', status: 'approved' });
    const task = (await ctx.taskDoc('SWA', TASK).get()).data()!;
    expect(task.status).toBe('approved');
    expect(task.updated_by).toBe(studio.supervisor.uid);

    // A rejection sends the task back for revision.
    const rejected = await ctx.http().post(`/api/v1/media/${second.body.id}/approve`).set('Authorization', studio.supervisor.bearer).send({ approval_status: 'rejected', review_notes: 'Edges flicker' }).expect(200);
    expect(rejected.body.linked_task).toEqual({ id: TASK, previous_status: 'approved', status: 'needs_revision' });
    expect((await ctx.taskDoc('SWA', TASK).get()).get('status')).toBe('needs_revision');
    expect(await list('approval_status=approved')).toEqual({ ids: [id], total: 1 });

    // Delete: no file, thumbnail or record is left.
    await ctx.http().delete(`/api/v1/media/${id}`).set('Authorization', studio.artist.bearer).expect(204);
    await ctx.http().delete(`/api/v1/media/${second.body.id}`).set('Authorization', studio.artist.bearer).expect(204);
    expect(await storedKeys(ctx, `media/SWA/${TASK}/`)).toEqual([]);
    expect(await storedKeys(ctx, `thumbnails/SWA/${TASK}/`)).toEqual([]);
    expect(await mediaOfTask(ctx, TASK)).toEqual([]);
    const gone = await ctx.http().get(`/api/v1/media/${id}`).set('Authorization', studio.viewer.bearer).expect(404);
    expect(expectEnvelope(gone.body, 'NOT_FOUND').message).toBe(`Media ${id} not found`);
  });
});
