// Reading, listing, editing, reviewing and deleting media records; who may do what.
import { FieldValue } from 'firebase-admin/firestore';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';
import { finalize, fixtures, seedStudio, seedTask, storedKeys, upload, type Studio } from './helpers.js';

const ctx = createTestContext('media-rec');
const TASK = 'ep04_sq0040_sh0040_comp';
const OTHER_TASK = 'ep09_sq0090_sh0090_fx';
let studio: Studio;
let png: Buffer;

beforeAll(async () => {
  studio = await seedStudio(ctx, 'REC');
  await seedTask(ctx, 'REC', TASK);
  await ctx.seedProject('FX');
  await ctx.addMember('FX', studio.artist, ['write']);
  await seedTask(ctx, 'FX', OTHER_TASK);
  png = await fixtures.png(32, 32);
});

async function newMedia(name: string, fields: Record<string, string> = {}, user: TestUser = studio.artist, task = TASK) {
  const res = await upload(ctx, user, { name, data: png }, { task_id: task, ...fields }).expect(201);
  return res.body as { id: string; storage_key: string };
}

const as = (user: TestUser) => ({
  get: (path: string) => ctx.http().get(`/api/v1${path}`).set('Authorization', user.bearer),
  put: (path: string, body: unknown) => ctx.http().put(`/api/v1${path}`).set('Authorization', user.bearer).send(body as object),
  post: (path: string, body: unknown) => ctx.http().post(`/api/v1${path}`).set('Authorization', user.bearer).send(body as object),
  delete: (path: string) => ctx.http().delete(`/api/v1${path}`).set('Authorization', user.bearer),
});

describe('GET /media/{id}', () => {
  it('returns the record with an ETag to readers, and 404 to non-members', async () => {
    const media = await newMedia('get.png');
    const res = await as(studio.viewer).get(`/media/${media.id}`).expect(200);
    expect(res.body.id).toBe(media.id);
    expect(res.headers.etag).toMatch(/^"\d+\.\d{9}"$/);
    const hidden = await as(studio.outsider).get(`/media/${media.id}`).expect(404);
    expect(expectEnvelope(hidden.body, 'NOT_FOUND').message).toBe(`Media ${media.id} not found`);
    const bad = await as(studio.viewer).get('/media/..%2Fx').expect(400);
    expectEnvelope(bad.body, 'VALIDATION_ERROR');
  });
});

describe('GET /media', () => {
  it('pages newest first with totals and a next_page_token', async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) ids.push((await newMedia(`page_${n}.png`, { version: 'v100' })).id);
    const newest = [...ids].reverse();
    const first = await as(studio.viewer).get('/media?version=v100&page_size=2').expect(200);
    expect(first.body).toMatchObject({ total: 5, page: 1, page_size: 2, total_pages: 3 });
    expect(first.body.items.map((m: { id: string }) => m.id)).toEqual(newest.slice(0, 2));
    const second = await as(studio.viewer).get('/media?version=v100&page_size=2&page=2').expect(200);
    expect(second.body.items.map((m: { id: string }) => m.id)).toEqual(newest.slice(2, 4));
    const next = await as(studio.viewer).get(`/media?version=v100&page_size=2&page_token=${first.body.next_page_token}`).expect(200);
    expect(next.body.page).toBe(2);
    expect(next.body.items.map((m: { id: string }) => m.id)).toEqual(newest.slice(2, 4));
  });

  it('lists only projects the caller may read, unless one is named', async () => {
    const fx = await newMedia('fx.png', { version: 'v200' }, studio.artist, OTHER_TASK);
    const rec = await newMedia('rec.png', { version: 'v200' });
    const artist = await as(studio.artist).get('/media?version=v200').expect(200);
    expect(artist.body.items.map((m: { id: string }) => m.id).sort()).toEqual([fx.id, rec.id].sort());
    const viewer = await as(studio.viewer).get('/media?version=v200').expect(200);
    expect(viewer.body.items.map((m: { id: string }) => m.id)).toEqual([rec.id]);
    const outsider = await as(studio.outsider).get('/media?version=v200').expect(200);
    expect(outsider.body).toEqual({ items: [], total: 0, page: 1, page_size: 50, total_pages: 0, next_page_token: null });
    const named = await as(studio.viewer).get('/media?project_id=FX').expect(404);
    expect(expectEnvelope(named.body, 'NOT_FOUND').message).toBe('Project FX not found');
  });

  it('lists uploads still in flight only when asked (status=pending_upload)', async () => {
    const pending = await as(studio.artist).post('/media/upload-url', { task_id: TASK, file_name: 'inflight.exr', file_size: 5, version: 'v300' }).expect(201);
    expect((await as(studio.viewer).get('/media?version=v300').expect(200)).body.total).toBe(0);
    const listed = await as(studio.viewer).get('/media?version=v300&status=pending_upload').expect(200);
    expect(listed.body.items.map((m: { id: string }) => m.id)).toEqual([pending.body.media.id]);
  });

  it('refuses unknown filters and bad values, naming each', async () => {
    const res = await as(studio.viewer).get('/media?media_type=hologram&approval_status=maybe&colour=red').expect(400);
    const fields = (expectEnvelope(res.body, 'VALIDATION_ERROR').details as { errors: { field: string }[] }).errors.map((e) => e.field).sort();
    expect(fields).toEqual(['query', 'query.approval_status', 'query.media_type']);
  });
});

describe('PUT /media/{id}', () => {
  it('changes description, tags and editable metadata, and records who did it', async () => {
    const media = await newMedia('edit.png', { tags: 'a' });
    const res = await as(studio.artist).put(`/media/${media.id}`, { description: 'Final grade', tags: ['final', 'grade', 'final'], metadata: { color_space: 'ACEScg', frame_rate: 24, creation_date: '2025-08-29T10:00:00Z' } }).expect(200);
    expect(res.body).toMatchObject({ description: 'Final grade', tags: ['final', 'grade'], updated_by: studio.artist.uid });
    expect(res.body.metadata).toMatchObject({ color_space: 'ACEScg', frame_rate: 24, creation_date: '2025-08-29T10:00:00.000Z', file_size: png.length });
    expect(res.headers.etag).toMatch(/^"\d+\.\d{9}"$/);
  });

  it('keeps a color space set by a user when the trigger later reads the file', async () => {
    const media = await newMedia('graded.png');
    await as(studio.artist).put(`/media/${media.id}`, { metadata: { color_space: 'ACEScg' } }).expect(200);
    await finalize(ctx, media.storage_key);
    const res = await as(studio.viewer).get(`/media/${media.id}`).expect(200);
    expect(res.body.metadata).toMatchObject({ color_space: 'ACEScg', width: 32, height: 32 });
  });

  it('honours If-Match: 200 with the current ETag, 412 with a stale one', async () => {
    const media = await newMedia('etag.png');
    const current = (await as(studio.viewer).get(`/media/${media.id}`)).headers.etag!;
    const ok = await as(studio.artist).put(`/media/${media.id}`, { description: 'one' }).set('If-Match', current).expect(200);
    const stale = await as(studio.artist).put(`/media/${media.id}`, { description: 'two' }).set('If-Match', current).expect(412);
    expect(expectEnvelope(stale.body, 'PRECONDITION_FAILED').message).toBe(`Media ${media.id} changed since ETag ${current}; reload it and retry`);
    await as(studio.artist).put(`/media/${media.id}`, { description: 'two' }).set('If-Match', ok.headers.etag!).expect(200);
  });

  it('refuses facts read from the file, an empty change, and readers', async () => {
    const media = await newMedia('facts.png');
    const facts = await as(studio.artist).put(`/media/${media.id}`, { metadata: { width: 10 } }).expect(400);
    expect(expectEnvelope(facts.body, 'VALIDATION_ERROR').message).toContain('Unknown field(s): width');
    const empty = await as(studio.artist).put(`/media/${media.id}`, {}).expect(400);
    expect(expectEnvelope(empty.body, 'VALIDATION_ERROR').message).toContain('Give at least one of description, tags or metadata');
    const reader = await as(studio.viewer).put(`/media/${media.id}`, { description: 'x' }).expect(403);
    expectEnvelope(reader.body, 'PERMISSION_DENIED');
  });
});

describe('POST /media/{id}/approve', () => {
  it('leaves a task that is not pending_review where it is on approval', async () => {
    await seedTask(ctx, 'REC', 'ep04_sq0040_sh0050_comp', 'in_progress');
    const media = await newMedia('wip.png', {}, studio.artist, 'ep04_sq0040_sh0050_comp');
    const res = await as(studio.supervisor).post(`/media/${media.id}/approve`, { approval_status: 'approved' }).expect(200);
    expect(res.body.linked_task).toEqual({ id: 'ep04_sq0040_sh0050_comp', previous_status: 'in_progress', status: 'in_progress' });
    expect((await ctx.taskDoc('REC', 'ep04_sq0040_sh0050_comp').get()).get('status')).toBe('in_progress');
  });

  it('keeps every review in the history, reviewer always the caller', async () => {
    const lead = await ctx.createUser({ name: 'lead' });
    await ctx.addMember('REC', lead, ['admin']);
    const media = await newMedia('history.png');
    await as(studio.supervisor).post(`/media/${media.id}/approve`, { approval_status: 'rejected', review_notes: 'Too dark' }).expect(200);
    const res = await as(lead).post(`/media/${media.id}/approve`, { approval_status: 'approved', reviewer: lead.email }).expect(200);
    expect(res.body.approval_history.map((h: { reviewer: string; approval_status: string; review_notes: string }) => [h.reviewer, h.approval_status, h.review_notes])).toEqual([
      [studio.supervisor.uid, 'rejected', 'Too dark'],
      [lead.uid, 'approved', ''],
    ]);
  });

  it('refuses a reviewer other than the caller, unknown decisions, readers and unfinished uploads', async () => {
    const media = await newMedia('refuse.png');
    const other = await as(studio.supervisor).post(`/media/${media.id}/approve`, { approval_status: 'approved', reviewer: 'supervisor_user' }).expect(400);
    expect(expectEnvelope(other.body, 'VALIDATION_ERROR').message).toBe('reviewer is always the caller; omit it or send your own uid');
    const decision = await as(studio.supervisor).post(`/media/${media.id}/approve`, { approval_status: 'maybe' }).expect(400);
    expect(expectEnvelope(decision.body, 'VALIDATION_ERROR').details).toMatchObject({ field: 'approval_status' });
    await as(studio.viewer).post(`/media/${media.id}/approve`, { approval_status: 'approved' }).expect(403);
    await as(studio.outsider).post(`/media/${media.id}/approve`, { approval_status: 'approved' }).expect(404);
    const pending = await as(studio.artist).post('/media/upload-url', { task_id: TASK, file_name: 'notyet.mov', file_size: 10 }).expect(201);
    const early = await as(studio.supervisor).post(`/media/${pending.body.media.id}/approve`, { approval_status: 'approved' }).expect(422);
    expect(expectEnvelope(early.body, 'UNPROCESSABLE').message).toBe(`Media ${pending.body.media.id} has not finished uploading (status pending_upload); it cannot be reviewed yet`);
    expect((await ctx.db.doc(`media/${media.id}`).get()).get('approval_history')).toEqual([]);
  });

  it('honours If-Match with 412 and changes nothing', async () => {
    const media = await newMedia('review-etag.png');
    const etag = (await as(studio.viewer).get(`/media/${media.id}`)).headers.etag!;
    await as(studio.artist).put(`/media/${media.id}`, { description: 'changed' }).expect(200);
    const stale = await as(studio.supervisor).post(`/media/${media.id}/approve`, { approval_status: 'approved' }).set('If-Match', etag).expect(412);
    expectEnvelope(stale.body, 'PRECONDITION_FAILED');
    expect((await ctx.db.doc(`media/${media.id}`).get()).get('approval_status')).toBe('pending');
  });
});

describe('archived projects', () => {
  it('keep their media readable but refuse changes with 422', async () => {
    await ctx.seedProject('ARC');
    await ctx.addMember('ARC', studio.artist, ['write']);
    await ctx.addMember('ARC', studio.supervisor, ['review']);
    await seedTask(ctx, 'ARC', 'ep05_sq0050_sh0050_comp');
    const media = await newMedia('kept.png', {}, studio.artist, 'ep05_sq0050_sh0050_comp');
    await ctx.db.doc('projects/ARC').update({ status: 'archived' });
    await as(studio.artist).get(`/media/${media.id}`).expect(200);
    for (const res of [
      await as(studio.artist).put(`/media/${media.id}`, { description: 'x' }),
      await as(studio.supervisor).post(`/media/${media.id}/approve`, { approval_status: 'approved' }),
      await as(studio.artist).delete(`/media/${media.id}`),
    ]) {
      expect(res.status).toBe(422);
      expect(expectEnvelope(res.body, 'UNPROCESSABLE').message).toBe('Project ARC is archived; its media are read-only');
    }
  });
});

describe('DELETE /media/{id}', () => {
  it('removes the file, thumbnails, record and its uploader\'s annotations; readers and outsiders may not', async () => {
    const media = await newMedia('doomed.png', { version: 'v900' });
    await finalize(ctx, media.storage_key);
    for (const n of [1, 2]) {
      await ctx.db.collection('annotations').add({ media_id: media.id, project_id: 'REC', author: studio.artist.uid, content: `note ${n}`, created_at: FieldValue.serverTimestamp() });
    }
    await ctx.db.collection('annotations').add({ media_id: 'media_other', project_id: 'REC', content: 'elsewhere' });
    await as(studio.viewer).delete(`/media/${media.id}`).expect(403);
    await as(studio.outsider).delete(`/media/${media.id}`).expect(404);
    await as(studio.artist).delete(`/media/${media.id}`).expect(204);
    expect(await storedKeys(ctx, `media/REC/${TASK}/v900/`)).toEqual([]);
    expect(await storedKeys(ctx, `thumbnails/REC/${TASK}/v900/`)).toEqual([]);
    expect((await ctx.db.doc(`media/${media.id}`).get()).exists).toBe(false);
    expect((await ctx.db.collection('annotations').where('media_id', '==', media.id).get()).size).toBe(0);
    expect((await ctx.db.collection('annotations').where('media_id', '==', 'media_other').get()).size).toBe(1);
    await as(studio.artist).delete(`/media/${media.id}`).expect(404);
  });
});
