// Finding 3: approving needed only `write`, so an artist uploaded a render, approved it, and the task
// moved to approved. Reviewing now needs `review` (project admins have it), and never on one's own
// upload unless the project sets allow_self_review.
import { beforeAll, describe, expect, it } from 'vitest';
import { seedStudio, seedTask, upload, type Studio } from '../media/helpers.js';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';

const ctx = createTestContext('self-review');
const TASK = 'ep01_sq010_sh010_comp';
let studio: Studio;
let admin: TestUser;
let png: Buffer;

beforeAll(async () => {
  studio = await seedStudio(ctx, 'SR');
  admin = await ctx.createUser({ name: 'lead' });
  await ctx.addMember('SR', admin, ['admin']);
  png = Buffer.from('89504e470d0a1a0a', 'hex');
});

async function render(by: TestUser, name: string): Promise<string> {
  await seedTask(ctx, 'SR', TASK, 'pending_review');
  return (await upload(ctx, by, { name, data: png }, { task_id: TASK }).expect(201)).body.id as string;
}
const approve = (id: string, by: TestUser) => ctx.http().post(`/api/v1/media/${id}/approve`).set('Authorization', by.bearer).send({ approval_status: 'approved' });

describe('who may approve or reject media', () => {
  it('an artist cannot approve their own render, and the task stays pending review', async () => {
    const id = await render(studio.artist, 'own.png');
    const res = await approve(id, studio.artist).expect(403);
    expect(expectEnvelope(res.body, 'PERMISSION_DENIED').message).toBe("This needs 'review' permission on project SR");
    expect((await ctx.taskDoc('SR', TASK).get()).get('status')).toBe('pending_review');
    expect((await ctx.db.doc(`media/${id}`).get()).get('approval_status')).toBe('pending');
  });

  it('a reviewer approves an artist\'s render', async () => {
    const id = await render(studio.artist, 'theirs.png');
    await approve(id, studio.supervisor).expect(200);
    expect((await ctx.taskDoc('SR', TASK).get()).get('status')).toBe('approved');
  });

  it('nobody reviews their own upload, project admins included, unless the project allows it', async () => {
    const writerReviewer = await ctx.createUser({ name: 'lead-artist' });
    await ctx.addMember('SR', writerReviewer, ['write', 'review']);
    for (const user of [writerReviewer, admin]) {
      const id = await render(user, `self-${user.uid}.png`);
      const res = await approve(id, user).expect(403);
      expect(expectEnvelope(res.body, 'PERMISSION_DENIED').message).toBe(`You uploaded media ${id}; project SR does not allow reviewing one's own upload (allow_self_review)`);
      const reject = await ctx.http().post(`/api/v1/media/${id}/approve`).set('Authorization', user.bearer).send({ approval_status: 'rejected' }).expect(403);
      expectEnvelope(reject.body, 'PERMISSION_DENIED');
    }
    const patched = await ctx.http().patch('/api/v1/projects/SR').set('Authorization', admin.bearer).send({ allow_self_review: true }).expect(200);
    expect(patched.body.allow_self_review).toBe(true);
    const id = await render(writerReviewer, 'allowed.png');
    await approve(id, writerReviewer).expect(200);
    await ctx.http().patch('/api/v1/projects/SR').set('Authorization', admin.bearer).send({ allow_self_review: false }).expect(200);
    await approve(await render(writerReviewer, 'again.png'), writerReviewer).expect(403);
  });

  it('allow_self_review is off unless set, and only project admins change it', async () => {
    const created = await ctx.http().post('/api/v1/projects').set('Authorization', (await ctx.createUser({ admin: true })).bearer).send({ id: 'SR2', name: 'x' }).expect(201);
    expect(created.body.allow_self_review).toBeUndefined();
    const res = await ctx.http().patch('/api/v1/projects/SR').set('Authorization', studio.supervisor.bearer).send({ allow_self_review: true }).expect(403);
    expectEnvelope(res.body, 'PERMISSION_DENIED');
    const bad = await ctx.http().patch('/api/v1/projects/SR').set('Authorization', admin.bearer).send({ allow_self_review: 'yes' }).expect(400);
    expect(expectEnvelope(bad.body, 'VALIDATION_ERROR').details).toMatchObject({ field: 'allow_self_review' });
  });
});
