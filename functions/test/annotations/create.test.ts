import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope } from '../support/context.js';
import { annotate, castReview, counters, ETAG, ISO, seedMedia, seedTask, setStatus, type ReviewCast } from './fixture.js';

const ctx = createTestContext('annotations-create');
let cast: ReviewCast;

// shot_a: HD 24 fps comp of sh0020 (frames 1001-1100); plate_25: 25 fps; still: no size, no task.
beforeAll(async () => {
  cast = await castReview(ctx);
  await ctx.seedProject('OTHER');
  await seedTask(ctx, 'ep00_sq0010_sh0020_comp', 'SWA', { start: 1001, end: 1100 });
  await Promise.all([
    seedMedia(ctx, 'shot_a', { project_id: 'SWA', linked_task_id: 'ep00_sq0010_sh0020_comp', metadata: { width: 1920, height: 1080, frame_rate: 24 } }),
    seedMedia(ctx, 'plate_25', { project_id: 'SWA', linked_task_id: 'ep00_sq0010_sh0020_comp', metadata: { width: 1920, height: 1080, frame_rate: 25 } }),
    seedMedia(ctx, 'untasked_24', { project_id: 'SWA', metadata: { width: 1920, height: 1080, frame_rate: 24 } }),
    seedMedia(ctx, 'still', { project_id: 'SWA' }),
    seedMedia(ctx, 'old_cut', { project_id: 'SWA', status: 'archived' }),
    seedMedia(ctx, 'uploading', { project_id: 'SWA', status: 'pending_upload' }),
    seedMedia(ctx, 'other_shot', { project_id: 'OTHER' }),
  ]);
});

const note = (extra: Record<string, unknown> = {}) => ({ media_id: 'shot_a', annotation_type: 'note', content: 'Shadows need adjustment', ...extra });

describe('POST /annotations', () => {
  it('creates a note: the caller is the author, the project comes from the media, the media counts it', async () => {
    const res = await annotate(ctx, cast.writer, note({ position: { x: 100, y: 200, width: 50, height: 30 }, timestamp: 1.5, frame_number: 1037 })).expect(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      media_id: 'shot_a',
      project_id: 'SWA',
      author: cast.writer.uid,
      author_name: 'artist',
      annotation_type: 'note',
      content: 'Shadows need adjustment',
      position: { x: 100, y: 200, width: 50, height: 30 },
      drawing: null,
      coordinates: 'pixels',
      timestamp: 1.5,
      frame_number: 1037,
      parent_id: null,
      reply_count: 0,
      status: 'active',
      resolved_by: null,
      resolved_at: null,
      reopened_by: null,
      reopened_at: null,
      archived_by: null,
      archived_at: null,
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
      updated_by: cast.writer.uid,
    });
    expect(res.headers.etag).toMatch(ETAG);
    const got = await ctx.http().get(`/api/v1/annotations/${res.body.id}`).set('Authorization', cast.reader.bearer).expect(200);
    expect(got.body).toEqual(res.body);
    expect(got.headers.etag).toBe(res.headers.etag);
    expect(await counters(ctx, 'shot_a')).toEqual({ open: 1, total: 1 });
    expect((await ctx.db.doc('media/shot_a').get()).get('updated_by')).toBe(cast.writer.uid);
  });

  it('refuses author, project_id or status in the body', async () => {
    const res = await annotate(ctx, cast.writer, note({ author: cast.admin.uid, project_id: 'OTHER', status: 'resolved' })).expect(400);
    expect(expectEnvelope(res.body, 'VALIDATION_ERROR').message).toBe('Invalid body: body: Unknown field(s): author, project_id, status');
  });

  it('names the bad field of each malformed body and writes nothing', async () => {
    const before = (await ctx.db.collection('annotations').count().get()).data().count;
    const stroke = (n: number) => ({ points: Array.from({ length: n }, (_, i) => ({ x: i % 1000, y: 10 })), colour: '#ff0000', width: 2 });
    const cases: [Record<string, unknown>, string, string][] = [
      [note({ content: 'x'.repeat(5001) }), 'content', 'content is at most 5000 characters'],
      [note({ content: '' }), 'content', 'A note needs content'],
      [note({ content: '   ' }), 'content', 'A note needs content'],
      [{ media_id: 'shot_a', annotation_type: 'markup', content: 'here' }, 'position', 'A markup needs a position or a drawing'],
      [note({ annotation_type: 'comment' }), 'annotation_type', 'annotation_type must be one of note, markup, approval'],
      [note({ timestamp: -0.5 }), 'timestamp', 'timestamp must be 0 or more'],
      [note({ timestamp: '1.5' }), 'timestamp', 'timestamp must be a number of seconds'],
      [note({ frame_number: 1037.5 }), 'frame_number', 'frame_number must be a whole number'],
      [note({ frame_number: -1 }), 'frame_number', 'frame_number must be 0 or more'],
      [note({ position: { x: 1, y: 2, width: 3 } }), 'position.height', 'height must be a number'],
      [note({ position: { x: -1, y: 2, width: 3, height: 4 } }), 'position.x', 'x must be 0 or more'],
      [note({ drawing: { strokes: [{ ...stroke(2), colour: 'red' }] } }), 'drawing.strokes.0.colour', 'colour must be #RRGGBB or #RRGGBBAA'],
      [note({ drawing: { strokes: [{ ...stroke(2), width: 0 }] } }), 'drawing.strokes.0.width', 'width must be more than 0'],
      [note({ drawing: { strokes: [] } }), 'drawing.strokes', 'A drawing needs at least one stroke'],
      [note({ drawing: { strokes: [stroke(2000), stroke(2000), stroke(1001)] } }), 'drawing', 'A drawing has at most 5000 points in all'],
      [note({ media_id: '../projects' }), 'media_id', "Media id may not contain '..'"],
      [note({ parent_id: 'a/b' }), 'parent_id', 'Annotation id may only contain letters, digits, _, . and -'],
    ];
    for (const [body, field, issue] of cases) {
      const res = await annotate(ctx, cast.writer, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      const error = expectEnvelope(res.body, 'VALIDATION_ERROR');
      expect((error.details as { errors: { field: string; issue: string }[] }).errors).toContainEqual({ field, issue });
    }
    expect((await ctx.db.collection('annotations').count().get()).data().count).toBe(before);
  });

  it('accepts a markup with only a drawing or only a position, and keeps the strokes as drawn', async () => {
    const drawing = { strokes: [{ points: [{ x: 10, y: 10 }, { x: 200.5, y: 80 }, { x: 400, y: 90 }], colour: '#FF8800cc', width: 4 }] };
    const drawn = await annotate(ctx, cast.writer, { media_id: 'shot_a', annotation_type: 'markup', drawing }).expect(201);
    expect(drawn.body).toMatchObject({ annotation_type: 'markup', content: '', drawing, position: null, coordinates: 'pixels' });
    const boxed = await annotate(ctx, cast.writer, { media_id: 'shot_a', annotation_type: 'markup', position: { x: 0, y: 0, width: 10, height: 10 } }).expect(201);
    expect(boxed.body).toMatchObject({ drawing: null, position: { x: 0, y: 0, width: 10, height: 10 } });
    const approval = await annotate(ctx, cast.admin, { media_id: 'shot_a', annotation_type: 'approval' }).expect(201);
    expect(approval.body).toMatchObject({ annotation_type: 'approval', content: '', author: cast.admin.uid });
  });

  it('keeps position and drawing inside the picture when its size is known', async () => {
    const edge = await annotate(ctx, cast.writer, note({ position: { x: 1880, y: 1050, width: 40, height: 30 } })).expect(201);
    expect(edge.body.position).toEqual({ x: 1880, y: 1050, width: 40, height: 30 });

    const wide = await annotate(ctx, cast.writer, note({ position: { x: 1900, y: 0, width: 40, height: 10 } })).expect(422);
    const error = expectEnvelope(wide.body, 'UNPROCESSABLE');
    expect(error.message).toBe('position: Position (1900, 0, 40×10) lies outside the 1920×1080 px picture');
    expect(error.details).toMatchObject({ field: 'position' });

    const drawing = { strokes: [{ points: [{ x: 5, y: 5 }, { x: 1921, y: 5 }], colour: '#00ff00', width: 2 }] };
    const off = await annotate(ctx, cast.writer, { media_id: 'shot_a', annotation_type: 'markup', drawing }).expect(422);
    expect(expectEnvelope(off.body, 'UNPROCESSABLE').message).toBe('drawing.strokes.0.points.1: Point (1921, 5) lies outside the 1920×1080 px picture');
  });

  it("takes pixel positions as given while the media's size is unknown (video, or an upload not read yet)", async () => {
    const ok = await annotate(ctx, cast.writer, note({ media_id: 'still', position: { x: 100, y: 200, width: 50, height: 30 } })).expect(201);
    expect(ok.body).toMatchObject({ coordinates: 'pixels', position: { x: 100, y: 200, width: 50, height: 30 } });
    const drawing = { strokes: [{ points: [{ x: 5000, y: 3000 }], colour: '#00ff00', width: 4 }] };
    expect((await annotate(ctx, cast.writer, { media_id: 'still', annotation_type: 'markup', drawing }).expect(201)).body.drawing).toEqual(drawing);
  });

  it("keeps frame_number inside the linked task's frame range (inclusive)", async () => {
    for (const frame of [1000, 1101]) {
      const res = await annotate(ctx, cast.writer, note({ frame_number: frame })).expect(422);
      expect(expectEnvelope(res.body, 'UNPROCESSABLE').message).toBe(`frame_number: Frame ${frame} is outside the task's frame range 1001-1100`);
    }
    const first = await annotate(ctx, cast.writer, note({ frame_number: 1001 })).expect(201);
    expect(first.body).toMatchObject({ frame_number: 1001, timestamp: 0 });
    const last = await annotate(ctx, cast.writer, note({ frame_number: 1100 })).expect(201);
    expect(last.body).toMatchObject({ frame_number: 1100, timestamp: 4.125 });

    const late = await annotate(ctx, cast.writer, note({ timestamp: 4.2 })).expect(422);
    expect(expectEnvelope(late.body, 'UNPROCESSABLE').message).toBe("timestamp: Frame 1101 (derived from timestamp 4.2 s at 24 fps) is outside the task's frame range 1001-1100");
  });

  it('requires timestamp and frame_number to name the same frame, without the off-by-one at frame boundaries', async () => {
    // 1.5 s at 24 fps is exactly the start of the 37th frame after 1001: frame 1037, not 1036.
    await annotate(ctx, cast.writer, note({ timestamp: 1.5, frame_number: 1037 })).expect(201);
    const before = await annotate(ctx, cast.writer, note({ timestamp: 1.5, frame_number: 1036 })).expect(422);
    const error = expectEnvelope(before.body, 'UNPROCESSABLE');
    expect(error.message).toBe('frame_number: timestamp 1.5 s is frame 1037 at 24 fps (first frame 1001), but frame_number is 1036');
    expect(error.details).toMatchObject({ field: 'frame_number' });

    // 1.54 s is 36.96 frames in: still frame 1037 on screen (rounding would wrongly say 1038).
    await annotate(ctx, cast.writer, note({ timestamp: 1.54, frame_number: 1037 })).expect(201);
    await annotate(ctx, cast.writer, note({ timestamp: 1.54, frame_number: 1038 })).expect(422);

    // 1.16 s × 25 fps is 28.999999999999996 in floating point; it is still the start of frame 1030.
    const plate = await annotate(ctx, cast.writer, note({ media_id: 'plate_25', timestamp: 1.16, frame_number: 1030 })).expect(201);
    expect(plate.body).toMatchObject({ timestamp: 1.16, frame_number: 1030 });
    const naive = await annotate(ctx, cast.writer, note({ media_id: 'plate_25', timestamp: 1.16, frame_number: 1029 })).expect(422);
    expect(expectEnvelope(naive.body, 'UNPROCESSABLE').message).toBe('frame_number: timestamp 1.16 s is frame 1030 at 25 fps (first frame 1001), but frame_number is 1029');
  });

  it('derives the missing one of timestamp and frame_number when the frame rate is known, counting from 0 without a frame range', async () => {
    const fromTime = await annotate(ctx, cast.writer, note({ timestamp: 2 })).expect(201);
    expect(fromTime.body).toMatchObject({ timestamp: 2, frame_number: 1049 });
    const fromFrame = await annotate(ctx, cast.writer, note({ frame_number: 1049 })).expect(201);
    expect(fromFrame.body).toMatchObject({ timestamp: 2, frame_number: 1049 });

    const untasked = await annotate(ctx, cast.writer, note({ media_id: 'untasked_24', timestamp: 1.5 })).expect(201);
    expect(untasked.body).toMatchObject({ timestamp: 1.5, frame_number: 36 });
    await annotate(ctx, cast.writer, note({ media_id: 'untasked_24', timestamp: 1.5, frame_number: 37 })).expect(422);

    // No frame rate: nothing to derive or compare, both kept as given.
    const still = await annotate(ctx, cast.writer, note({ media_id: 'still', timestamp: 3, frame_number: 7 })).expect(201);
    expect(still.body).toMatchObject({ timestamp: 3, frame_number: 7 });
    const bare = await annotate(ctx, cast.writer, note({ media_id: 'still', timestamp: 3 })).expect(201);
    expect(bare.body).toMatchObject({ timestamp: 3, frame_number: null });
  });

  it('refuses annotations on archived or uploading media and in archived projects, and counts nothing', async () => {
    const archived = await annotate(ctx, cast.writer, note({ media_id: 'old_cut' })).expect(422);
    expect(expectEnvelope(archived.body, 'UNPROCESSABLE').message).toBe('Media old_cut is archived; its annotations are read-only');
    const uploading = await annotate(ctx, cast.writer, note({ media_id: 'uploading' })).expect(422);
    expect(expectEnvelope(uploading.body, 'UNPROCESSABLE').message).toBe('Media uploading is still uploading; annotate it once the upload completes');

    await ctx.seedProject('WRAPPED', { status: 'archived' });
    await ctx.addMember('WRAPPED', cast.writer, ['write']);
    await seedMedia(ctx, 'wrapped_shot', { project_id: 'WRAPPED' });
    const wrapped = await annotate(ctx, cast.writer, note({ media_id: 'wrapped_shot' })).expect(422);
    expect(expectEnvelope(wrapped.body, 'UNPROCESSABLE').message).toBe('Project WRAPPED is archived; its annotations are read-only');
    expect(await counters(ctx, 'old_cut')).toEqual({ open: 0, total: 0 });
    expect(await counters(ctx, 'wrapped_shot')).toEqual({ open: 0, total: 0 });
  });

  it('takes a project archived after the media was made into account', async () => {
    await ctx.seedProject('CLOSING');
    await ctx.addMember('CLOSING', cast.writer, ['write']);
    await seedMedia(ctx, 'closing_shot', { project_id: 'CLOSING' });
    await annotate(ctx, cast.writer, note({ media_id: 'closing_shot' })).expect(201);
    await setStatus(ctx, 'projects/CLOSING', 'archived');
    await annotate(ctx, cast.writer, note({ media_id: 'closing_shot' })).expect(422);
    expect(await counters(ctx, 'closing_shot')).toEqual({ open: 1, total: 1 });
  });

  it('lets only members with write annotate, and hides other projects’ media', async () => {
    const reader = await annotate(ctx, cast.reader, note()).expect(403);
    expect(expectEnvelope(reader.body, 'PERMISSION_DENIED').message).toBe("This needs 'write' permission on project SWA");
    const outsider = await annotate(ctx, cast.outsider, note()).expect(404);
    expect(expectEnvelope(outsider.body, 'NOT_FOUND').message).toBe('Media shot_a not found');
    const elsewhere = await annotate(ctx, cast.writer, note({ media_id: 'other_shot' })).expect(404);
    expect(expectEnvelope(elsewhere.body, 'NOT_FOUND').message).toBe('Media other_shot not found');
    const missing = await annotate(ctx, cast.writer, note({ media_id: 'no_such_media' })).expect(404);
    expect(expectEnvelope(missing.body, 'NOT_FOUND').message).toBe('Media no_such_media not found');
    const anonymous = await ctx.http().post('/api/v1/annotations').send(note()).expect(401);
    expectEnvelope(anonymous.body, 'UNAUTHENTICATED');
  });

  it('documents the coordinate and frame conventions in the OpenAPI document', async () => {
    const res = await ctx.http().get('/api/v1/openapi.json').expect(200);
    const post = res.body.paths['/api/v1/annotations'].post;
    expect(post.description).toContain('first_frame + floor(timestamp × fps + 1e-6)');
    expect(post.description).toContain('when the size is not known (video, or an image whose upload has not been read yet) they are taken as given');
    expect(post.requestBody.content['application/json'].schema.required).toEqual(['media_id', 'annotation_type']);
    expect(Object.keys(res.body.paths['/api/v1/annotations/{annotation_id}'])).toEqual(['get', 'put', 'delete']);
    expect(res.body.paths['/api/v1/annotations/{annotation_id}/resolve'].post.responses['409'].description).toBe('Already resolved');
  });
});
