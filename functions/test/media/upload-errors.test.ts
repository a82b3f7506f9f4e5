// Every refused upload gets a precise envelope and leaves nothing in Storage or Firestore.
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createTestContext, expectEnvelope } from '../support/context.js';
import { fixtures, seedStudio, seedTask, storedKeys, upload, type Studio } from './helpers.js';

const MAX = 4096;
const ctx = createTestContext('media-bad', { maxFileSizeBytes: MAX });
const TASK = 'ep01_sq0100_sh0100_lighting';
let studio: Studio;
let png: Buffer;

async function expectNothingStored() {
  expect(await storedKeys(ctx, 'media/')).toEqual([]);
  expect(await storedKeys(ctx, 'thumbnails/')).toEqual([]);
  expect((await ctx.db.collection('media').count().get()).data().count).toBe(0);
}

beforeAll(async () => {
  studio = await seedStudio(ctx, 'BAD');
  await seedTask(ctx, 'BAD', TASK);
  png = await fixtures.png(16, 16);
});

describe('POST /media refuses bad input and leaves nothing behind', () => {
  it('refuses a file type outside ALLOWED_FILE_TYPES with 400', async () => {
    const res = await upload(ctx, studio.artist, { name: 'notes.txt', data: Buffer.from('hello') }, { task_id: TASK }).expect(400);
    const error = expectEnvelope(res.body, 'VALIDATION_ERROR');
    expect(error.message).toBe('File type .txt is not allowed; allowed types: .jpg, .jpeg, .png, .tif, .tiff, .exr, .mov, .mp4, .ma, .nk');
    expect(error.details).toEqual({ field: 'file', issue: 'type .txt not allowed' });
    await expectNothingStored();
  });

  it('refuses a file over MAX_FILE_SIZE with 413', async () => {
    const res = await upload(ctx, studio.artist, { name: 'plate.exr', data: Buffer.alloc(MAX + 1, 1) }, { task_id: TASK }).expect(413);
    expect(expectEnvelope(res.body, 'PAYLOAD_TOO_LARGE').message).toBe(`The file is larger than the ${MAX}-byte limit of this endpoint`);
    await expectNothingStored();
  });

  it('accepts a file of exactly MAX_FILE_SIZE', async () => {
    const res = await upload(ctx, studio.artist, { name: 'exact.exr', data: Buffer.alloc(MAX, 1) }, { task_id: TASK }).expect(201);
    expect(res.body.metadata.file_size).toBe(MAX);
    await ctx.http().delete(`/api/v1/media/${res.body.id}`).set('Authorization', studio.artist.bearer).expect(204);
    await expectNothingStored();
  });

  it('refuses a request without a file, or with the file as a text field, with 400', async () => {
    const res = await ctx.http().post('/api/v1/media').set('Authorization', studio.artist.bearer).field('task_id', TASK).expect(400);
    const error = expectEnvelope(res.body, 'VALIDATION_ERROR');
    expect(error.message).toBe('file is required (a multipart part named "file")');
    expect(error.details).toEqual({ field: 'file', issue: 'required' });
    const asText = await ctx.http().post('/api/v1/media').set('Authorization', studio.artist.bearer).field('task_id', TASK).field('file', 'pixels').expect(400);
    expect(expectEnvelope(asText.body, 'VALIDATION_ERROR').details).toEqual({ field: 'file', issue: 'not a file' });
    await expectNothingStored();
  });

  it('refuses an empty file with 400', async () => {
    const res = await upload(ctx, studio.artist, { name: 'empty.png', data: Buffer.alloc(0) }, { task_id: TASK }).expect(400);
    expect(expectEnvelope(res.body, 'VALIDATION_ERROR').message).toBe('File empty.png is empty');
    await expectNothingStored();
  });

  it('answers 404 for an unknown task', async () => {
    const res = await upload(ctx, studio.artist, { name: 'beauty.png', data: png }, { task_id: 'ep99_sq9999_sh9999_comp' }).expect(404);
    expect(expectEnvelope(res.body, 'NOT_FOUND').message).toBe('Task ep99_sq9999_sh9999_comp not found');
    await expectNothingStored();
  });

  it('refuses a missing task_id, a bad version and unknown fields, naming each', async () => {
    const res = await upload(ctx, studio.artist, { name: 'beauty.png', data: png }, { version: '1', colour: 'red' }).expect(400);
    const error = expectEnvelope(res.body, 'VALIDATION_ERROR');
    const fields = (error.details as { errors: { field: string }[] }).errors.map((e) => e.field).sort();
    expect(fields).toEqual(['body', 'task_id', 'version']);
    expect(error.message).toContain('Unknown field(s): colour');
    await expectNothingStored();
  });

  it('refuses a file name that could escape its storage key', async () => {
    const res = await upload(ctx, studio.artist, { name: '..hidden.png', data: png }, { task_id: TASK }).expect(400);
    expect(expectEnvelope(res.body, 'VALIDATION_ERROR').message).toBe('Invalid file name "..hidden.png": file name may only contain letters, digits, spaces and _ . ( ) + -, and must start with a letter, digit or _');
    await expectNothingStored();
  });

  it('refuses a body that is not multipart (415), and a malformed one (400)', async () => {
    const json = await ctx.http().post('/api/v1/media').set('Authorization', studio.artist.bearer).send({ task_id: TASK }).expect(415);
    expect(expectEnvelope(json.body, 'UNSUPPORTED_MEDIA_TYPE').message).toBe('This route takes multipart/form-data, not application/json');
    const cut = await ctx
      .http()
      .post('/api/v1/media')
      .set('Authorization', studio.artist.bearer)
      .set('Content-Type', 'multipart/form-data; boundary=XYZ')
      .send('--XYZ\r\nContent-Disposition: form-data; name="task_id"\r\n\r\nep01')
      .expect(400);
    expect(expectEnvelope(cut.body, 'VALIDATION_ERROR').message).toBe('Malformed multipart request: Unexpected end of form');
    await expectNothingStored();
  });

  it('refuses two files in one request', async () => {
    const res = await ctx.http().post('/api/v1/media').set('Authorization', studio.artist.bearer).field('task_id', TASK).attach('file', png, 'a.png').attach('file', png, 'b.png').expect(400);
    expect(expectEnvelope(res.body, 'VALIDATION_ERROR').message).toBe('At most 1 file(s) may be uploaded in one request');
    await expectNothingStored();
  });

  it('hides the task from non-members (404) and refuses readers (403)', async () => {
    const outsider = await upload(ctx, studio.outsider, { name: 'beauty.png', data: png }, { task_id: TASK }).expect(404);
    expect(expectEnvelope(outsider.body, 'NOT_FOUND').message).toBe(`Task ${TASK} not found`);
    const viewer = await upload(ctx, studio.viewer, { name: 'beauty.png', data: png }, { task_id: TASK }).expect(403);
    expect(expectEnvelope(viewer.body, 'PERMISSION_DENIED').message).toBe("This needs 'write' permission on project BAD");
    await ctx.http().post('/api/v1/media').attach('file', png, 'beauty.png').field('task_id', TASK).expect(401);
    await expectNothingStored();
  });

  it('refuses new media in an archived project or on an archived task with 422', async () => {
    await ctx.seedProject('OLD', { status: 'archived' });
    await ctx.addMember('OLD', studio.artist, ['write']);
    await seedTask(ctx, 'OLD', 'ep02_sq0010_sh0010_comp');
    const project = await upload(ctx, studio.artist, { name: 'beauty.png', data: png }, { task_id: 'ep02_sq0010_sh0010_comp' }).expect(422);
    expect(expectEnvelope(project.body, 'UNPROCESSABLE').message).toBe('Project OLD is archived; its media are read-only');
    await seedTask(ctx, 'BAD', 'ep01_sq0100_sh0200_comp', 'archived');
    const task = await upload(ctx, studio.artist, { name: 'beauty.png', data: png }, { task_id: 'ep01_sq0100_sh0200_comp' }).expect(422);
    expect(expectEnvelope(task.body, 'UNPROCESSABLE').message).toBe('Task ep01_sq0100_sh0200_comp is archived; it takes no new media');
    await expectNothingStored();
  });

  it('answers 409 for a second upload to the same task, version and file name, keeping the first', async () => {
    const first = await upload(ctx, studio.artist, { name: 'beauty.png', data: png }, { task_id: TASK }).expect(201);
    const again = await upload(ctx, studio.artist, { name: 'beauty.png', data: Buffer.from(png).reverse() }, { task_id: TASK }).expect(409);
    const error = expectEnvelope(again.body, 'CONFLICT');
    expect(error.message).toBe(`Media media/BAD/${TASK}/v001/beauty.png already exists (id ${first.body.id}); upload under another version or file name, or delete it first`);
    const [stored] = await ctx.deps.bucket.file(first.body.storage_key).download();
    expect(Buffer.compare(stored, png)).toBe(0);
    await ctx.http().delete(`/api/v1/media/${first.body.id}`).set('Authorization', studio.artist.bearer).expect(204);
    await expectNothingStored();
  });
});

describe('a failure after the record is reserved', () => {
  it('takes the record back when Storage refuses the file: 500, nothing left', async () => {
    const bind = <T extends object>(target: T, value: unknown) => (typeof value === 'function' ? value.bind(target) : value);
    const refusingSaves = new Proxy(ctx.deps.bucket, {
      get(bucket, prop) {
        if (prop !== 'file') return bind(bucket, Reflect.get(bucket, prop));
        return (name: string) => {
          const file = bucket.file(name);
          return new Proxy(file, { get: (f, p) => (p === 'save' ? () => Promise.reject(new Error('storage unavailable')) : bind(f, Reflect.get(f, p))) });
        };
      },
    });
    const app = createApp({ ...ctx.deps, bucket: refusingSaves });
    const res = await request(app).post('/api/v1/media').set('Authorization', studio.artist.bearer).field('task_id', TASK).attach('file', png, 'beauty.png').expect(500);
    expect(expectEnvelope(res.body, 'INTERNAL').message).toBe('Internal server error');
    await expectNothingStored();
  });
});

describe('POST /media/upload-url refuses bad input and leaves nothing behind', () => {
  const body = (over: Record<string, unknown> = {}) => ({ task_id: TASK, file_name: 'plate.exr', file_size: 1000, ...over });

  it('refuses a declared size over MAX_FILE_SIZE (413), a disallowed type (400) and an unknown task (404)', async () => {
    const big = await ctx.http().post('/api/v1/media/upload-url').set('Authorization', studio.artist.bearer).send(body({ file_size: MAX + 1 })).expect(413);
    expect(expectEnvelope(big.body, 'PAYLOAD_TOO_LARGE').message).toBe(`File plate.exr is ${MAX + 1} bytes, larger than the ${MAX}-byte limit`);
    const type = await ctx.http().post('/api/v1/media/upload-url').set('Authorization', studio.artist.bearer).send(body({ file_name: 'tool.exe' })).expect(400);
    expect(expectEnvelope(type.body, 'VALIDATION_ERROR').message).toContain('File type .exe is not allowed');
    const task = await ctx.http().post('/api/v1/media/upload-url').set('Authorization', studio.artist.bearer).send(body({ task_id: 'nope_task' })).expect(404);
    expect(expectEnvelope(task.body, 'NOT_FOUND').message).toBe('Task nope_task not found');
    await expectNothingStored();
  });
});
