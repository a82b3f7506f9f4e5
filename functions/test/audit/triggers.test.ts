import { FieldValue, Timestamp, type DocumentReference } from 'firebase-admin/firestore';
import { describe, expect, it } from 'vitest';
import { MAX_CHANGES_BYTES, recordAuditEntry } from '../../src/audit/triggers.js';
import { deleteAs } from '../../src/lib/deletions.js';
import { taskIdOfKey } from '../../src/tasks/keys.js';
import { createTestContext, uniqueName } from '../support/context.js';
import { writeEvent } from '../realtime/cloud-events.js';

const ctx = createTestContext('audit-triggers');
const db = ctx.db;

const task = (id: string, extra: Record<string, unknown> = {}) => ({
  project_id: 'SWA',
  episode: 'Ep00',
  shot: 'SH0020',
  status: 'not_started',
  frame_range: { start: 1001, end: 1153 },
  updated_by: 'artist-1',
  updated_at: FieldValue.serverTimestamp(),
  // Derived query fields of the tasks domain: never reported as changes.
  episode_key: 'ep00',
  search_tokens: ['sh0020', id],
  ...extra,
});

async function entry(id: string) {
  const snap = await db.collection('audit_logs').doc(id).get();
  return snap.exists ? snap.data() : undefined;
}

function taskRef(): DocumentReference {
  return ctx.taskDoc('SWA', uniqueName('ep00_sq0010_sh0020_comp'));
}

describe('audit trigger handler', () => {
  it("records a create with every field as new, the actor, the project and the write's commit time", async () => {
    const ref = taskRef();
    const event = await writeEvent(ref, (r) => r.create(task(taskIdOfKey(ref.id))), { time: '2025-08-29T10:00:00.123Z' });
    const committed = (await ref.get()).updateTime!;
    expect(await recordAuditEntry(db, event)).toBe(event.id);
    expect(await entry(event.id)).toEqual({
      collection: 'tasks',
      // The bare task id; the path is the document's key.
      document_id: taskIdOfKey(ref.id),
      document_path: `tasks/${ref.id}`,
      project_id: 'SWA',
      action: 'create',
      changes: {
        episode: { old: null, new: 'Ep00' },
        frame_range: { old: null, new: { start: 1001, end: 1153 } },
        project_id: { old: null, new: 'SWA' },
        shot: { old: null, new: 'SH0020' },
        status: { old: null, new: 'not_started' },
      },
      changes_truncated: false,
      actor: 'artist-1',
      bulk_id: null,
      time: Timestamp.fromDate(committed.toDate()),
    });
  });

  it('records only the fields an update changed, comparing maps deeply and leaving bookkeeping out', async () => {
    const ref = taskRef();
    await ref.create(task(taskIdOfKey(ref.id)));
    const event = await writeEvent(ref, (r) =>
      r.update({
        status: 'in_progress',
        frame_range: { start: 1001, end: 1153 }, // rewritten with the same content
        artist: 'john_doe',
        episode_key: 'changed-derived-field',
        updated_by: 'supervisor-1',
        updated_at: FieldValue.serverTimestamp(),
      }),
    );
    await recordAuditEntry(db, event);
    const recorded = await entry(event.id);
    expect(recorded?.action).toBe('update');
    expect(recorded?.actor).toBe('supervisor-1');
    expect(recorded?.changes).toEqual({ artist: { old: null, new: 'john_doe' }, status: { old: 'not_started', new: 'in_progress' } });

    const nested = await writeEvent(ref, (r) => r.update({ 'frame_range.end': 1200, updated_by: 'supervisor-2' }));
    await recordAuditEntry(db, nested);
    expect((await entry(nested.id))?.changes).toEqual({ frame_range: { old: { start: 1001, end: 1153 }, new: { start: 1001, end: 1200 } } });
  });

  it('adds nothing when the same event is delivered again', async () => {
    const ref = taskRef();
    await ref.create(task(taskIdOfKey(ref.id)));
    const event = await writeEvent(ref, (r) => r.update({ status: 'on_hold', updated_by: 'supervisor-1' }));
    expect(await recordAuditEntry(db, event)).toBe(event.id);
    const first = await db.collection('audit_logs').doc(event.id).get();
    expect(await recordAuditEntry(db, event)).toBeNull();
    const second = await db.collection('audit_logs').doc(event.id).get();
    expect(second.updateTime?.isEqual(first.updateTime!)).toBe(true);
    const forTask = await db.collection('audit_logs').where('document_id', '==', taskIdOfKey(ref.id)).count().get();
    expect(forTask.data().count).toBe(1);
  });

  it('records nothing for a write that only touched bookkeeping fields', async () => {
    const ref = taskRef();
    await ref.create(task(taskIdOfKey(ref.id)));
    const event = await writeEvent(ref, (r) => r.update({ updated_by: 'someone-else', updated_at: FieldValue.serverTimestamp(), search_tokens: ['x'] }));
    expect(await recordAuditEntry(db, event)).toBeNull();
    expect(await entry(event.id)).toBeUndefined();
  });

  it('tells an archive from other updates', async () => {
    const ref = taskRef();
    await ref.create(task(taskIdOfKey(ref.id)));
    const archive = await writeEvent(ref, (r) => r.update({ status: 'archived', updated_by: 'supervisor-1' }));
    await recordAuditEntry(db, archive);
    expect(await entry(archive.id)).toMatchObject({ action: 'archive', changes: { status: { old: 'not_started', new: 'archived' } } });

    const editArchived = await writeEvent(ref, (r) => r.update({ artist: 'late_edit', updated_by: 'supervisor-1' }));
    await recordAuditEntry(db, editArchived);
    expect((await entry(editArchived.id))?.action).toBe('update');

    const restore = await writeEvent(ref, (r) => r.update({ status: 'in_progress', updated_by: 'supervisor-1' }));
    await recordAuditEntry(db, restore);
    expect(await entry(restore.id)).toMatchObject({ action: 'update', changes: { status: { old: 'archived', new: 'in_progress' } } });
  });

  it("attributes a delete to its deletion record, never to the last version's updated_by, and keeps the old values", async () => {
    const ref = taskRef();
    await ref.create(task(taskIdOfKey(ref.id), { updated_by: 'producer-7' }));
    const event = await writeEvent(ref, async (r) => {
      const batch = db.batch();
      deleteAs(batch, r, 'supervisor-2', new Date());
      await batch.commit();
    });
    await recordAuditEntry(db, event);
    const recorded = await entry(event.id);
    expect(recorded).toMatchObject({ action: 'delete', actor: 'supervisor-2', project_id: 'SWA' });
    expect(recorded?.changes.status).toEqual({ old: 'not_started', new: null });
    expect(Object.keys(recorded?.changes ?? {}).sort()).toEqual(['episode', 'frame_range', 'project_id', 'shot', 'status']);
  });

  it('records a null actor when the write names nobody', async () => {
    const ref = db.collection('media').doc(uniqueName('media'));
    const event = await writeEvent(ref, (r) => r.create({ project_id: 'SWA', status: 'active' }));
    await recordAuditEntry(db, event);
    expect(await entry(event.id)).toMatchObject({ collection: 'media', actor: null, project_id: 'SWA' });
  });

  it('takes the project of a membership from its path and of a project from its id', async () => {
    const project = uniqueName('PRJ');
    const member = db.doc(`projects/${project}/members/uid-42`);
    const added = await writeEvent(member, (r) => r.create({ uid: 'uid-42', project_id: project, permissions: ['read'], updated_by: 'admin-1' }));
    await recordAuditEntry(db, added);
    expect(await entry(added.id)).toMatchObject({
      collection: 'members',
      document_id: 'uid-42',
      document_path: `projects/${project}/members/uid-42`,
      project_id: project,
      action: 'create',
      actor: 'admin-1',
    });

    const projectRef = db.doc(`projects/${project}`);
    const created = await writeEvent(projectRef, (r) =>
      r.create({ name: 'Star Wars Andor', status: 'active', updated_by: 'admin-1', id_key: project.toLowerCase(), search_tokens: ['star', 'wars'] }),
    );
    await recordAuditEntry(db, created);
    expect(await entry(created.id)).toMatchObject({
      collection: 'projects',
      document_id: project,
      project_id: project,
      action: 'create',
      changes: { name: { old: null, new: 'Star Wars Andor' }, status: { old: null, new: 'active' } },
    });
    expect(Object.keys((await entry(created.id))?.changes ?? {})).toEqual(['name', 'status']);
  });

  it('records the bulk call a write belongs to', async () => {
    const ref = taskRef();
    await ref.create(task(taskIdOfKey(ref.id), { bulk_id: null }));
    const event = await writeEvent(ref, (r) => r.update({ status: 'in_progress', bulk_id: 'bulk-123', updated_by: 'supervisor-1' }));
    await recordAuditEntry(db, event);
    expect(await entry(event.id)).toMatchObject({ bulk_id: 'bulk-123', changes: { status: { old: 'not_started', new: 'in_progress' } } });
    const single = await writeEvent(ref, (r) => r.update({ status: 'on_hold', bulk_id: null, updated_by: 'supervisor-1' }));
    await recordAuditEntry(db, single);
    expect((await entry(single.id))?.bulk_id).toBeNull();
  });

  it('keeps only field names when the changes would not fit in an entry', async () => {
    const ref = taskRef();
    await ref.create(task(taskIdOfKey(ref.id)));
    const event = await writeEvent(ref, (r) => r.update({ notes: 'x'.repeat(MAX_CHANGES_BYTES), status: 'on_hold', updated_by: 'supervisor-1' }));
    await recordAuditEntry(db, event);
    expect(await entry(event.id)).toMatchObject({ changes_truncated: true, changes: { notes: { truncated: true }, status: { truncated: true } } });
  });
});
