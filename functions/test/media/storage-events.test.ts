// The Storage trigger, invoked with the CloudEvent data Cloud Storage sends, against the Storage
// emulator, on image fixtures made here.
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { handleObjectFinalized } from '../../src/media/storage-events.js';
import { createTestContext, expectEnvelope } from '../support/context.js';
import { finalize, fixtures, objectDeleted, seedStudio, seedTask, storedKeys, upload, type Studio } from './helpers.js';

const ctx = createTestContext('media-thumbs', { maxFileSizeBytes: 2 * 1024 * 1024 });
const TASK = 'ep00_sq0020_sh0010_lighting';
let studio: Studio;

beforeAll(async () => {
  studio = await seedStudio(ctx, 'THB');
  await seedTask(ctx, 'THB', TASK);
});

async function uploaded(name: string, data: Buffer, version = 'v001') {
  const res = await upload(ctx, studio.artist, { name, data }, { task_id: TASK, version }).expect(201);
  return { id: res.body.id as string, key: res.body.storage_key as string };
}

const record = async (id: string) => (await ctx.db.doc(`media/${id}`).get()).data()!;

async function storedImage(key: string) {
  const [data] = await ctx.deps.bucket.file(key).download();
  const [md] = await ctx.deps.bucket.file(key).getMetadata();
  const meta = await sharp(data).metadata();
  return { format: meta.format, width: meta.width, height: meta.height, hasAlpha: meta.hasAlpha, depth: meta.depth, contentType: md.contentType };
}

describe('thumbnails and metadata from the Storage trigger', () => {
  it('PNG: fills metadata and writes a 512 px and a 128 px JPEG', async () => {
    const { id, key } = await uploaded('beauty.png', await fixtures.png(1024, 768));
    expect(await finalize(ctx, key)).toBe('ready');
    const media = await record(id);
    expect(media.metadata).toMatchObject({ width: 1024, height: 768, format: 'png', color_space: 'srgb', has_alpha: false, bit_depth: 8 });
    expect(media).toMatchObject({ thumbnail_status: 'ready', thumbnail_error: null, status: 'active' });
    expect(await storedImage(media.thumbnail_key)).toEqual({ format: 'jpeg', width: 512, height: 384, hasAlpha: false, depth: 'uchar', contentType: 'image/jpeg' });
    expect(await storedImage(media.thumbnail_small_key)).toEqual({ format: 'jpeg', width: 128, height: 96, hasAlpha: false, depth: 'uchar', contentType: 'image/jpeg' });
  });

  it('JPEG: reads a 1920x1080 frame', async () => {
    const { id, key } = await uploaded('frame.jpg', await fixtures.jpeg(1920, 1080));
    expect(await finalize(ctx, key)).toBe('ready');
    const media = await record(id);
    expect(media.metadata).toMatchObject({ width: 1920, height: 1080, format: 'jpeg', has_alpha: false, bit_depth: 8 });
    expect(await storedImage(media.thumbnail_key)).toMatchObject({ width: 512, height: 288 });
  });

  it('TIFF: reads it and thumbnails it', async () => {
    const { id, key } = await uploaded('plate.tif', await fixtures.tiff(640, 480));
    expect(await finalize(ctx, key)).toBe('ready');
    const media = await record(id);
    expect(media.metadata).toMatchObject({ width: 640, height: 480, format: 'tiff' });
    expect(await storedImage(media.thumbnail_small_key)).toMatchObject({ format: 'jpeg', width: 128, height: 96 });
  });

  it('16-bit PNG: records the bit depth, never enlarges, and writes an 8-bit thumbnail', async () => {
    const { id, key } = await uploaded('deep.png', await fixtures.png16(300, 200));
    expect(await finalize(ctx, key)).toBe('ready');
    const media = await record(id);
    expect(media.metadata).toMatchObject({ width: 300, height: 200, format: 'png', color_space: 'rgb16', bit_depth: 16 });
    expect(await storedImage(media.thumbnail_key)).toEqual({ format: 'jpeg', width: 300, height: 200, hasAlpha: false, depth: 'uchar', contentType: 'image/jpeg' });
    expect(await storedImage(media.thumbnail_small_key)).toMatchObject({ width: 128, height: 85 });
  });

  it('an image with alpha keeps it in WebP thumbnails', async () => {
    const { id, key } = await uploaded('matte.png', await fixtures.pngWithAlpha(800, 600));
    expect(await finalize(ctx, key)).toBe('ready');
    const media = await record(id);
    expect(media.metadata.has_alpha).toBe(true);
    expect(media.thumbnail_key).toBe(`thumbnails/THB/${TASK}/v001/matte.png_thumb.webp`);
    expect(await storedImage(media.thumbnail_key)).toEqual({ format: 'webp', width: 512, height: 384, hasAlpha: true, depth: 'uchar', contentType: 'image/webp' });
  });

  it('a truncated JPEG: thumbnail_status failed with the reason, its header facts kept, no thumbnail written', async () => {
    const { id, key } = await uploaded('broken.jpg', await fixtures.corruptJpeg());
    expect(await finalize(ctx, key)).toBe('failed');
    const media = await record(id);
    expect(media).toMatchObject({ status: 'active', thumbnail_status: 'failed', thumbnail_key: null, thumbnail_small_key: null });
    expect(media.thumbnail_error).toMatch(/^Could not decode the image: .*(premature end|truncated)/i);
    expect(media.metadata).toMatchObject({ width: 640, height: 480, format: 'jpeg' });
    expect(await storedKeys(ctx, `thumbnails/THB/${TASK}/v001/broken.jpg`)).toEqual([]);
  });

  it('bytes that are no image at all: failed, "Not a readable image"', async () => {
    const { id, key } = await uploaded('noise.png', Buffer.from('this is not a png at all'));
    expect(await finalize(ctx, key)).toBe('failed');
    const media = await record(id);
    expect(media.thumbnail_status).toBe('failed');
    expect(media.thumbnail_error).toBe('Not a readable image: Input buffer contains unsupported image format');
  });

  it('a decompression bomb (20000x20000 in a small PNG) is refused from its header', async () => {
    const bomb = fixtures.hugePng(20000);
    expect(bomb.length).toBeLessThan(200_000);
    const { id, key } = await uploaded('bomb.png', bomb);
    expect(await finalize(ctx, key)).toBe('failed');
    const media = await record(id);
    expect(media.thumbnail_error).toBe('Image is 20000x20000 (400 MP), above the 150 MP limit for thumbnails');
    expect(media.metadata).toMatchObject({ width: 20000, height: 20000, file_size: bomb.length });
    expect(await storedKeys(ctx, `thumbnails/THB/${TASK}/v001/bomb.png`)).toEqual([]);
  });

  it('formats sharp cannot read (EXR, video, scenes) are unsupported, with size and checksum still filled', async () => {
    const exr = Buffer.from('v/1\x01 not really an exr');
    const { id, key } = await uploaded('beauty.exr', exr);
    expect(await finalize(ctx, key)).toBe('unsupported');
    const media = await record(id);
    expect(media).toMatchObject({ thumbnail_status: 'unsupported', thumbnail_error: 'No thumbnails are made for .exr files', media_type: 'image', status: 'active' });
    expect(media.metadata.file_size).toBe(exr.length);
    const movie = await uploaded('anim.mov', Buffer.alloc(64, 1));
    expect(await finalize(ctx, movie.key)).toBe('unsupported');
    expect(await record(movie.id)).toMatchObject({ media_type: 'video', thumbnail_status: 'unsupported', thumbnail_error: 'No thumbnails are made for .mov files' });
  });

  it('never re-processes its own output, nor objects of other buckets or outside media/', async () => {
    const { id, key } = await uploaded('own.png', await fixtures.png(64, 64));
    await finalize(ctx, key);
    const thumb = (await record(id)).thumbnail_key as string;
    expect(await finalize(ctx, thumb)).toBe('ignored');
    expect(await handleObjectFinalized(ctx.deps, { bucket: 'another-bucket', name: key, generation: '1' })).toBe('ignored');
    expect(await storedKeys(ctx, `thumbnails/THB/${TASK}/v001/own.png`)).toEqual([`thumbnails/THB/${TASK}/v001/own.png_thumb.jpg`, `thumbnails/THB/${TASK}/v001/own.png_thumb_small.jpg`]);
  });

  it('is idempotent when an event is delivered twice', async () => {
    const { id, key } = await uploaded('twice.png', await fixtures.png(200, 100));
    expect(await finalize(ctx, key)).toBe('ready');
    const before = await ctx.db.doc(`media/${id}`).get();
    const [thumbMeta] = await ctx.deps.bucket.file(before.get('thumbnail_key')).getMetadata();
    expect(await finalize(ctx, key)).toBe('duplicate');
    const [again] = await ctx.deps.bucket.file(before.get('thumbnail_key')).getMetadata();
    expect(again.generation).toBe(thumbMeta.generation);
    const after = await ctx.db.doc(`media/${id}`).get();
    expect(after.updateTime!.isEqual(before.updateTime!)).toBe(true);
  });

  it('ignores an event for an older generation, and processes the newer one', async () => {
    const { id, key } = await uploaded('overwritten.png', await fixtures.png(100, 100));
    const [old] = await ctx.deps.bucket.file(key).getMetadata();
    await ctx.deps.bucket.file(key).save(await fixtures.png(400, 200), { resumable: false, contentType: 'image/png' });
    expect(await handleObjectFinalized(ctx.deps, { bucket: ctx.deps.bucket.name, name: key, generation: String(old.generation) })).toBe('stale');
    expect(await finalize(ctx, key)).toBe('ready');
    expect((await record(id)).metadata).toMatchObject({ width: 400, height: 200 });
  });

  it('leaves an object without a media record alone', async () => {
    const key = `media/THB/${TASK}/v009/stray.png`;
    await ctx.deps.bucket.file(key).save(await fixtures.png(10, 10), { resumable: false });
    expect(await finalize(ctx, key)).toBe('orphan');
    expect(await storedKeys(ctx, `thumbnails/THB/${TASK}/v009/`)).toEqual([]);
    await ctx.deps.bucket.file(key).delete();
  });

  it('drops the thumbnails it made when the record is being deleted meanwhile', async () => {
    const { id, key } = await uploaded('racing.png', await fixtures.png(300, 300));
    await ctx.db.doc(`media/${id}`).update({ deleting: true });
    expect(await finalize(ctx, key)).toBe('orphan');
    expect(await storedKeys(ctx, `thumbnails/THB/${TASK}/v001/racing.png`)).toEqual([]);
    expect((await record(id)).thumbnail_status).toBe('pending');
  });

  it('on a file deleted outside the API: removes its thumbnails and archives the record; ignores an overwrite', async () => {
    const { id, key } = await uploaded('removed.png', await fixtures.png(64, 32));
    await finalize(ctx, key);
    expect(await objectDeleted(ctx, key)).toBe('ignored');
    expect((await record(id)).status).toBe('active');
    await ctx.deps.bucket.file(key).delete();
    expect(await objectDeleted(ctx, key)).toBe('archived');
    expect(await storedKeys(ctx, `thumbnails/THB/${TASK}/v001/removed.png`)).toEqual([]);
    expect(await record(id)).toMatchObject({ status: 'archived', thumbnail_key: null, thumbnail_small_key: null, file_error: 'The file was deleted from Storage outside the API' });
    const download = await ctx.http().get(`/api/v1/media/${id}/download`).set('Authorization', studio.viewer.bearer).expect(422);
    expect(expectEnvelope(download.body, 'UNPROCESSABLE').message).toBe(`Media ${id} has no file (The file was deleted from Storage outside the API)`);
  });
});
