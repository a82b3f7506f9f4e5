import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext } from '../support/context.js';
import { annotate, castReview, counters, seedMedia, type ReviewCast } from './fixture.js';

const ctx = createTestContext('annotations-concurrency');
let cast: ReviewCast;

beforeAll(async () => {
  cast = await castReview(ctx);
  await seedMedia(ctx, 'dailies', { project_id: 'SWA', metadata: { width: 1920, height: 1080, frame_rate: 24 } });
});

describe('many reviewers at once', () => {
  it('keeps the media counters exact under 20 concurrent creates', async () => {
    const reviewers = [cast.admin, cast.writer, cast.writer2];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => annotate(ctx, reviewers[i % 3]!, { media_id: 'dailies', annotation_type: 'note', content: `Note ${i}`, frame_number: i })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(20);
    expect(await counters(ctx, 'dailies')).toEqual({ open: 20, total: 20 });
    const stored = await ctx.db.collection('annotations').where('media_id', '==', 'dailies').count().get();
    expect(stored.data().count).toBe(20);
  });

  it('keeps them exact while threads are resolved, replied to and archived at the same time', async () => {
    const roots = (await ctx.http().get('/api/v1/annotations').query({ media_id: 'dailies', page_size: 20 }).set('Authorization', cast.reader.bearer).expect(200)).body
      .items as { id: string }[];
    expect(roots).toHaveLength(20);
    const calls = [
      ...roots.slice(0, 8).map((a) => ctx.http().post(`/api/v1/annotations/${a.id}/resolve`).set('Authorization', cast.writer2.bearer)),
      ...roots.slice(8, 14).map((a) => annotate(ctx, cast.writer, { media_id: 'dailies', annotation_type: 'note', content: 'On it', parent_id: a.id })),
      ...roots.slice(14, 20).map((a) => ctx.http().delete(`/api/v1/annotations/${a.id}`).set('Authorization', cast.admin.bearer)),
    ];
    const statuses = (await Promise.all(calls)).map((r) => r.status);
    expect(statuses).toEqual([...Array(8).fill(200), ...Array(6).fill(201), ...Array(6).fill(204)]);
    // 20 threads − 6 archived = 14 (+6 replies) in total; open: 14 live threads − 8 resolved.
    expect(await counters(ctx, 'dailies')).toEqual({ open: 6, total: 20 });
  });

  it('never leaves a live reply in a thread archived while replies arrive', async () => {
    await seedMedia(ctx, 'turntable', { project_id: 'SWA' });
    const root = await annotate(ctx, cast.writer, { media_id: 'turntable', annotation_type: 'note', content: 'Spec too hot' }).expect(201);
    const reply = () => annotate(ctx, cast.writer2, { media_id: 'turntable', annotation_type: 'note', content: 'Agreed', parent_id: root.body.id });
    const [r1, r2, archived, r3, r4, r5] = await Promise.all([
      reply(),
      reply(),
      ctx.http().delete(`/api/v1/annotations/${root.body.id}`).set('Authorization', cast.writer.bearer),
      reply(),
      reply(),
      reply(),
    ]);
    expect(archived.status).toBe(204);
    const replies = [r1!, r2!, r3!, r4!, r5!];
    // Each reply either joined the thread before it was archived (and was archived with it) or was refused.
    for (const r of replies) expect([201, 422]).toContain(r.status);
    const live = await ctx.db.collection('annotations').where('media_id', '==', 'turntable').where('status', '!=', 'archived').count().get();
    expect(live.data().count).toBe(0);
    expect(await counters(ctx, 'turntable')).toEqual({ open: 0, total: 0 });
  });
});
