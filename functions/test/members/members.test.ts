import { describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope } from '../support/context.js';

const ctx = createTestContext('members');

async function projectWithAdmin(id: string) {
  const admin = await ctx.createUser({ name: 'supervisor' });
  await ctx.seedProject(id);
  await ctx.addMember(id, admin, ['admin']);
  return admin;
}

describe('project membership API', () => {
  it('adds users by uid and by email, reporting unknown users per entry', async () => {
    const admin = await projectWithAdmin('MEM1');
    const artist = await ctx.createUser({ name: 'artist' });
    const client = await ctx.createUser({ name: 'client' });
    const res = await ctx
      .http()
      .post('/api/v1/projects/MEM1/users')
      .set('Authorization', admin.bearer)
      .send([
        { user_id: artist.uid, permissions: ['read', 'write'] },
        { email: client.email, permissions: ['read'] },
        { email: 'ghost@studio.test', permissions: ['read'] },
        { user_id: 'no-such-uid', permissions: ['write'] },
      ])
      .expect(200);
    expect(res.body.added.map((m: { user_id: string; permissions: string[] }) => [m.user_id, m.permissions])).toEqual([
      [artist.uid, ['read', 'write']],
      [client.uid, ['read']],
    ]);
    expect(res.body.errors).toEqual([
      { index: 2, user: 'ghost@studio.test', error: 'No user with email ghost@studio.test' },
      { index: 3, user: 'no-such-uid', error: 'No user with id no-such-uid' },
    ]);
    const stored = await ctx.db.doc(`projects/MEM1/members/${artist.uid}`).get();
    expect(stored.get('added_by')).toBe(admin.uid);
    expect(stored.get('updated_by')).toBe(admin.uid);
  });

  it('lists, updates and removes members; write implies read, admin implies both', async () => {
    const admin = await projectWithAdmin('MEM2');
    const artist = await ctx.createUser();
    await ctx.http().post('/api/v1/projects/MEM2/users').set('Authorization', admin.bearer).send([{ user_id: artist.uid, permissions: ['write'] }]).expect(200);
    const list = await ctx.http().get('/api/v1/projects/MEM2/users').set('Authorization', admin.bearer).expect(200);
    expect(list.body).toMatchObject({ total: 2, page: 1, page_size: 50, total_pages: 1, next_page_token: null });
    expect(list.body.items.find((m: { user_id: string }) => m.user_id === artist.uid).permissions).toEqual(['read', 'write']);

    const patched = await ctx.http().patch(`/api/v1/projects/MEM2/users/${artist.uid}`).set('Authorization', admin.bearer).send({ permissions: ['admin'] }).expect(200);
    expect(patched.body.permissions).toEqual(['read', 'write', 'review', 'admin']);

    await ctx.http().delete(`/api/v1/projects/MEM2/users/${artist.uid}`).set('Authorization', admin.bearer).expect(204);
    expect((await ctx.db.doc(`projects/MEM2/members/${artist.uid}`).get()).exists).toBe(false);
    const gone = await ctx.http().delete(`/api/v1/projects/MEM2/users/${artist.uid}`).set('Authorization', admin.bearer).expect(404);
    expect(expectEnvelope(gone.body, 'NOT_FOUND').message).toBe(`Member ${artist.uid} of project MEM2 not found`);
  });

  it('refuses to leave a project without an admin', async () => {
    const admin = await projectWithAdmin('MEM3');
    const demote = await ctx.http().patch(`/api/v1/projects/MEM3/users/${admin.uid}`).set('Authorization', admin.bearer).send({ permissions: ['read'] }).expect(422);
    expect(expectEnvelope(demote.body, 'UNPROCESSABLE').message).toMatch(/without an admin/);
    await ctx.http().delete(`/api/v1/projects/MEM3/users/${admin.uid}`).set('Authorization', admin.bearer).expect(422);
  });

  it('lets only project admins and global admins manage members', async () => {
    await projectWithAdmin('MEM4');
    const writer = await ctx.createUser();
    await ctx.addMember('MEM4', writer, ['write']);
    const outsider = await ctx.createUser();
    const globalAdmin = await ctx.createUser({ admin: true });
    const asWriter = await ctx.http().get('/api/v1/projects/MEM4/users').set('Authorization', writer.bearer).expect(403);
    expect(expectEnvelope(asWriter.body, 'PERMISSION_DENIED').message).toBe("This needs 'admin' permission on project MEM4");
    const asOutsider = await ctx.http().get('/api/v1/projects/MEM4/users').set('Authorization', outsider.bearer).expect(404);
    expect(expectEnvelope(asOutsider.body, 'NOT_FOUND').message).toBe('Project MEM4 not found');
    await ctx.http().get('/api/v1/projects/MEM4/users').set('Authorization', globalAdmin.bearer).expect(200);
    await ctx.http().get('/api/v1/projects/NO_SUCH/users').set('Authorization', globalAdmin.bearer).expect(404);
  });

  it('validates entries: exactly one of user_id or email, known permissions', async () => {
    const admin = await projectWithAdmin('MEM5');
    const res = await ctx
      .http()
      .post('/api/v1/projects/MEM5/users')
      .set('Authorization', admin.bearer)
      .send([{ user_id: 'a', email: 'a@b.co', permissions: ['read'] }, { user_id: 'b', permissions: ['owner'] }])
      .expect(400);
    const fields = (expectEnvelope(res.body, 'VALIDATION_ERROR').details as { errors: { field: string }[] }).errors.map((e) => e.field);
    expect(fields).toEqual(['0', '1.permissions.0']);
  });
});

describe('every non-public route needs a token', () => {
  it('walks the OpenAPI document: only health, login and refresh are public, all others answer 401 without a token', async () => {
    const doc = (await ctx.http().get('/api/v1/openapi.json').expect(200)).body as { paths: Record<string, Record<string, { security: unknown[] }>> };
    const publicOps: string[] = [];
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op.security.length === 0) {
          publicOps.push(`${method.toUpperCase()} ${path}`);
          continue;
        }
        const url = path.replace(/\{\w+\}/g, 'x');
        const res = await ctx.http()[method as 'get'](url);
        expect(res.status, `${method} ${url}`).toBe(401);
        expectEnvelope(res.body, 'UNAUTHENTICATED');
        checked++;
      }
    }
    expect(publicOps.sort()).toEqual(['GET /api/v1/health', 'POST /api/v1/auth/login', 'POST /api/v1/auth/refresh']);
    expect(checked).toBeGreaterThanOrEqual(6);
  });
});
