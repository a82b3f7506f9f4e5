// Finding 5: the last-admin check counted admins, then wrote, outside a transaction, so two admins
// demoting each other at once both succeeded and left the project without one. Re-adding the last
// admin with fewer permissions through POST /users skipped the check altogether.
import { describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';

const ctx = createTestContext('last-admin');

async function projectWithAdmins(id: string, n: number): Promise<TestUser[]> {
  await ctx.seedProject(id);
  const admins = await Promise.all(Array.from({ length: n }, () => ctx.createUser({ name: 'supervisor' })));
  await Promise.all(admins.map((a) => ctx.addMember(id, a, ['admin'])));
  return admins;
}

async function adminsOf(id: string): Promise<string[]> {
  const snap = await ctx.db.collection(`projects/${id}/members`).where('permissions', 'array-contains', 'admin').get();
  return snap.docs.map((d) => d.id);
}

describe('a project never loses its last admin', () => {
  it('two admins demoting each other at once: one wins, the other is refused', async () => {
    const [a, b] = await projectWithAdmins('RACE', 2);
    const results = await Promise.all([
      ctx.http().patch(`/api/v1/projects/RACE/users/${b!.uid}`).set('Authorization', a!.bearer).send({ permissions: ['read'] }),
      ctx.http().patch(`/api/v1/projects/RACE/users/${a!.uid}`).set('Authorization', b!.bearer).send({ permissions: ['read'] }),
    ]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    // The loser was demoted first (403), would demote the last admin (422), or lost on contention (409).
    expect([403, 409, 422]).toContain(results.find((r) => r.status !== 200)!.status);
    expect(await adminsOf('RACE')).toHaveLength(1);
  });

  it('every admin removing or demoting another at once still leaves one', async () => {
    const admins = await projectWithAdmins('RACE_ALL', 5);
    const results = await Promise.all(
      admins.map((a, i) => {
        const victim = admins[(i + 1) % admins.length]!;
        const req = i % 2 === 0 ? ctx.http().delete(`/api/v1/projects/RACE_ALL/users/${victim.uid}`) : ctx.http().patch(`/api/v1/projects/RACE_ALL/users/${victim.uid}`).send({ permissions: ['write'] });
        return req.set('Authorization', a.bearer);
      }),
    );
    for (const r of results) expect([200, 204, 403, 409, 422]).toContain(r.status);
    expect((await adminsOf('RACE_ALL')).length).toBeGreaterThanOrEqual(1);
  });

  it('an admin demoted meanwhile can no longer change memberships', async () => {
    const [a, b] = await projectWithAdmins('STALE', 2);
    const artist = await ctx.createUser();
    await ctx.addMember('STALE', artist, ['write']);
    await ctx.http().patch(`/api/v1/projects/STALE/users/${b!.uid}`).set('Authorization', a!.bearer).send({ permissions: ['read'] }).expect(200);
    const res = await ctx.http().patch(`/api/v1/projects/STALE/users/${artist.uid}`).set('Authorization', b!.bearer).send({ permissions: ['admin'] }).expect(403);
    expectEnvelope(res.body, 'PERMISSION_DENIED');
  });

  it('re-adding the last admin through POST /users with fewer permissions is refused for that entry', async () => {
    const [a] = await projectWithAdmins('READD', 1);
    const res = await ctx.http().post('/api/v1/projects/READD/users').set('Authorization', a!.bearer).send([{ user_id: a!.uid, permissions: ['read'] }]).expect(200);
    expect(res.body.added).toEqual([]);
    expect(res.body.errors).toEqual([{ index: 0, user: a!.uid, error: 'This would leave project READD without an admin; make someone else admin first' }]);
    expect(await adminsOf('READD')).toEqual([a!.uid]);
  });
});
