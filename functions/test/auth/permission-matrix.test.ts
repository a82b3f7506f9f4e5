// Who may do what: each role against a read route, a write route, a review route and an admin route.
import { FieldValue } from 'firebase-admin/firestore';
import { beforeAll, describe, expect, it } from 'vitest';
import { SWA_PROJECT } from '../support/swa.js';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';
import { configOf, newTask, seedTasks } from '../tasks/fixture.js';

const ctx = createTestContext('matrix');
const { id: _id, ...swa } = SWA_PROJECT;
const TASK = 'ep01_sq010_sh020_lighting';

const MEDIA = 'matrix-render';

type Role = 'reader' | 'writer' | 'reviewer' | 'projectAdmin' | 'outsider' | 'globalAdmin';
const users = {} as Record<Role, TestUser>;

beforeAll(async () => {
  await ctx.seedProject('SWA', swa);
  const now = Date.now();
  await seedTasks(ctx.db, [{ task: newTask({ project_id: 'SWA', episode: 'ep01', sequence: 'sq010', shot: 'sh020', task: 'lighting' }, configOf('SWA')), config: configOf('SWA'), created: now, updated: now }]);
  users.reader = await ctx.createUser({ name: 'client' });
  users.writer = await ctx.createUser({ name: 'artist' });
  users.reviewer = await ctx.createUser({ name: 'lead' });
  users.projectAdmin = await ctx.createUser({ name: 'supervisor' });
  users.outsider = await ctx.createUser({ name: 'outsider' });
  users.globalAdmin = await ctx.createUser({ name: 'studio-admin', admin: true });
  await ctx.addMember('SWA', users.reader, ['read']);
  await ctx.addMember('SWA', users.writer, ['write']);
  await ctx.addMember('SWA', users.reviewer, ['review']);
  await ctx.addMember('SWA', users.projectAdmin, ['admin']);
  // A render the writer uploaded (the record as an upload leaves it), for the review route.
  await ctx.db.doc(`media/${MEDIA}`).set({ project_id: 'SWA', linked_task_id: TASK, author: users.writer.uid, status: 'active', approval_status: 'pending', approval_history: [], updated_at: FieldValue.serverTimestamp() });
});

const routes = {
  read: (u: TestUser) => ctx.http().get('/api/v1/projects/SWA').set('Authorization', u.bearer),
  write: (u: TestUser) => ctx.http().patch(`/api/v1/tasks/${TASK}`).set('Authorization', u.bearer).send({ milestone_note: `by ${u.email}` }),
  review: (u: TestUser) => ctx.http().post(`/api/v1/media/${MEDIA}/approve`).set('Authorization', u.bearer).send({ approval_status: 'approved' }),
  admin: (u: TestUser) => ctx.http().patch('/api/v1/projects/SWA').set('Authorization', u.bearer).send({ description: `edited by ${u.email}` }),
};

const expected: Record<Role, Record<keyof typeof routes, number>> = {
  reader: { read: 200, write: 403, review: 403, admin: 403 },
  writer: { read: 200, write: 200, review: 403, admin: 403 },
  reviewer: { read: 200, write: 403, review: 200, admin: 403 },
  projectAdmin: { read: 200, write: 200, review: 200, admin: 200 },
  outsider: { read: 404, write: 404, review: 404, admin: 404 },
  globalAdmin: { read: 200, write: 200, review: 200, admin: 200 },
};

describe('permission matrix', () => {
  for (const [role, row] of Object.entries(expected) as [Role, Record<keyof typeof routes, number>][]) {
    for (const [route, status] of Object.entries(row) as [keyof typeof routes, number][]) {
      it(`${role} × ${route} route → ${status}`, async () => {
        const res = await routes[route](users[role]);
        expect(res.status).toBe(status);
        if (status === 403) expectEnvelope(res.body, 'PERMISSION_DENIED');
        if (status === 404) expect(expectEnvelope(res.body, 'NOT_FOUND').message).toMatch(/^(Project SWA|Task ep01_sq010_sh020_lighting|Media matrix-render) not found$/);
      });
    }
  }

  it('stores each role in the closed form: review and write each imply read, admin implies all', async () => {
    const stored = async (u: TestUser) => (await ctx.db.doc(`projects/SWA/members/${u.uid}`).get()).get('permissions');
    expect(await stored(users.reviewer)).toEqual(['read', 'review']);
    expect(await stored(users.writer)).toEqual(['read', 'write']);
    expect(await stored(users.projectAdmin)).toEqual(['read', 'write', 'review', 'admin']);
  });

  it('a refused change leaves the data as it was', async () => {
    const before = (await ctx.db.doc('projects/SWA').get()).get('description');
    await routes.admin(users.writer).expect(403);
    expect((await ctx.db.doc('projects/SWA').get()).get('description')).toBe(before);
  });
});
