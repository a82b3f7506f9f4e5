// Streaming files and thumbnails: headers, byte ranges, conditional requests, signed-URL redirects.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { cert, initializeApp } from 'firebase-admin/app';
import { getStorage } from 'firebase-admin/storage';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createTestContext, expectEnvelope } from '../support/context.js';
import { binary, finalize, fixtures, seedStudio, seedTask, upload, type Studio } from './helpers.js';

const ctx = createTestContext('media-dl');
const TASK = 'ep03_sq0030_sh0030_anim';
let studio: Studio;
const movie = randomBytes(100_000);
let movieId: string;
let pngId: string;

beforeAll(async () => {
  studio = await seedStudio(ctx, 'DL');
  await seedTask(ctx, 'DL', TASK);
  movieId = (await upload(ctx, studio.artist, { name: 'anim_v001.mov', data: movie }, { task_id: TASK }).expect(201)).body.id;
  const png = await upload(ctx, studio.artist, { name: 'anim_v001.png', data: await fixtures.png(640, 360) }, { task_id: TASK }).expect(201);
  pngId = png.body.id;
  await finalize(ctx, png.body.storage_key);
});

const get = (path: string, user = studio.viewer) => ctx.http().get(`/api/v1/media/${path}`).set('Authorization', user.bearer).buffer(true).parse(binary);
const etag = `"${createHash('md5').update(movie).digest('hex')}"`;

describe('GET /media/{id}/download', () => {
  it('streams the whole file with its type, length, disposition, ETag and Accept-Ranges', async () => {
    const res = await get(`${movieId}/download`).expect(200);
    expect(Buffer.compare(res.body as Buffer, movie)).toBe(0);
    expect(res.headers).toMatchObject({
      'content-type': 'video/quicktime',
      'content-length': '100000',
      'content-disposition': 'attachment; filename="anim_v001.mov"',
      'accept-ranges': 'bytes',
      etag,
    });
  });

  it('serves single byte ranges: first byte, a suffix, an open end, an end past the file', async () => {
    const cases: [string, number, number][] = [
      ['bytes=0-0', 0, 0],
      ['bytes=-500', 99_500, 99_999],
      ['bytes=99000-', 99_000, 99_999],
      ['bytes=50000-200000', 50_000, 99_999],
    ];
    for (const [range, start, end] of cases) {
      const res = await get(`${movieId}/download`).set('Range', range).expect(206);
      expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/100000`);
      expect(res.headers['content-length']).toBe(String(end - start + 1));
      expect(Buffer.compare(res.body as Buffer, movie.subarray(start, end + 1))).toBe(0);
    }
  });

  it('answers 416 with the envelope and Content-Range for ranges it cannot satisfy', async () => {
    const cases: [string, string][] = [
      ['bytes=100000-', 'Range bytes=100000- starts beyond the end of a 100000-byte file'],
      ['bytes=500-100', 'Range bytes=500-100 ends before it starts'],
      ['bytes=-0', 'Range bytes=-0 selects no bytes of a 100000-byte file'],
      ['items=0-10', 'Range must be in bytes, e.g. bytes=0-1023 (got items=0-10)'],
      ['bytes=abc', 'Range bytes=abc is malformed'],
    ];
    for (const [range, message] of cases) {
      const res = await ctx.http().get(`/api/v1/media/${movieId}/download`).set('Authorization', studio.viewer.bearer).set('Range', range).expect(416);
      expect(res.headers['content-range']).toBe('bytes */100000');
      expect(expectEnvelope(res.body, 'RANGE_NOT_SATISFIABLE').message).toBe(message);
    }
  });

  it('answers several ranges with the whole file, and a stale If-Range with the whole file', async () => {
    const multi = await get(`${movieId}/download`).set('Range', 'bytes=0-1,10-11').expect(200);
    expect((multi.body as Buffer).length).toBe(100_000);
    const stale = await get(`${movieId}/download`).set('Range', 'bytes=0-9').set('If-Range', '"older"').expect(200);
    expect((stale.body as Buffer).length).toBe(100_000);
    const current = await get(`${movieId}/download`).set('Range', 'bytes=0-9').set('If-Range', etag).expect(206);
    expect((current.body as Buffer).length).toBe(10);
  });

  it('answers 304 to If-None-Match with the current ETag, and HEAD with headers only', async () => {
    const unchanged = await ctx.http().get(`/api/v1/media/${movieId}/download`).set('Authorization', studio.viewer.bearer).set('If-None-Match', etag).expect(304);
    expect(unchanged.headers.etag).toBe(etag);
    const head = await ctx.http().head(`/api/v1/media/${movieId}/download`).set('Authorization', studio.viewer.bearer).expect(200);
    expect(head.headers['content-length']).toBe('100000');
    expect(head.text ?? '').toBe('');
  });

  it('hides media from non-members and refuses a file that has not landed yet', async () => {
    const hidden = await ctx.http().get(`/api/v1/media/${movieId}/download`).set('Authorization', studio.outsider.bearer).expect(404);
    expect(expectEnvelope(hidden.body, 'NOT_FOUND').message).toBe(`Media ${movieId} not found`);
    const pending = await ctx.http().post('/api/v1/media/upload-url').set('Authorization', studio.artist.bearer).send({ task_id: TASK, file_name: 'later.mov', file_size: 10 }).expect(201);
    const early = await ctx.http().get(`/api/v1/media/${pending.body.media.id}/download`).set('Authorization', studio.viewer.bearer).expect(422);
    expect(expectEnvelope(early.body, 'UNPROCESSABLE').message).toBe(`Media ${pending.body.media.id} has no file yet (status pending_upload)`);
  });
});

describe('GET /media/{id}/thumbnail', () => {
  it('streams the large or small thumbnail inline', async () => {
    const large = await get(`${pngId}/thumbnail`).expect(200);
    expect(large.headers['content-type']).toBe('image/jpeg');
    expect(large.headers['content-disposition']).toBe('inline; filename="anim_v001.png_thumb.jpg"');
    expect(large.headers['content-length']).toBe(String((large.body as Buffer).length));
    const small = await get(`${pngId}/thumbnail?size=small`).expect(200);
    expect(small.headers['content-disposition']).toBe('inline; filename="anim_v001.png_thumb_small.jpg"');
    expect((small.body as Buffer).length).toBeLessThan((large.body as Buffer).length);
  });

  it('answers 404 with the reason when there is no thumbnail', async () => {
    const res = await ctx.http().get(`/api/v1/media/${movieId}/thumbnail`).set('Authorization', studio.viewer.bearer).expect(404);
    expect(expectEnvelope(res.body, 'NOT_FOUND').message).toBe(`Media ${movieId} has no thumbnail (thumbnail_status unsupported: No thumbnails are made for .mov files)`);
    const bad = await ctx.http().get(`/api/v1/media/${pngId}/thumbnail?size=huge`).set('Authorization', studio.viewer.bearer).expect(400);
    expectEnvelope(bad.body, 'VALIDATION_ERROR');
  });
});

describe('?redirect=true', () => {
  it('without signing credentials on the emulator, redirects to the emulator object URL', async () => {
    const res = await ctx.http().get(`/api/v1/media/${movieId}/download?redirect=true`).set('Authorization', studio.viewer.bearer).expect(302);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.location).toBe(`${process.env.STORAGE_EMULATOR_HOST}/${ctx.deps.bucket.name}/${encodeURIComponent(`media/DL/${TASK}/v001/anim_v001.mov`)}`);
    const followed = await fetch(res.headers.location!);
    expect(Buffer.compare(Buffer.from(await followed.arrayBuffer()), movie)).toBe(0);
  });

  it('with credentials, redirects to a V4 signed URL valid for 5 minutes', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signer = initializeApp(
      {
        projectId: 'demo-montu',
        credential: cert({ projectId: 'demo-montu', clientEmail: 'api@demo-montu.iam.gserviceaccount.com', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }),
      },
      'media-signer',
    );
    const app = createApp({ ...ctx.deps, bucket: getStorage(signer).bucket(ctx.deps.bucket.name) });
    const res = await request(app).get(`/api/v1/media/${pngId}/thumbnail?redirect=true&size=small`).set('Authorization', studio.viewer.bearer).expect(302);
    const url = new URL(res.headers.location!);
    expect(url.pathname).toBe(`/${ctx.deps.bucket.name}/thumbnails/DL/${TASK}/v001/anim_v001.png_thumb_small.jpg`);
    expect(url.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(url.searchParams.get('X-Goog-Expires')).toBe('300');
    expect(url.searchParams.get('X-Goog-Credential')).toMatch(/^api@demo-montu\.iam\.gserviceaccount\.com\//);
    expect(url.searchParams.get('response-content-disposition')).toBe('inline; filename="anim_v001.png_thumb_small.jpg"');
    expect(url.searchParams.get('response-content-type')).toBe('image/jpeg');
    expect(url.searchParams.get('X-Goog-Signature')).toMatch(/^[0-9a-f]{512}$/);
  });
});
