import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';
import { annotate, castReview, counters, ETAG, ISO, seedMedia, seedTask, setStatus, type ReviewCast } from './fixture.js';

const ctx = createTestContext('annotations-review');
let cast: ReviewCast;

beforeAll(async () => {
  cast = await castReview(ctx);
  await seedTask(ctx, 'ep00_sq0010_sh0020_comp', 'SWA', { start: 1001, end: 1100 });
});

let mediaCount = 0;
/** A fresh 24 fps HD media of sh0020, so each test reads its own counters. */
async function freshMedia(): Promise<string> {
  const id = `shot_${++mediaCount}`;
  await seedMedia(ctx, id, { project_id: 'SWA', linked_task_id: 'ep00_sq0010_sh0020_comp', metadata: { width: 1920, height: 1080, frame_rate: 24 } });
  return id;
}

async function noteOn(media: string, user: TestUser, extra: Record<string, unknown> = {}) {
  const res = await annotate(ctx, user, { media_id: media, annotation_type: 'note', content: 'Roto edge chatters', ...extra }).expect(201);
  return res.body as Record<string, unknown> & { id: string };
}

const put = (id: string, user: TestUser, body: Record<string, unknown>, etag?: string) => {
  const req = ctx.http().put(`/api/v1/annotations/${id}`).set('Authorization', user.bearer);
  return (etag ? req.set('If-Match', etag) : req).send(body);
};
const post = (id: string, action: 'resolve' | 'reopen', user: TestUser) => ctx.http().post(`/api/v1/annotations/${id}/${action}`).set('Authorization', user.bearer);
const del = (id: string, user: TestUser) => ctx.http().delete(`/api/v1/annotations/${id}`).set('Authorization', user.bearer);
const get = (id: string, user: TestUser) => ctx.http().get(`/api/v1/annotations/${id}`).set('Authorization', user.bearer);

describe('threads', () => {
  it('adds replies to the first annotation of a thread; the media counts them in total but not as open', async () => {
    const media = await freshMedia();
    const root = await noteOn(media, cast.admin, { frame_number: 1010 });
    const reply = await noteOn(media, cast.writer, { parent_id: root.id, content: 'Fixed in v004' });
    const second = await noteOn(media, cast.writer2, { parent_id: root.id, content: 'Looks right now' });
    expect(reply).toMatchObject({ parent_id: root.id, author: cast.writer.uid, frame_number: null, reply_count: 0 });
    expect((await get(root.id, cast.reader)).body).toMatchObject({ reply_count: 2, updated_by: cast.writer2.uid });
    expect(await counters(ctx, media)).toEqual({ open: 1, total: 3 });

    const thread = await ctx.http().get('/api/v1/annotations').query({ media_id: media, parent_id: root.id }).set('Authorization', cast.reader.bearer).expect(200);
    expect(thread.body.items.map((a: { id: string }) => a.id)).toEqual([reply.id, second.id]);
  });

  it('refuses a reply to a reply, to another media, to an archived or an unknown annotation', async () => {
    const media = await freshMedia();
    const other = await freshMedia();
    const root = await noteOn(media, cast.writer);
    const reply = await noteOn(media, cast.writer2, { parent_id: root.id });
    const cases: [string, string, string][] = [
      [media, reply.id, `Annotation ${reply.id} is a reply; reply to the first annotation of its thread, ${root.id}`],
      [other, root.id, `Annotation ${root.id} is not an annotation of media ${other}`],
      [media, 'no_such_note', `Annotation no_such_note is not an annotation of media ${media}`],
    ];
    for (const [mediaId, parent, message] of cases) {
      const res = await annotate(ctx, cast.writer, { media_id: mediaId, annotation_type: 'note', content: 're', parent_id: parent }).expect(422);
      expect(expectEnvelope(res.body, 'UNPROCESSABLE')).toMatchObject({ message, details: { field: 'parent_id', issue: message } });
    }
    await del(root.id, cast.writer).expect(204);
    const closed = await annotate(ctx, cast.writer, { media_id: media, annotation_type: 'note', content: 're', parent_id: root.id }).expect(422);
    expect(expectEnvelope(closed.body, 'UNPROCESSABLE').message).toBe(`Annotation ${root.id} is archived; its thread takes no more replies`);
    expect(await counters(ctx, media)).toEqual({ open: 0, total: 0 });
    expect(await counters(ctx, other)).toEqual({ open: 0, total: 0 });
  });
});

describe('resolve and reopen', () => {
  it('records who resolved and reopened, and moves the open counter', async () => {
    const media = await freshMedia();
    const root = await noteOn(media, cast.admin);
    await noteOn(media, cast.writer);

    const resolved = await post(root.id, 'resolve', cast.writer).expect(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolved_by: cast.writer.uid, resolved_at: expect.stringMatching(ISO), updated_by: cast.writer.uid, author: cast.admin.uid });
    expect(resolved.headers.etag).toMatch(ETAG);
    expect(await counters(ctx, media)).toEqual({ open: 1, total: 2 });

    const again = await post(root.id, 'resolve', cast.writer2).expect(409);
    expect(expectEnvelope(again.body, 'CONFLICT').message).toBe(`Annotation ${root.id} is already resolved (by ${cast.writer.uid})`);

    const reopened = await post(root.id, 'reopen', cast.writer2).expect(200);
    expect(reopened.body).toMatchObject({ status: 'active', resolved_by: null, resolved_at: null, reopened_by: cast.writer2.uid, reopened_at: expect.stringMatching(ISO) });
    expect(await counters(ctx, media)).toEqual({ open: 2, total: 2 });
    const open = await post(root.id, 'reopen', cast.writer2).expect(409);
    expect(expectEnvelope(open.body, 'CONFLICT').message).toBe(`Annotation ${root.id} is already open`);
  });

  it('resolves threads, not replies, and lets only writers do it', async () => {
    const media = await freshMedia();
    const root = await noteOn(media, cast.writer);
    const reply = await noteOn(media, cast.writer2, { parent_id: root.id });
    const res = await post(reply.id, 'resolve', cast.writer).expect(422);
    expect(expectEnvelope(res.body, 'UNPROCESSABLE').message).toBe(`Annotation ${reply.id} is a reply; resolve or reopen its thread, annotation ${root.id}`);
    const reader = await post(root.id, 'resolve', cast.reader).expect(403);
    expect(expectEnvelope(reader.body, 'PERMISSION_DENIED').message).toBe("This needs 'write' permission on project SWA");
    const outsider = await post(root.id, 'resolve', cast.outsider).expect(404);
    expect(expectEnvelope(outsider.body, 'NOT_FOUND').message).toBe(`Annotation ${root.id} not found`);
    await post('no_such_note', 'resolve', cast.writer).expect(404);
    expect(await counters(ctx, media)).toEqual({ open: 1, total: 2 });
  });

  it('honours If-Match on resolve', async () => {
    const media = await freshMedia();
    const root = await noteOn(media, cast.writer);
    const seen = await get(root.id, cast.writer);
    await put(root.id, cast.writer, { content: 'Roto edge chatters on frames 1010-1020' }).expect(200);
    const stale = await post(root.id, 'resolve', cast.writer2).set('If-Match', seen.headers.etag!).expect(412);
    expectEnvelope(stale.body, 'PRECONDITION_FAILED');
    expect((await get(root.id, cast.writer)).body.status).toBe('active');
  });
});

describe('PUT /annotations/{id}', () => {
  it('lets the author edit with If-Match, returns the new ETag, and refuses a stale one with 412', async () => {
    const media = await freshMedia();
    const created = await annotate(ctx, cast.writer, { media_id: media, annotation_type: 'note', content: 'Too dark' }).expect(201);
    const edited = await put(created.body.id, cast.writer, { content: 'Too dark in the shadows' }, created.headers.etag).expect(200);
    expect(edited.body).toMatchObject({ content: 'Too dark in the shadows', updated_by: cast.writer.uid, author: cast.writer.uid });
    expect(edited.headers.etag).toMatch(ETAG);
    expect(edited.headers.etag).not.toBe(created.headers.etag);

    const stale = await put(created.body.id, cast.writer, { content: 'Lost update' }, created.headers.etag).expect(412);
    expect(expectEnvelope(stale.body, 'PRECONDITION_FAILED').message).toBe(`The resource changed since ETag ${created.headers.etag}; reload it and retry`);
    const malformed = await put(created.body.id, cast.writer, { content: 'x' }, 'yesterday').expect(400);
    expectEnvelope(malformed.body, 'VALIDATION_ERROR');
    expect((await get(created.body.id, cast.writer)).body.content).toBe('Too dark in the shadows');
  });

  it("refuses a writer editing another's note; the project admin may", async () => {
    const media = await freshMedia();
    const mine = await noteOn(media, cast.writer);
    const res = await put(mine.id, cast.writer2, { content: 'Rewritten by someone else' }).expect(403);
    expect(expectEnvelope(res.body, 'PERMISSION_DENIED').message).toBe(`Only the author or a project admin may edit annotation ${mine.id}`);
    const reader = await put(mine.id, cast.reader, { content: 'x' }).expect(403);
    expect(expectEnvelope(reader.body, 'PERMISSION_DENIED').message).toBe("This needs 'write' permission on project SWA");
    await put(mine.id, cast.outsider, { content: 'x' }).expect(404);

    const byAdmin = await put(mine.id, cast.admin, { content: 'Roto edge chatters (see ref)', annotation_type: 'markup', position: { x: 10, y: 10, width: 100, height: 100 } }).expect(200);
    expect(byAdmin.body).toMatchObject({ author: cast.writer.uid, updated_by: cast.admin.uid, annotation_type: 'markup', content: 'Roto edge chatters (see ref)' });
  });

  it('checks the edited annotation by the rules of creation', async () => {
    const media = await freshMedia();
    const markup = await annotate(ctx, cast.writer, { media_id: media, annotation_type: 'markup', position: { x: 1, y: 1, width: 5, height: 5 }, frame_number: 1010 }).expect(201);
    const id = markup.body.id as string;

    const bare = await put(id, cast.writer, { position: null }).expect(400);
    expect(expectEnvelope(bare.body, 'VALIDATION_ERROR')).toMatchObject({ message: 'Invalid body: position: A markup needs a position or a drawing', details: { field: 'position' } });
    const empty = await put(id, cast.writer, {}).expect(400);
    expect(expectEnvelope(empty.body, 'VALIDATION_ERROR').message).toContain('Give at least one of annotation_type, content, position, timestamp, frame_number, drawing');
    const sneaky = await put(id, cast.writer, { content: 'x', author: cast.admin.uid, media_id: 'shot_x' }).expect(400);
    expect(expectEnvelope(sneaky.body, 'VALIDATION_ERROR').message).toBe('Invalid body: body: Unknown field(s): author, media_id');
    const outside = await put(id, cast.writer, { position: { x: 1900, y: 0, width: 100, height: 10 } }).expect(422);
    expect(expectEnvelope(outside.body, 'UNPROCESSABLE').message).toBe('position: Position (1900, 0, 100×10) lies outside the 1920×1080 px picture');
    const disagree = await put(id, cast.writer, { timestamp: 1.5, frame_number: 1036 }).expect(422);
    expect(expectEnvelope(disagree.body, 'UNPROCESSABLE').message).toBe('frame_number: timestamp 1.5 s is frame 1037 at 24 fps (first frame 1001), but frame_number is 1036');
    const outOfRange = await put(id, cast.writer, { frame_number: 1200 }).expect(422);
    expect(expectEnvelope(outOfRange.body, 'UNPROCESSABLE').message).toBe("frame_number: Frame 1200 is outside the task's frame range 1001-1100");

    // Moving the frame moves the timestamp with it (and the other way round).
    const moved = await put(id, cast.writer, { frame_number: 1025 }).expect(200);
    expect(moved.body).toMatchObject({ frame_number: 1025, timestamp: 1, position: { x: 1, y: 1, width: 5, height: 5 } });
    const retimed = await put(id, cast.writer, { timestamp: 0.5 }).expect(200);
    expect(retimed.body).toMatchObject({ frame_number: 1013, timestamp: 0.5 });
    const cleared = await put(id, cast.writer, { timestamp: null }).expect(200);
    expect(cleared.body).toMatchObject({ frame_number: null, timestamp: null });
  });
});

describe('DELETE /annotations/{id} (archive)', () => {
  it("archives a reply (author) and a whole thread (admin), keeping the media's counters exact", async () => {
    const media = await freshMedia();
    const root = await noteOn(media, cast.writer);
    const reply = await noteOn(media, cast.writer2, { parent_id: root.id });
    const reply2 = await noteOn(media, cast.writer, { parent_id: root.id });
    const lone = await noteOn(media, cast.writer2);
    await post(lone.id, 'resolve', cast.writer).expect(200);
    expect(await counters(ctx, media)).toEqual({ open: 1, total: 4 });

    await del(reply.id, cast.writer2).expect(204);
    expect((await get(reply.id, cast.reader)).body).toMatchObject({ status: 'archived', archived_by: cast.writer2.uid, archived_at: expect.stringMatching(ISO) });
    expect((await get(root.id, cast.reader)).body.reply_count).toBe(1);
    expect(await counters(ctx, media)).toEqual({ open: 1, total: 3 });

    await del(root.id, cast.admin).expect(204);
    expect((await get(root.id, cast.reader)).body).toMatchObject({ status: 'archived', archived_by: cast.admin.uid, reply_count: 0 });
    expect((await get(reply2.id, cast.reader)).body).toMatchObject({ status: 'archived', archived_by: cast.admin.uid });
    expect(await counters(ctx, media)).toEqual({ open: 0, total: 1 });

    await del(lone.id, cast.writer2).expect(204);
    expect(await counters(ctx, media)).toEqual({ open: 0, total: 0 });
    await del(lone.id, cast.writer2).expect(204);
    expect(await counters(ctx, media)).toEqual({ open: 0, total: 0 });
  });

  it("refuses a writer archiving another's note, and changes to archived annotations", async () => {
    const media = await freshMedia();
    const mine = await noteOn(media, cast.writer);
    const res = await del(mine.id, cast.writer2).expect(403);
    expect(expectEnvelope(res.body, 'PERMISSION_DENIED').message).toBe(`Only the author or a project admin may delete annotation ${mine.id}`);
    await del(mine.id, cast.reader).expect(403);
    await del(mine.id, cast.outsider).expect(404);
    await del('no_such_note', cast.writer).expect(404);

    await del(mine.id, cast.writer).expect(204);
    const edit = await put(mine.id, cast.writer, { content: 'x' }).expect(422);
    expect(expectEnvelope(edit.body, 'UNPROCESSABLE').message).toBe(`Annotation ${mine.id} is archived and can no longer be edited`);
    const resolve = await post(mine.id, 'resolve', cast.writer).expect(422);
    expect(expectEnvelope(resolve.body, 'UNPROCESSABLE').message).toBe(`Annotation ${mine.id} is archived and cannot be resolved`);
    await post(mine.id, 'reopen', cast.writer).expect(422);
  });
});

describe('archived media and projects', () => {
  it('keeps their annotations readable but unchangeable', async () => {
    const media = await freshMedia();
    const a = await noteOn(media, cast.writer);
    await setStatus(ctx, `media/${media}`, 'archived');
    const res = await put(a.id, cast.writer, { content: 'x' }).expect(422);
    expect(expectEnvelope(res.body, 'UNPROCESSABLE').message).toBe(`Media ${media} is archived; its annotations are read-only`);
    await post(a.id, 'resolve', cast.writer).expect(422);
    await del(a.id, cast.writer).expect(422);
    await get(a.id, cast.reader).expect(200);
    expect(await counters(ctx, media)).toEqual({ open: 1, total: 1 });

    await ctx.seedProject('WRAPPED');
    await ctx.addMember('WRAPPED', cast.writer, ['write']);
    await seedMedia(ctx, 'wrapped_shot', { project_id: 'WRAPPED' });
    const b = await noteOn('wrapped_shot', cast.writer);
    await setStatus(ctx, 'projects/WRAPPED', 'archived');
    const closed = await post(b.id, 'resolve', cast.writer).expect(422);
    expect(expectEnvelope(closed.body, 'UNPROCESSABLE').message).toBe('Project WRAPPED is archived; its annotations are read-only');
  });
});

describe('GET /annotations/{id}', () => {
  it('shows an annotation to readers of its project only', async () => {
    const media = await freshMedia();
    const a = await noteOn(media, cast.writer);
    const res = await get(a.id, cast.reader).expect(200);
    expect(res.body.id).toBe(a.id);
    const outsider = await get(a.id, cast.outsider).expect(404);
    expect(expectEnvelope(outsider.body, 'NOT_FOUND').message).toBe(`Annotation ${a.id} not found`);
    const bad = await get('..', cast.reader).expect(400);
    expectEnvelope(bad.body, 'VALIDATION_ERROR');
  });
});
