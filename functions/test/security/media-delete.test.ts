// Finding 2: DELETE /media needed only `write` and deleted every annotation on the media, including
// notes the same caller was refused to delete one by one; and the audit log named each deleted
// annotation's last editor instead of the deleter (a delete carries no `updated_by`).
import { beforeAll, describe, expect, it } from 'vitest';
import { recordAuditEntry } from '../../src/audit/triggers.js';
import { seedStudio, seedTask, upload, type Studio } from '../media/helpers.js';
import { writeEvent } from '../realtime/cloud-events.js';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';

const ctx = createTestContext('media-delete');
const TASK = 'ep01_sq010_sh010_comp';
let studio: Studio;
let otherArtist: TestUser;
let admin: TestUser;
const png = Buffer.from('89504e470d0a1a0a', 'hex');

beforeAll(async () => {
  studio = await seedStudio(ctx, 'DEL');
  [otherArtist, admin] = await Promise.all([ctx.createUser({ name: 'artist2' }), ctx.createUser({ name: 'lead' })]);
  await Promise.all([ctx.addMember('DEL', otherArtist, ['write']), ctx.addMember('DEL', admin, ['admin'])]);
  await seedTask(ctx, 'DEL', TASK);
});

async function render(name: string, by = studio.artist): Promise<string> {
  return (await upload(ctx, by, { name, data: png }, { task_id: TASK }).expect(201)).body.id as string;
}
async function note(mediaId: string, by: TestUser): Promise<string> {
  const res = await ctx.http().post('/api/v1/annotations').set('Authorization', by.bearer).send({ media_id: mediaId, annotation_type: 'note', content: `note by ${by.uid}` }).expect(201);
  return res.body.id as string;
}
const remove = (id: string, by: TestUser) => ctx.http().delete(`/api/v1/media/${id}`).set('Authorization', by.bearer);
const exists = async (path: string) => (await ctx.db.doc(path).get()).exists;

describe('DELETE /media/{id}', () => {
  it('is refused to a writer who did not upload it', async () => {
    const id = await render('not-yours.png');
    const res = await remove(id, otherArtist).expect(403);
    expect(expectEnvelope(res.body, 'PERMISSION_DENIED').message).toBe(`Only the uploader or a project admin may delete media ${id}`);
    expect(await exists(`media/${id}`)).toBe(true);
  });

  it("is refused to the uploader while others' review notes are on it, and deletes nothing", async () => {
    const id = await render('reviewed.png');
    const theirs = await note(id, otherArtist);
    const mine = await note(id, studio.artist);
    // The same artist may not delete the other artist's note one by one either.
    await ctx.http().delete(`/api/v1/annotations/${theirs}`).set('Authorization', studio.artist.bearer).expect(403);
    const res = await remove(id, studio.artist).expect(403);
    expect(expectEnvelope(res.body, 'PERMISSION_DENIED').message).toBe(`Media ${id} carries 1 annotation by other users; only a project admin may delete it with them`);
    expect([await exists(`media/${id}`), await exists(`annotations/${theirs}`), await exists(`annotations/${mine}`)]).toEqual([true, true, true]);
    expect((await ctx.db.doc(`media/${id}`).get()).get('deleting')).not.toBe(true);
  });

  it('lets the uploader delete it with only their own notes', async () => {
    const id = await render('own-notes.png');
    const mine = await note(id, studio.artist);
    await remove(id, studio.artist).expect(204);
    expect([await exists(`media/${id}`), await exists(`annotations/${mine}`)]).toEqual([false, false]);
  });

  it("lets a project admin delete it with everyone's notes", async () => {
    const id = await render('admin-deletes.png');
    const theirs = await note(id, otherArtist);
    await remove(id, admin).expect(204);
    expect([await exists(`media/${id}`), await exists(`annotations/${theirs}`)]).toEqual([false, false]);
  });
});

describe('the audit entry of a delete', () => {
  const auditOf = async (path: string, write: () => Promise<unknown>) => {
    const event = await writeEvent(ctx.db.doc(path), write);
    const id = await recordAuditEntry(ctx.db, event);
    return (await ctx.db.doc(`audit_logs/${id}`).get()).data();
  };

  it('names the deleter of each cascaded annotation and of the media, not their last editors', async () => {
    const id = await render('audited.png');
    const theirs = await note(id, otherArtist);
    const entry = await auditOf(`annotations/${theirs}`, () => remove(id, admin).expect(204));
    expect(entry).toMatchObject({ action: 'delete', collection: 'annotations', actor: admin.uid });
  });

  it('names the admin who removed a member', async () => {
    const member = await ctx.createUser({ name: 'leaving' });
    await ctx.addMember('DEL', member, ['read']);
    const entry = await auditOf(`projects/DEL/members/${member.uid}`, () => ctx.http().delete(`/api/v1/projects/DEL/users/${member.uid}`).set('Authorization', admin.bearer).expect(204));
    expect(entry).toMatchObject({ action: 'delete', collection: 'members', actor: admin.uid });
  });

  it('names nobody for a delete the API did not make', async () => {
    const ref = ctx.db.collection('media').doc('console-deleted');
    await ref.set({ project_id: 'DEL', updated_by: studio.artist.uid });
    const entry = await auditOf(ref.path, () => ref.delete());
    expect(entry).toMatchObject({ action: 'delete', actor: null });
  });
});
