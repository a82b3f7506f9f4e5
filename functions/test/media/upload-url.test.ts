// Large files: a pending record and a resumable upload session URI, completed by the Storage trigger.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope } from '../support/context.js';
import { finalize, fixtures, seedStudio, seedTask, storedKeys, type Studio } from './helpers.js';

const MAX = 1024 * 1024;
const ctx = createTestContext('media-url', { maxFileSizeBytes: MAX });
const TASK = 'ep06_sq0060_sh0060_lighting';
let studio: Studio;

beforeAll(async () => {
  studio = await seedStudio(ctx, 'URL');
  await seedTask(ctx, 'URL', TASK);
});

const requestUpload = (body: Record<string, unknown>, origin?: string) => {
  const req = ctx.http().post('/api/v1/media/upload-url').set('Authorization', studio.artist.bearer);
  return (origin ? req.set('Origin', origin) : req).send({ task_id: TASK, ...body });
};

describe('POST /media/upload-url', () => {
  it('creates a pending record, the client PUTs the bytes, and the trigger completes the record', async () => {
    const image = await fixtures.jpeg(800, 450);
    const res = await requestUpload({ file_name: 'beauty_v002.jpg', file_size: image.length, content_type: 'image/jpeg', version: 'v002', description: 'Beauty, full res', tags: ['beauty'] }, 'http://localhost:3000').expect(201);
    const { media } = res.body;
    expect(res.headers.location).toBe(`/api/v1/media/${media.id}`);
    expect(media).toMatchObject({
      status: 'pending_upload',
      author: studio.artist.uid,
      storage_key: `media/URL/${TASK}/v002/beauty_v002.jpg`,
      linked_version: 'v002',
      description: 'Beauty, full res',
      tags: ['beauty'],
      thumbnail_status: 'pending',
    });
    expect(media.metadata).toMatchObject({ file_size: image.length, checksum: null });
    expect(res.body.upload_method).toBe('PUT');
    expect(res.body.upload_headers).toEqual({ 'Content-Type': 'image/jpeg' });
    expect(new Date(res.body.expires_at).getTime() - Date.now()).toBeGreaterThan(6.9 * 24 * 3600 * 1000);
    expect(res.body.upload_url).toMatch(/upload_id=/);

    const put = await fetch(res.body.upload_url, { method: 'PUT', headers: res.body.upload_headers, body: image });
    expect(put.status).toBe(200);
    expect(await finalize(ctx, media.storage_key)).toBe('ready');

    const done = await ctx.http().get(`/api/v1/media/${media.id}`).set('Authorization', studio.viewer.bearer).expect(200);
    expect(done.body).toMatchObject({ status: 'active', thumbnail_status: 'ready', file_error: null });
    expect(done.body.metadata).toMatchObject({ file_size: image.length, checksum: createHash('md5').update(image).digest('hex'), width: 800, height: 450, format: 'jpeg' });
    const listed = await ctx.http().get('/api/v1/media?version=v002').set('Authorization', studio.viewer.bearer).expect(200);
    expect(listed.body.items.map((m: { id: string }) => m.id)).toEqual([media.id]);
  });

  it("takes the client's content_type when it is the file's type (or the unspecified application/octet-stream), and refuses another", async () => {
    await requestUpload({ file_name: 'plate_v010.exr', file_size: 1000, content_type: 'application/octet-stream', version: 'v010' }).expect(201);
    const wrong = await requestUpload({ file_name: 'plate_v011.jpg', file_size: 1000, content_type: 'image/png', version: 'v011' }).expect(400);
    expect(expectEnvelope(wrong.body, 'VALIDATION_ERROR')).toMatchObject({
      message: 'content_type image/png does not match plate_v011.jpg: its type is image/jpeg',
      details: { field: 'content_type', issue: 'expected image/jpeg' },
    });
    const malformed = await requestUpload({ file_name: 'plate_v012.jpg', file_size: 1000, content_type: 'jpeg', version: 'v012' }).expect(400);
    expect(JSON.stringify(expectEnvelope(malformed.body, 'VALIDATION_ERROR').details)).toContain('content_type must be a MIME type such as image/png');
    const notAllowed = await requestUpload({ file_name: 'notes_v013.txt', file_size: 1000, content_type: 'text/plain', version: 'v013' }).expect(400);
    expect(expectEnvelope(notAllowed.body, 'VALIDATION_ERROR').message).toMatch(/^File type \.txt is not allowed/);
  });

  it('deletes a landed file larger than MAX_FILE_SIZE and says so on the record', async () => {
    const res = await requestUpload({ file_name: 'sneaky.exr', file_size: 100 }).expect(201);
    const put = await fetch(res.body.upload_url, { method: 'PUT', headers: res.body.upload_headers, body: Buffer.alloc(MAX + 1, 7) });
    expect(put.status).toBe(200);
    expect(await finalize(ctx, res.body.media.storage_key)).toBe('rejected');
    expect(await storedKeys(ctx, res.body.media.storage_key)).toEqual([]);
    const media = (await ctx.db.doc(`media/${res.body.media.id}`).get()).data()!;
    expect(media.status).toBe('pending_upload');
    expect(media.file_error).toBe(`The uploaded file is ${MAX + 1} bytes, larger than the ${MAX}-byte limit; it was deleted`);
  });

  it('answers 409 when the key is taken, and refuses missing and malformed fields', async () => {
    await requestUpload({ file_name: 'taken.mov', file_size: 10 }).expect(201);
    const taken = await requestUpload({ file_name: 'taken.mov', file_size: 10 }).expect(409);
    expectEnvelope(taken.body, 'CONFLICT');
    const bad = await requestUpload({ file_name: 'a/b.mov', file_size: -1, extra: true }).expect(400);
    const fields = (expectEnvelope(bad.body, 'VALIDATION_ERROR').details as { errors: { field: string }[] }).errors.map((e) => e.field).sort();
    expect(fields).toEqual(['body', 'file_name', 'file_size']);
  });
});
