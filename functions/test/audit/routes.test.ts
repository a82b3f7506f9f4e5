import type { DocumentReference } from 'firebase-admin/firestore';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordAuditEntry } from '../../src/audit/triggers.js';
import { createTestContext, expectEnvelope, taskPath, type TestUser } from '../support/context.js';
import { writeEvent } from '../realtime/cloud-events.js';

const ctx = createTestContext('audit-routes');
const db = ctx.db;

let projectAdmin: TestUser;
let reader: TestUser;
let outsider: TestUser;
let globalAdmin: TestUser;
/** Each entry's time: its write's commit time. */
const times: Record<string, string> = {};

/** Makes a write and records its audit entry as the trigger would; returns the entry id. */
async function audited(ref: DocumentReference, write: (ref: DocumentReference) => Promise<unknown>): Promise<string> {
  const event = await writeEvent(ref, write);
  await recordAuditEntry(db, event);
  times[event.id] = event.time;
  return event.id;
}

const ids: Record<string, string> = {};
const TASK_A = 'ep00_sq0010_sh0020_comp';
const taskA = () => ctx.taskDoc('SWA', TASK_A);
const taskB = () => ctx.taskDoc('SWA', 'ep00_sq0010_sh0030_comp');
const otherTask = () => ctx.taskDoc('OTHER', 'ep01_sq0010_sh0010_anim');

beforeAll(async () => {
  [projectAdmin, reader, outsider, globalAdmin] = await Promise.all([
    ctx.createUser({ name: 'supervisor' }),
    ctx.createUser({ name: 'artist' }),
    ctx.createUser({ name: 'outsider' }),
    ctx.createUser({ name: 'root', admin: true }),
  ]);
  await ctx.seedProject('SWA');
  await ctx.seedProject('OTHER');
  await ctx.addMember('SWA', projectAdmin, ['admin']);
  await ctx.addMember('SWA', reader, ['read']);
  await ctx.addMember('OTHER', outsider, ['admin']);

  ids.aCreate = await audited(taskA(), (r) => r.create({ id: TASK_A, project_id: 'SWA', status: 'not_started', updated_by: projectAdmin.uid }));
  ids.bCreate = await audited(taskB(), (r) => r.create({ id: 'ep00_sq0010_sh0030_comp', project_id: 'SWA', status: 'not_started', updated_by: projectAdmin.uid }));
  ids.aUpdate = await audited(taskA(), (r) => r.update({ status: 'in_progress', updated_by: reader.uid }));
  ids.otherCreate = await audited(otherTask(), (r) => r.create({ id: 'ep01_sq0010_sh0010_anim', project_id: 'OTHER', status: 'not_started', updated_by: outsider.uid }));
  ids.media = await audited(db.doc('media/m1'), (r) => r.create({ project_id: 'SWA', linked_task_id: TASK_A, status: 'active', updated_by: reader.uid }));
  ids.aArchive = await audited(taskA(), (r) => r.update({ status: 'archived', updated_by: projectAdmin.uid }));
});

const get = (user: TestUser, path: string) => ctx.http().get(`/api/v1${path}`).set('Authorization', user.bearer);
const entryIds = (body: { items: { id: string }[] }) => body.items.map((e) => e.id);

describe('GET /audit', () => {
  it('lists a project\'s entries newest first for its admins, with the planned wrapper', async () => {
    const res = await get(projectAdmin, '/audit?project_id=SWA').expect(200);
    expect(entryIds(res.body)).toEqual([ids.aArchive, ids.media, ids.aUpdate, ids.bCreate, ids.aCreate]);
    expect(res.body).toMatchObject({ total: 5, page: 1, page_size: 50, total_pages: 1, next_page_token: null });
    expect(res.body.items[0]).toEqual({
      id: ids.aArchive,
      collection: 'tasks',
      // The bare id clients know; the path is the document's, under its per-project key.
      document_id: 'ep00_sq0010_sh0020_comp',
      document_path: taskPath('SWA', 'ep00_sq0010_sh0020_comp'),
      project_id: 'SWA',
      action: 'archive',
      changes: { status: { old: 'in_progress', new: 'archived' } },
      changes_truncated: false,
      actor: projectAdmin.uid,
      bulk_id: null,
      time: times[ids.aArchive!],
    });
  });

  it('filters by collection, document, actor and time range', async () => {
    expect(entryIds((await get(projectAdmin, '/audit?project_id=SWA&collection=media').expect(200)).body)).toEqual([ids.media]);
    expect(entryIds((await get(projectAdmin, '/audit?project_id=SWA&collection=tasks&document_id=ep00_sq0010_sh0020_comp').expect(200)).body)).toEqual([
      ids.aArchive,
      ids.aUpdate,
      ids.aCreate,
    ]);
    expect(entryIds((await get(projectAdmin, `/audit?project_id=SWA&actor=${reader.uid}`).expect(200)).body)).toEqual([ids.media, ids.aUpdate]);
    const range = await get(projectAdmin, `/audit?project_id=SWA&from=${times[ids.bCreate!]}&to=${times[ids.media!]}`).expect(200);
    expect(entryIds(range.body)).toEqual([ids.media, ids.aUpdate, ids.bCreate]);
  });

  it('pages with page numbers and with next_page_token', async () => {
    const first = await get(projectAdmin, '/audit?project_id=SWA&page_size=2').expect(200);
    expect(entryIds(first.body)).toEqual([ids.aArchive, ids.media]);
    expect(first.body).toMatchObject({ total: 5, total_pages: 3 });
    const second = await get(projectAdmin, `/audit?project_id=SWA&page_size=2&page_token=${first.body.next_page_token}`).expect(200);
    expect(entryIds(second.body)).toEqual([ids.aUpdate, ids.bCreate]);
    expect(second.body.page).toBe(2);
    const third = await get(projectAdmin, '/audit?project_id=SWA&page_size=2&page=3').expect(200);
    expect(entryIds(third.body)).toEqual([ids.aCreate]);
    expect(third.body.next_page_token).toBeNull();
  });

  it('lets global admins read every project, with or without a project filter', async () => {
    const all = await get(globalAdmin, '/audit').expect(200);
    expect(entryIds(all.body)).toEqual([ids.aArchive, ids.media, ids.otherCreate, ids.aUpdate, ids.bCreate, ids.aCreate]);
    expect(entryIds((await get(globalAdmin, '/audit?project_id=OTHER').expect(200)).body)).toEqual([ids.otherCreate]);
  });

  it('refuses readers, outsiders, callers without a project filter and anonymous callers', async () => {
    expect(expectEnvelope((await get(reader, '/audit?project_id=SWA').expect(403)).body, 'PERMISSION_DENIED').message).toBe("This needs 'admin' permission on project SWA");
    expect(expectEnvelope((await get(outsider, '/audit?project_id=SWA').expect(404)).body, 'NOT_FOUND').message).toBe('Project SWA not found');
    const unfiltered = expectEnvelope((await get(projectAdmin, '/audit').expect(400)).body, 'VALIDATION_ERROR');
    expect(unfiltered.message).toBe('project_id is required: only global admins may read the audit log across projects');
    await ctx.http().get('/api/v1/audit?project_id=SWA').expect(401);
  });

  it('refuses bad filters with the field named', async () => {
    const collection = expectEnvelope((await get(projectAdmin, '/audit?project_id=SWA&collection=users').expect(400)).body, 'VALIDATION_ERROR');
    expect(JSON.stringify(collection.details)).toContain('collection must be one of projects, members, tasks, media, annotations');
    const when = expectEnvelope((await get(projectAdmin, '/audit?project_id=SWA&from=yesterday').expect(400)).body, 'VALIDATION_ERROR');
    expect(JSON.stringify(when.details)).toContain('from must be an ISO-8601 date-time');
    const order = expectEnvelope((await get(projectAdmin, '/audit?project_id=SWA&from=2025-09-01T00:00:00Z&to=2025-08-01T00:00:00Z').expect(400)).body, 'VALIDATION_ERROR');
    expect(JSON.stringify(order.details)).toContain('from must not be later than to');
    const unknown = expectEnvelope((await get(projectAdmin, '/audit?project_id=SWA&colour=red').expect(400)).body, 'VALIDATION_ERROR');
    expect(unknown.message).toContain('colour');
    await get(projectAdmin, '/audit?project_id=../x').expect(400);
  });
});

describe('GET /tasks/{task_id}/history', () => {
  it('gives readers of the project the task\'s entries only, newest first', async () => {
    const res = await get(reader, '/tasks/ep00_sq0010_sh0020_comp/history').expect(200);
    expect(entryIds(res.body)).toEqual([ids.aArchive, ids.aUpdate, ids.aCreate]);
    expect(res.body.items.map((e: { action: string }) => e.action)).toEqual(['archive', 'update', 'create']);
    expect(res.body.total).toBe(3);
    const ranged = await get(reader, `/tasks/ep00_sq0010_sh0020_comp/history?to=${times[ids.aUpdate!]}`).expect(200);
    expect(entryIds(ranged.body)).toEqual([ids.aUpdate, ids.aCreate]);
  });

  it('answers 404 alike for unknown tasks and for tasks of projects the caller is not in', async () => {
    const foreign = expectEnvelope((await get(outsider, '/tasks/ep00_sq0010_sh0020_comp/history').expect(404)).body, 'NOT_FOUND');
    expect(foreign.message).toBe('Task ep00_sq0010_sh0020_comp not found');
    const missing = expectEnvelope((await get(reader, '/tasks/ep09_sq0010_sh0010_comp/history').expect(404)).body, 'NOT_FOUND');
    expect(missing.message).toBe('Task ep09_sq0010_sh0010_comp not found');
    expect(entryIds((await get(globalAdmin, '/tasks/ep01_sq0010_sh0010_anim/history').expect(200)).body)).toEqual([ids.otherCreate]);
    await get(reader, '/tasks/bad..id/history').expect(400);
  });

  it("keeps each project's history of the same task id apart", async () => {
    await ctx.seedProject('THIRD');
    const third = await audited(ctx.taskDoc('THIRD', TASK_A), (r) => r.create({ id: TASK_A, project_id: 'THIRD', status: 'not_started', updated_by: globalAdmin.uid }));
    // The reader belongs to SWA only: the id is theirs alone.
    expect(entryIds((await get(reader, `/tasks/${TASK_A}/history`).expect(200)).body)).toEqual([ids.aArchive, ids.aUpdate, ids.aCreate]);
    const ambiguous = expectEnvelope((await get(globalAdmin, `/tasks/${TASK_A}/history`).expect(409)).body, 'CONFLICT');
    expect(ambiguous.details).toMatchObject({ field: 'project_id', project_ids: ['SWA', 'THIRD'] });
    expect(entryIds((await get(globalAdmin, `/tasks/${TASK_A}/history?project_id=THIRD`).expect(200)).body)).toEqual([third]);
    expect(entryIds((await get(globalAdmin, `/tasks/${TASK_A}/history?project_id=SWA`).expect(200)).body)).toEqual([ids.aArchive, ids.aUpdate, ids.aCreate]);
  });
});
