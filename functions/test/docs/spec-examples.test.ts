// The spec's own request bodies (docs/spec/montu-api-v2.1.md, the contract as the front ends have
// it), sent as written to the app over the demo data: each must be accepted, and the answer must
// carry every top-level field of the spec's response example. Only what names data is swapped for
// the demo data's: credentials, a new project's id, task ids the spec writes as "task1".
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../../../scripts/seed.mjs';
import { createTestContext } from '../support/context.js';

const SPEC = readFileSync(new URL('../../../docs/spec/montu-api-v2.1.md', import.meta.url), 'utf8');
const ctx = createTestContext('spec-examples');
const SUPERVISOR = { email: 'supervisor@montu.test', password: 'montu-super-123' };
const ADMIN = { email: 'admin@montu.test', password: 'montu-admin-123' };
const DIFFERENCES = readFileSync(new URL('../../../docs/spec-differences.md', import.meta.url), 'utf8');
const MEDIA = 'media_2cdd5721fdd653d4fc039629';
let bearer: string;
let adminBearer: string;

/** The JSON block that follows `label` (e.g. "**Request Body**") in the section of `endpoint`. */
function example(endpoint: string, label: string): Record<string, unknown> | unknown[] {
  const start = SPEC.indexOf(`#### ${endpoint.replace(/ (\S+)$/, ' `$1`')}`);
  expect(start, `the spec has no section ${endpoint}`).toBeGreaterThanOrEqual(0);
  const end = SPEC.indexOf('\n#### ', start + 1);
  const section = SPEC.slice(start, end < 0 ? undefined : end);
  const at = section.indexOf(label);
  expect(at, `${endpoint} has no ${label}`).toBeGreaterThanOrEqual(0);
  const block = /```json\n([\s\S]*?)\n```/.exec(section.slice(at));
  return JSON.parse(block![1]!) as Record<string, unknown>;
}

const keysOf = (value: unknown) => Object.keys(value as object).sort();

const send = (method: 'post' | 'patch', path: string, body: unknown) => ctx.http()[method](`/api/v1${path}`).set('Authorization', bearer).send(body as object);

beforeAll(async () => {
  await seedDemoData(ctx.deps);
  const login = await ctx.http().post('/api/v1/auth/login').send(SUPERVISOR).expect(200);
  bearer = `Bearer ${login.body.access_token}`;
  adminBearer = `Bearer ${(await ctx.http().post('/api/v1/auth/login').send(ADMIN).expect(200)).body.access_token}`;
  // The spec's bulk example names this task too; the demo data has only its lighting sibling.
  await send('post', '/tasks', { project_id: 'SWA', episode: 'Ep00', sequence: 'sq0010', shot: 'SH0020', task: 'comp' });
}, 60_000);

describe("the spec's request examples, as written", () => {
  it('POST /auth/login', async () => {
    const body = { ...(example('POST /auth/login', '**Request Body**') as object), ...SUPERVISOR };
    const res = await ctx.http().post('/api/v1/auth/login').send(body).expect(200);
    expect(keysOf(res.body)).toEqual(expect.arrayContaining(keysOf(example('POST /auth/login', '**Response**'))));
  });

  it('POST /projects (a global admin: docs/spec-differences.md)', async () => {
    const body = { ...(example('POST /projects', '**Request Body**') as object), id: 'SPECEX' };
    const res = await ctx.http().post('/api/v1/projects').set('Authorization', adminBearer).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(DIFFERENCES).toContain('| `POST /projects` | 403 `PERMISSION_DENIED` for anyone but a global admin |');
  });

  it('PATCH /tasks/bulk-update', async () => {
    const res = await send('patch', '/tasks/bulk-update', example('PATCH /tasks/bulk-update', '**Request Body**')).expect(200);
    expect(res.body).toMatchObject({ updated_count: 2, errors: [] });
    expect(keysOf(res.body)).toEqual(expect.arrayContaining(keysOf(example('PATCH /tasks/bulk-update', '**Response**'))));
  });

  it('POST /tasks/{task_id}/add-field', async () => {
    const res = await send('post', '/tasks/ep00_sq0010_sh0020_lighting/add-field', example('POST /tasks/{task_id}/add-field', '**Request Body**'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('POST /tasks/bulk (legacy)', async () => {
    const body = { ...(example('POST /tasks/bulk', '**Request Body**') as object), task_ids: ['ep00_sq0010_sh0020_comp', 'ep00_sq0010_sh0020_lighting'] };
    const res = await send('post', '/tasks/bulk', body).expect(200);
    expect(res.body).toMatchObject({ successful: 2 });
    expect(keysOf(res.body)).toEqual(expect.arrayContaining(keysOf(example('POST /tasks/bulk', '**Response**'))));
  });

  it('POST /media/{media_id}/approve: reviewer is the caller (the documented difference)', async () => {
    const body = example('POST /media/{media_id}/approve', '**Request Body**') as Record<string, unknown>;
    // Someone else's upload: nobody reviews their own.
    const listed = await ctx.http().get('/api/v1/media?project_id=SWA&page_size=100').set('Authorization', bearer).expect(200);
    const theirs = (listed.body.items as { id: string; author: string }[]).find((m) => m.author !== 'demo-supervisor')!.id;
    const named = await send('post', `/media/${theirs}/approve`, body).expect(400);
    expect(named.body.error.details).toEqual({ field: 'reviewer', issue: 'not the caller' });
    expect(DIFFERENCES).toContain('`POST /media/{media_id}/approve` with `"reviewer": "supervisor_user"` | 400 `VALIDATION_ERROR`, `details: {field: "reviewer", issue: "not the caller"}`');
    const { reviewer: _reviewer, ...rest } = body;
    const res = await send('post', `/media/${theirs}/approve`, rest);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.approval_status).toBe('approved');
  });

  it('POST /annotations', async () => {
    const body = { ...(example('POST /annotations', '**Request Body**') as object), media_id: MEDIA };
    const res = await send('post', '/annotations', body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  });

  it('POST /paths/generate', async () => {
    const res = await send('post', '/paths/generate', example('POST /paths/generate', '**Request Body**')).expect(200);
    expect(keysOf(res.body)).toEqual(expect.arrayContaining(keysOf(example('POST /paths/generate', '**Response**'))));
  });

  it('GET /projects/{project_id}/stats', async () => {
    const res = await ctx.http().get('/api/v1/projects/SWA/stats').set('Authorization', bearer).expect(200);
    expect(keysOf(res.body)).toEqual(expect.arrayContaining(keysOf(example('GET /projects/{project_id}/stats', '**Response**'))));
  });

  it('POST /tasks/import-csv (its form fields as the spec lists them)', async () => {
    const csv = 'episode,sequence,shot,task\nEp01,sq0100,SH0010,comp\n';
    const res = await ctx
      .http()
      .post('/api/v1/tasks/import-csv')
      .set('Authorization', bearer)
      .field('project_id', 'SWA')
      .field('validate_only', 'true')
      .attach('file', Buffer.from(csv), { filename: 'shots.csv', contentType: 'text/csv' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(keysOf(res.body)).toEqual(expect.arrayContaining(keysOf(example('POST /tasks/import-csv', '**Response**'))));
  });

  it('POST /media (its form fields as the spec lists them)', async () => {
    const png = await sharp({ create: { width: 64, height: 36, channels: 3, background: '#336699' } }).png().toBuffer();
    const res = await ctx
      .http()
      .post('/api/v1/media')
      .set('Authorization', bearer)
      .field('task_id', 'ep00_sq0010_sh0020_lighting')
      .field('version', 'v009')
      .field('description', 'Beauty pass render - v009')
      .field('tags', 'lighting,beauty,v009')
      .attach('file', png, { filename: 'lighting_beauty_v009.png', contentType: 'image/png' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const spec = example('POST /media', '**Response**') as { metadata: object };
    expect(keysOf(res.body)).toEqual(expect.arrayContaining(keysOf(spec)));
    expect(keysOf(res.body.metadata)).toEqual(expect.arrayContaining(keysOf(spec.metadata)));
  });
});
