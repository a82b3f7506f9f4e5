import { FieldValue, type DocumentReference } from 'firebase-admin/firestore';
import { describe, expect, it } from 'vitest';
import { eventsCollection } from '../../src/realtime/feed.js';
import { deleteAs } from '../../src/lib/deletions.js';
import { MAX_EVENT_BYTES, publishAnnotationWrite, publishImportJobWrite, publishMediaWrite, publishMemberWrite, publishTaskWrite } from '../../src/realtime/triggers.js';
import { migrateTaskKeys } from '../../src/tasks/migrate-keys.js';
import { createTestContext, uniqueName } from '../support/context.js';
import { writeEvent, writeEvents } from './cloud-events.js';

const ctx = createTestContext('feed-triggers');
const db = ctx.db;

/** The feed of a fresh project, so each test reads only its own events. */
function project() {
  const id = uniqueName('PRJ');
  return {
    id,
    async events() {
      const snap = await eventsCollection(db, id).get();
      return snap.docs.map((d) => ({ id: d.id, type: d.get('type') as string, data: d.get('data') as Record<string, unknown> }));
    },
  };
}

/** A delete as the API makes it: with the record of who deleted the document. */
const deletedBy = (actor: string) => async (ref: DocumentReference) => {
  const batch = db.batch();
  deleteAs(batch, ref, actor, new Date());
  await batch.commit();
};

const newTask = (projectId: string, extra: Record<string, unknown> = {}) => ({
  project_id: projectId,
  episode: 'Ep00',
  sequence: 'sq0010',
  shot: 'SH0020',
  task: 'comp',
  status: 'not_started',
  created_at: FieldValue.serverTimestamp(),
  updated_at: FieldValue.serverTimestamp(),
  updated_by: 'artist-1',
  bulk_id: null,
  episode_key: 'ep00',
  ...extra,
});

describe('task feed events', () => {
  it('publishes task_created with the task as the API shows it (its bare id, not the document key), the user and the write time', async () => {
    const p = project();
    const taskId = uniqueName('ep00_sq0010_sh0020_comp');
    const ref = ctx.taskDoc(p.id, taskId);
    const event = await writeEvent(ref, (r) => r.create(newTask(p.id)));
    expect(await publishTaskWrite(db, event)).toEqual([`${event.id}_task_created`]);
    const [created] = await p.events();
    const stored = (await ref.get()).get('created_at').toDate().toISOString();
    expect(created).toEqual({
      id: `${event.id}_task_created`,
      type: 'task_created',
      data: {
        task: {
          id: taskId,
          project_id: p.id,
          episode: 'Ep00',
          sequence: 'sq0010',
          shot: 'SH0020',
          task: 'comp',
          status: 'not_started',
          created_at: stored,
          updated_at: stored,
          updated_by: 'artist-1',
          bulk_id: null,
        },
        user: 'artist-1',
        timestamp: event.time,
      },
    });
  });

  it('publishes task_updated with the task id and the new values of what changed', async () => {
    const p = project();
    const taskId = uniqueName('t');
    const ref = ctx.taskDoc(p.id, taskId);
    await ref.create(newTask(p.id));
    const event = await writeEvent(ref, (r) =>
      r.update({ status: 'completed', artist: 'new_artist', episode_key: 'x', updated_by: 'supervisor', updated_at: FieldValue.serverTimestamp() }),
    );
    await publishTaskWrite(db, event);
    expect(await p.events()).toEqual([
      { id: `${event.id}_task_updated`, type: 'task_updated', data: { task_id: taskId, changes: { artist: 'new_artist', status: 'completed' }, user: 'supervisor', timestamp: event.time } },
    ]);
  });

  it('marks the per-task events of a bulk call as part of it, and only those', async () => {
    const p = project();
    const ref = db.collection('tasks').doc(uniqueName('t'));
    await ref.create(newTask(p.id));
    const bulk = await writeEvent(ref, (r) => r.update({ status: 'in_progress', bulk_id: 'bulk-evt-1', updated_by: 'supervisor' }));
    await publishTaskWrite(db, bulk);
    const single = await writeEvent(ref, (r) => r.update({ status: 'on_hold', bulk_id: null, updated_by: 'supervisor' }));
    await publishTaskWrite(db, single);
    const byId = Object.fromEntries((await p.events()).map((e) => [e.id, e.data]));
    expect(byId[`${bulk.id}_task_updated`]).toEqual({ task_id: ref.id, changes: { status: 'in_progress' }, part_of: 'bulk-evt-1', user: 'supervisor', timestamp: bulk.time });
    expect(byId[`${single.id}_task_updated`]).toEqual({ task_id: ref.id, changes: { status: 'on_hold' }, user: 'supervisor', timestamp: single.time });

    const created = await writeEvent(db.collection('tasks').doc(uniqueName('t')), (r) => r.create(newTask(p.id, { bulk_id: 'bulk-evt-2' })));
    await publishTaskWrite(db, created);
    expect((await eventsCollection(db, p.id).doc(`${created.id}_task_created`).get()).get('data.part_of')).toBe('bulk-evt-2');
  });

  it('publishes nothing twice when an event is delivered again', async () => {
    const p = project();
    const ref = db.collection('tasks').doc(uniqueName('t'));
    await ref.create(newTask(p.id));
    const event = await writeEvent(ref, (r) => r.update({ status: 'in_progress', updated_by: 'supervisor' }));
    await publishTaskWrite(db, event);
    await publishTaskWrite(db, event);
    expect((await p.events()).map((e) => e.id)).toEqual([`${event.id}_task_updated`]);
  });

  it('publishes task_archived when the status becomes archived, and task_deleted naming the deleter', async () => {
    const p = project();
    const ref = db.collection('tasks').doc(uniqueName('t'));
    await ref.create(newTask(p.id));
    const archived = await writeEvent(ref, (r) => r.update({ status: 'archived', updated_by: 'lead-1' }));
    expect(await publishTaskWrite(db, archived)).toEqual([`${archived.id}_task_archived`]);
    const deleted = await writeEvent(ref, deletedBy('admin-1'));
    expect(await publishTaskWrite(db, deleted)).toEqual([`${deleted.id}_task_deleted`]);
    const byType = Object.fromEntries((await p.events()).map((e) => [e.type, e.data]));
    expect(byType.task_archived).toMatchObject({ task_id: ref.id, changes: { status: 'archived' }, user: 'lead-1' });
    expect(byType.task_deleted).toMatchObject({ task_id: ref.id, user: 'admin-1' });
  });

  it('publishes nothing for bookkeeping-only writes or tasks without a valid project', async () => {
    const p = project();
    const ref = db.collection('tasks').doc(uniqueName('t'));
    await ref.create(newTask(p.id));
    expect(await publishTaskWrite(db, await writeEvent(ref, (r) => r.update({ updated_at: FieldValue.serverTimestamp(), updated_by: 'x' })))).toEqual([]);
    const orphan = db.collection('tasks').doc(uniqueName('t'));
    expect(await publishTaskWrite(db, await writeEvent(orphan, (r) => r.create({ status: 'not_started' })))).toEqual([]);
    const misfiled = db.collection('tasks').doc(uniqueName('t'));
    expect(await publishTaskWrite(db, await writeEvent(misfiled, (r) => r.create({ project_id: 'SWA/events/x', status: 'not_started' })))).toEqual([]);
    expect(await p.events()).toEqual([]);
  });

  it('publishes nothing for a task the key migration moves, and still announces a legacy task deleted otherwise', async () => {
    const p = project();
    const moved = uniqueName('ep00_sq0010_sh0030_comp');
    const legacy = db.doc(`tasks/${moved}`);
    await legacy.set(newTask(p.id, { id: moved }));
    const [created, deleted] = await writeEvents([ctx.taskDoc(p.id, moved), legacy], () => migrateTaskKeys(db, ctx.deps.bucket));
    expect((await ctx.taskDoc(p.id, moved).get()).get('bulk_id')).toBe('task-keys-migration');
    expect(await publishTaskWrite(db, created!)).toEqual([]);
    expect(await publishTaskWrite(db, deleted!)).toEqual([]);

    const gone = uniqueName('ep00_sq0010_sh0040_comp');
    const stray = db.doc(`tasks/${gone}`);
    await stray.set(newTask(p.id, { id: gone }));
    const deletion = await writeEvent(stray, deletedBy('admin-1'));
    expect(await publishTaskWrite(db, deletion)).toEqual([`${deletion.id}_task_deleted`]);
    expect((await p.events()).map((e) => [e.type, e.data.task_id])).toEqual([['task_deleted', gone]]);
  });

  it('keeps oversized messages small: ids and changed field names only', async () => {
    const p = project();
    const ref = db.collection('tasks').doc(uniqueName('t'));
    const big = 'x'.repeat(MAX_EVENT_BYTES);
    const created = await writeEvent(ref, (r) => r.create(newTask(p.id, { notes: big })));
    await publishTaskWrite(db, created);
    const updated = await writeEvent(ref, (r) => r.update({ notes: `${big}y`, status: 'in_progress', updated_by: 'supervisor' }));
    await publishTaskWrite(db, updated);
    const byId = Object.fromEntries((await p.events()).map((e) => [e.id, e.data]));
    expect(byId[`${created.id}_task_created`]).toEqual({ task: { id: ref.id }, truncated: true, user: 'artist-1', timestamp: created.time });
    expect(byId[`${updated.id}_task_updated`]).toEqual({ task_id: ref.id, changed_fields: ['notes', 'status'], truncated: true, user: 'supervisor', timestamp: updated.time });
  });

  it('names the user system when a write carries no updated_by', async () => {
    const p = project();
    const ref = db.collection('tasks').doc(uniqueName('t'));
    const event = await writeEvent(ref, (r) => r.create({ project_id: p.id, status: 'not_started' }));
    await publishTaskWrite(db, event);
    expect((await p.events())[0]?.data.user).toBe('system');
  });
});

describe('media feed events', () => {
  it('publishes media_uploaded once the file is there, not for a pending upload', async () => {
    const p = project();
    const ref = db.collection('media').doc(uniqueName('media'));
    const pending = await writeEvent(ref, (r) =>
      r.create({ project_id: p.id, linked_task_id: 'ep00_sq0010_sh0020_comp', status: 'pending_upload', approval_status: 'pending', updated_by: 'artist-1' }),
    );
    expect(await publishMediaWrite(db, pending)).toEqual([]);
    const landed = await writeEvent(ref, (r) => r.update({ status: 'active', metadata: { width: 1920, height: 1080 }, updated_by: 'artist-1' }));
    expect(await publishMediaWrite(db, landed)).toEqual([`${landed.id}_media_uploaded`]);
    const [uploaded] = await p.events();
    expect(uploaded?.type).toBe('media_uploaded');
    expect(uploaded?.data).toMatchObject({ media: { id: ref.id, status: 'active', linked_task_id: 'ep00_sq0010_sh0020_comp', metadata: { width: 1920, height: 1080 } }, user: 'artist-1' });

    const thumbnail = await writeEvent(ref, (r) => r.update({ thumbnail_key: 'thumbnails/x.jpg' }));
    expect(await publishMediaWrite(db, thumbnail)).toEqual([]);

    const direct = await writeEvent(db.collection('media').doc(uniqueName('media')), (r) => r.create({ project_id: p.id, status: 'active', approval_status: 'pending' }));
    expect(await publishMediaWrite(db, direct)).toEqual([`${direct.id}_media_uploaded`]);
  });

  it('publishes media_approved when the approval status changes', async () => {
    const p = project();
    const ref = db.collection('media').doc(uniqueName('media'));
    await ref.create({ project_id: p.id, linked_task_id: 'ep00_sq0010_sh0020_lighting', status: 'active', approval_status: 'pending' });
    const approve = await writeEvent(ref, (r) => r.update({ approval_status: 'approved', updated_by: 'supervisor_user' }));
    expect(await publishMediaWrite(db, approve)).toEqual([`${approve.id}_media_approved`]);
    expect((await p.events())[0]?.data).toEqual({
      media_id: ref.id,
      task_id: 'ep00_sq0010_sh0020_lighting',
      approval_status: 'approved',
      previous_status: 'pending',
      user: 'supervisor_user',
      timestamp: approve.time,
    });
    const notes = await writeEvent(ref, (r) => r.update({ description: 'new notes', updated_by: 'supervisor_user' }));
    expect(await publishMediaWrite(db, notes)).toEqual([]);
  });
});

describe('annotation feed events', () => {
  it('publishes annotation_created with the annotation and annotation_updated with changes', async () => {
    const p = project();
    const ref = db.collection('annotations').doc(uniqueName('ann'));
    const created = await writeEvent(ref, (r) =>
      r.create({ project_id: p.id, media_id: 'media_123', content: 'Shadows need work', frame_number: 1025, status: 'active', updated_by: 'reviewer-1' }),
    );
    expect(await publishAnnotationWrite(db, created)).toEqual([`${created.id}_annotation_created`]);
    const resolved = await writeEvent(ref, (r) => r.update({ status: 'resolved', resolved_by: 'artist-1', updated_by: 'artist-1' }));
    expect(await publishAnnotationWrite(db, resolved)).toEqual([`${resolved.id}_annotation_updated`]);
    const byId = Object.fromEntries((await p.events()).map((e) => [e.id, e]));
    expect(byId[`${created.id}_annotation_created`]).toMatchObject({
      type: 'annotation_created',
      data: { annotation: { id: ref.id, media_id: 'media_123', content: 'Shadows need work', frame_number: 1025 }, user: 'reviewer-1' },
    });
    expect(byId[`${resolved.id}_annotation_updated`]).toEqual({
      id: `${resolved.id}_annotation_updated`,
      type: 'annotation_updated',
      data: { annotation_id: ref.id, media_id: 'media_123', changes: { resolved_by: 'artist-1', status: 'resolved' }, user: 'artist-1', timestamp: resolved.time },
    });
  });
});

describe('archive, delete and membership feed events', () => {
  it('publishes annotation_archived and annotation_deleted with the media id', async () => {
    const p = project();
    const ref = db.collection('annotations').doc(uniqueName('ann'));
    await ref.create({ project_id: p.id, media_id: 'media_9', content: 'x', status: 'active', updated_by: 'reviewer-1' });
    const archived = await writeEvent(ref, (r) => r.update({ status: 'archived', archived_by: 'reviewer-1' }));
    expect(await publishAnnotationWrite(db, archived)).toEqual([`${archived.id}_annotation_archived`]);
    const deleted = await writeEvent(ref, (r) => r.delete());
    expect(await publishAnnotationWrite(db, deleted)).toEqual([`${deleted.id}_annotation_deleted`]);
    const byType = Object.fromEntries((await p.events()).map((e) => [e.type, e.data]));
    expect(byType.annotation_archived).toMatchObject({ annotation_id: ref.id, media_id: 'media_9', changes: { status: 'archived' } });
    // Nobody recorded a deletion: a console delete is the system's.
    expect(byType.annotation_deleted).toMatchObject({ annotation_id: ref.id, media_id: 'media_9', user: 'system' });
  });

  it('publishes media_deleted with the task the media belonged to', async () => {
    const p = project();
    const ref = db.collection('media').doc(uniqueName('media'));
    await ref.create({ project_id: p.id, linked_task_id: 'ep00_sq0010_sh0010_comp', status: 'active' });
    const deleted = await writeEvent(ref, (r) => r.delete());
    expect(await publishMediaWrite(db, deleted)).toEqual([`${deleted.id}_media_deleted`]);
    expect((await p.events())[0]).toMatchObject({ type: 'media_deleted', data: { media_id: ref.id, task_id: 'ep00_sq0010_sh0010_comp' } });
  });

  it('publishes member_added, member_updated (permissions changed only) and member_removed in the project', async () => {
    const p = project();
    const ref = db.doc(`projects/${p.id}/members/${uniqueName('uid')}`);
    const added = await writeEvent(ref, (r) => r.create({ uid: r.id, project_id: p.id, permissions: ['read'], updated_by: 'lead-1' }));
    expect(await publishMemberWrite(db, added)).toEqual([`${added.id}_member_added`]);
    expect(await publishMemberWrite(db, await writeEvent(ref, (r) => r.update({ display_name: 'Ann' })))).toEqual([]);
    const promoted = await writeEvent(ref, (r) => r.update({ permissions: ['read', 'write'], updated_by: 'lead-1' }));
    expect(await publishMemberWrite(db, promoted)).toEqual([`${promoted.id}_member_updated`]);
    const removed = await writeEvent(ref, deletedBy('lead-1'));
    expect(await publishMemberWrite(db, removed)).toEqual([`${removed.id}_member_removed`]);
    const byType = Object.fromEntries((await p.events()).map((e) => [e.type, e.data]));
    expect(byType.member_added).toMatchObject({ user_id: ref.id, permissions: ['read'], user: 'lead-1' });
    expect(byType.member_updated).toMatchObject({ user_id: ref.id, permissions: ['read', 'write'], previous_permissions: ['read'] });
    expect(byType.member_removed).toMatchObject({ user_id: ref.id, permissions: [], user: 'lead-1' });
  });
});

describe('import feed events', () => {
  it('publishes import_completed once, when the job reaches completed, as the event the job id names (the bulk id of its tasks)', async () => {
    const p = project();
    const ref = db.collection('import_jobs').doc(uniqueName('job'));
    await ref.create({ project_id: p.id, status: 'processing', progress_percent: 40, total_rows: 500, processed_rows: 200, created_tasks: 200, errors: [], created_by: 'producer-1' });
    const progress = await writeEvent(ref, (r) => r.update({ progress_percent: 80, processed_rows: 400 }));
    expect(await publishImportJobWrite(db, progress)).toEqual([]);
    const done = await writeEvent(ref, (r) =>
      r.update({ status: 'completed', progress_percent: 100, processed_rows: 500, created_tasks: 485, errors: [{ row: 12, error: 'Invalid episode format' }] }),
    );
    expect(await publishImportJobWrite(db, done)).toEqual([ref.id]);
    const after = await writeEvent(ref, (r) => r.update({ results_note: 'kept' }));
    expect(await publishImportJobWrite(db, after)).toEqual([]);
    expect(await p.events()).toEqual([
      {
        id: ref.id,
        type: 'import_completed',
        data: {
          job_id: ref.id,
          status: 'completed',
          total_rows: 500,
          processed_rows: 500,
          created_tasks: 485,
          updated_tasks: null,
          skipped_tasks: null,
          error_count: 1,
          user: 'producer-1',
          timestamp: done.time,
        },
      },
    ]);
  });

  it('publishes it when a job fails after writing tasks (their events point at it), and not when it failed before writing', async () => {
    const p = project();
    const wrote = db.collection('import_jobs').doc(uniqueName('job'));
    await wrote.create({ project_id: p.id, status: 'processing', total_rows: 1500, processed_rows: 0, errors: [], created_by: 'producer-1' });
    const failed = await writeEvent(wrote, (r) => r.update({ status: 'failed', error: 'Firestore unavailable', processed_rows: 500, created_tasks: 480, updated_tasks: 20 }));
    expect(await publishImportJobWrite(db, failed)).toEqual([wrote.id]);

    const nothing = db.collection('import_jobs').doc(uniqueName('job'));
    await nothing.create({ project_id: p.id, status: 'processing', errors: [], created_by: 'producer-1' });
    expect(await publishImportJobWrite(db, await writeEvent(nothing, (r) => r.update({ status: 'failed', error: 'The file is not CSV' })))).toEqual([]);

    expect(await p.events()).toEqual([
      {
        id: wrote.id,
        type: 'import_completed',
        data: {
          job_id: wrote.id,
          status: 'failed',
          total_rows: 1500,
          processed_rows: 500,
          created_tasks: 480,
          updated_tasks: 20,
          skipped_tasks: null,
          error_count: 0,
          user: 'producer-1',
          timestamp: failed.time,
        },
      },
    ]);
  });
});
