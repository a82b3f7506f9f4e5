import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';
import { annotate, castReview, seedMedia, seedTask, type ReviewCast } from './fixture.js';

const ctx = createTestContext('annotations-list');
let cast: ReviewCast;
/** Annotation ids by name, in the order they were created. */
const ids: Record<string, string> = {};

const list = (user: TestUser, query: Record<string, string | number | boolean>) => ctx.http().get('/api/v1/annotations').query(query).set('Authorization', user.bearer);
const names = (items: { id: string }[]) => items.map((a) => Object.entries(ids).find(([, id]) => id === a.id)?.[0] ?? a.id);

beforeAll(async () => {
  cast = await castReview(ctx);
  await ctx.seedProject('OTHER');
  await ctx.addMember('OTHER', cast.writer, ['write']);
  await seedTask(ctx, 'ep00_sq0010_sh0020_comp', 'SWA', { start: 1001, end: 1100 });
  await seedMedia(ctx, 'shot_a', { project_id: 'SWA', linked_task_id: 'ep00_sq0010_sh0020_comp', metadata: { width: 1920, height: 1080, frame_rate: 24 } });
  await seedMedia(ctx, 'shot_b', { project_id: 'SWA', linked_task_id: 'ep00_sq0010_sh0020_comp', metadata: { width: 1920, height: 1080, frame_rate: 24 } });
  await seedMedia(ctx, 'elsewhere', { project_id: 'OTHER' });

  // Created one after the other so creation order is unambiguous.
  const make = async (name: string, user: TestUser, body: Record<string, unknown>) => {
    const res = await annotate(ctx, user, { media_id: 'shot_a', annotation_type: 'note', content: name, ...body }).expect(201);
    ids[name] = res.body.id;
  };
  await make('late_frame', cast.writer, { frame_number: 1050 });
  await make('early_frame', cast.writer2, { frame_number: 1010 });
  await make('overall', cast.admin, { annotation_type: 'approval' });
  await make('timed_markup', cast.writer, { timestamp: 2, annotation_type: 'markup', position: { x: 1, y: 1, width: 2, height: 2 } });
  await make('early_frame_again', cast.writer, { frame_number: 1010 });
  await make('reply', cast.writer2, { parent_id: ids.late_frame });
  await make('resolved_note', cast.writer2, { frame_number: 1020 });
  await make('archived_note', cast.writer, { frame_number: 1030 });
  await make('on_b', cast.writer, { media_id: 'shot_b', frame_number: 1001 });
  await make('other_project', cast.writer, { media_id: 'elsewhere' });
  await ctx.http().post(`/api/v1/annotations/${ids.resolved_note}/resolve`).set('Authorization', cast.admin.bearer).expect(200);
  await ctx.http().delete(`/api/v1/annotations/${ids.archived_note}`).set('Authorization', cast.writer.bearer).expect(204);
});

describe('GET /annotations', () => {
  it('lists a media by frame, then creation time (no frame first), hiding archived ones', async () => {
    const res = await list(cast.reader, { media_id: 'shot_a' }).expect(200);
    expect(names(res.body.items)).toEqual(['overall', 'reply', 'early_frame', 'early_frame_again', 'resolved_note', 'timed_markup', 'late_frame']);
    expect(res.body).toMatchObject({ total: 7, page: 1, page_size: 50, total_pages: 1, next_page_token: null });
    expect(res.body.items[5]).toMatchObject({ frame_number: 1049, timestamp: 2, annotation_type: 'markup' });
  });

  it('filters by author, type, status, frame and thread', async () => {
    const cases: [Record<string, string | number | boolean>, string[]][] = [
      [{ author: cast.writer2.uid }, ['reply', 'early_frame', 'resolved_note']],
      [{ annotation_type: 'approval' }, ['overall']],
      [{ annotation_type: 'markup' }, ['timed_markup']],
      [{ status: 'resolved' }, ['resolved_note']],
      [{ status: 'active', author: cast.writer2.uid }, ['reply', 'early_frame']],
      [{ status: 'archived' }, ['archived_note']],
      [{ include_archived: true }, ['overall', 'reply', 'early_frame', 'early_frame_again', 'resolved_note', 'archived_note', 'timed_markup', 'late_frame']],
      [{ frame_number: 1010 }, ['early_frame', 'early_frame_again']],
      [{ frame_number: 1010, author: cast.writer.uid }, ['early_frame_again']],
      [{ parent_id: ids.late_frame! }, ['reply']],
      [{ author: cast.outsider.uid }, []],
    ];
    for (const [filters, expected] of cases) {
      const res = await list(cast.reader, { media_id: 'shot_a', ...filters }).expect(200);
      expect(names(res.body.items), JSON.stringify(filters)).toEqual(expected);
      expect(res.body.total).toBe(expected.length);
    }
  });

  it('lists a whole project the caller reads, and nothing of other projects', async () => {
    const res = await list(cast.reader, { project_id: 'SWA', frame_number: 1001 }).expect(200);
    expect(names(res.body.items)).toEqual(['on_b']);
    const all = await list(cast.writer, { project_id: 'SWA' }).expect(200);
    expect(all.body.total).toBe(8);
    expect(names(all.body.items)).not.toContain('other_project');
    const both = await list(cast.writer, { project_id: 'OTHER', media_id: 'shot_a' }).expect(200);
    expect(both.body.items).toEqual([]);
  });

  it('pages with page_token in frame order, and by page number', async () => {
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string | number> = { media_id: 'shot_a', page_size: 3 };
      if (token) query.page_token = token;
      const res = await list(cast.reader, query).expect(200);
      expect(res.body).toMatchObject({ total: 7, page_size: 3, total_pages: 3, page: pages + 1 });
      seen.push(...names(res.body.items));
      token = res.body.next_page_token;
      pages += 1;
    } while (token && pages < 5);
    expect(pages).toBe(3);
    expect(seen).toEqual(['overall', 'reply', 'early_frame', 'early_frame_again', 'resolved_note', 'timed_markup', 'late_frame']);

    const second = await list(cast.reader, { media_id: 'shot_a', page_size: 3, page: 2 }).expect(200);
    expect(names(second.body.items)).toEqual(['early_frame_again', 'resolved_note', 'timed_markup']);
  });

  it('refuses a token from another query', async () => {
    const first = await list(cast.reader, { media_id: 'shot_a', page_size: 2 }).expect(200);
    const res = await list(cast.reader, { media_id: 'shot_a', page_size: 2, status: 'resolved', page_token: first.body.next_page_token }).expect(400);
    expect(expectEnvelope(res.body, 'VALIDATION_ERROR').message).toBe('page_token belongs to a different query (filters or sort changed)');
  });

  it('needs a media or project scope the caller can read', async () => {
    const unscoped = await list(cast.admin, { author: cast.writer.uid }).expect(400);
    expect(expectEnvelope(unscoped.body, 'VALIDATION_ERROR').message).toBe('Invalid query: query.media_id: Give media_id or project_id: annotations are listed per media or per project');
    const outsiderMedia = await list(cast.outsider, { media_id: 'shot_a' }).expect(404);
    expect(expectEnvelope(outsiderMedia.body, 'NOT_FOUND').message).toBe('Media shot_a not found');
    const outsiderProject = await list(cast.outsider, { project_id: 'SWA' }).expect(404);
    expect(expectEnvelope(outsiderProject.body, 'NOT_FOUND').message).toBe('Project SWA not found');
    const missing = await list(cast.reader, { media_id: 'no_such_media' }).expect(404);
    expect(expectEnvelope(missing.body, 'NOT_FOUND').message).toBe('Media no_such_media not found');
    await ctx.http().get('/api/v1/annotations').query({ media_id: 'shot_a' }).expect(401);
  });

  it('names each bad filter', async () => {
    const cases: [Record<string, string | number>, string][] = [
      [{ media_id: 'shot_a', status: 'open' }, 'query.status'],
      [{ media_id: 'shot_a', annotation_type: 'comment' }, 'query.annotation_type'],
      [{ media_id: 'shot_a', frame_number: 'ten' }, 'query.frame_number'],
      [{ media_id: 'shot_a', frame_number: 10.5 }, 'query.frame_number'],
      [{ media_id: 'shot_a', page_size: 101 }, 'query.page_size'],
      [{ media_id: 'shot_a', sort: 'content' }, 'query'],
      [{ project_id: 'a/b' }, 'query.project_id'],
    ];
    for (const [query, field] of cases) {
      const res = await list(cast.reader, query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect((expectEnvelope(res.body, 'VALIDATION_ERROR').details as { field: string }).field).toBe(field);
    }
  });

  it('has a composite index in firestore.indexes.json for each filter under the frame-then-time order', () => {
    const file = JSON.parse(readFileSync(new URL('../../../firestore.indexes.json', import.meta.url), 'utf8')) as {
      indexes: { collectionGroup: string; queryScope: string; fields: { fieldPath: string; order: string }[] }[];
    };
    const declared = file.indexes
      .filter((i) => i.collectionGroup === 'annotations' && i.queryScope === 'COLLECTION' && i.fields.every((f) => f.order === 'ASCENDING'))
      .map((i) => i.fields.map((f) => f.fieldPath).join(','));
    const needed = ['media_id', 'project_id', 'author', 'annotation_type', 'status', 'parent_id', 'media_id,status', 'project_id,status'].map((f) => `${f},frame_number,created_at`);
    expect(declared).toEqual(expect.arrayContaining([...needed, 'frame_number,created_at']));
  });
});
