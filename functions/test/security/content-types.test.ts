// Finding 7: bodies the app never asked for, and media served without `nosniff`. The Functions
// runtime parses JSON, urlencoded and text bodies before the app runs, so a form-urlencoded PATCH
// arrived as a plain object and was stored; each route now takes only the content type it declares.
import express from 'express';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { binary, seedStudio, seedTask, upload, type Studio } from '../media/helpers.js';
import { createTestContext, expectEnvelope } from '../support/context.js';

const ctx = createTestContext('content-types');
const TASK = 'ep01_sq010_sh010_comp';
let studio: Studio;
let mediaId: string;

/** The app behind the body parsing the Cloud Functions runtime does before it (as in production). */
const runtime = express();
runtime.use(express.json(), express.urlencoded({ extended: true }), express.text());
runtime.use(ctx.app);

beforeAll(async () => {
  studio = await seedStudio(ctx, 'CT');
  await seedTask(ctx, 'CT', TASK);
  mediaId = (await upload(ctx, studio.artist, { name: 'comp_v001.mov', data: Buffer.from('<html><script>alert(1)</script>') }, { task_id: TASK }).expect(201)).body.id;
});

describe('a route takes only the content type it declares (415 otherwise)', () => {
  it('refuses a form-urlencoded task update the runtime already parsed, and stores nothing', async () => {
    const res = await request(runtime).patch(`/api/v1/tasks/${TASK}`).set('Authorization', studio.artist.bearer).type('form').send('priority=urgent');
    expect(res.status).toBe(415);
    const error = expectEnvelope(res.body, 'UNSUPPORTED_MEDIA_TYPE');
    expect(error.message).toBe('This route takes application/json, not application/x-www-form-urlencoded');
    expect(error.details).toEqual({ field: 'Content-Type', issue: 'expected application/json' });
    expect((await ctx.taskDoc('CT', TASK).get()).get('priority')).toBe('medium');
  });

  it('refuses JSON sent as text/plain to a route with a validated JSON body', async () => {
    const res = await request(runtime).post('/api/v1/annotations').set('Authorization', studio.artist.bearer).type('text/plain').send(JSON.stringify({ media_id: mediaId, annotation_type: 'note', content: 'x' }));
    expect(res.status).toBe(415);
    expectEnvelope(res.body, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses JSON sent to the multipart upload route', async () => {
    const res = await ctx.http().post('/api/v1/media').set('Authorization', studio.artist.bearer).send({ task_id: TASK });
    expect(res.status).toBe(415);
    expect(expectEnvelope(res.body, 'UNSUPPORTED_MEDIA_TYPE').message).toBe('This route takes multipart/form-data, not application/json');
  });

  it('still answers a missing body with 400', async () => {
    const res = await ctx.http().patch(`/api/v1/tasks/${TASK}`).set('Authorization', studio.artist.bearer);
    expect(res.status).toBe(400);
    expectEnvelope(res.body, 'VALIDATION_ERROR');
  });

  it('accepts JSON with a charset parameter', async () => {
    await ctx.http().patch(`/api/v1/tasks/${TASK}`).set('Authorization', studio.artist.bearer).set('Content-Type', 'application/json; charset=utf-8').send('{"milestone_note":"ok"}').expect(200);
  });
});

describe('X-Content-Type-Options: nosniff', () => {
  it('is sent with a media file, so a browser never runs uploaded bytes as HTML', async () => {
    const res = await ctx.http().get(`/api/v1/media/${mediaId}/download`).set('Authorization', studio.viewer.bearer).buffer(true).parse(binary).expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('is sent with JSON answers and errors too', async () => {
    const ok = await ctx.http().get(`/api/v1/media/${mediaId}`).set('Authorization', studio.viewer.bearer).expect(200);
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
    const missing = await ctx.http().get('/api/v1/no-such-route');
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
  });
});
