import { describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope, signIn } from '../support/context.js';

const ctx = createTestContext('auth');

/** An unsigned token the way the Auth emulator mints them, with chosen claims. */
function craftToken(claims: Record<string, unknown>): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ iat: now, exp: now + 3600, auth_time: now, ...claims })}.`;
}

describe('POST /auth/login', () => {
  it('returns the spec shape with a Firebase ID token and the project permissions', async () => {
    const user = await ctx.createUser({ name: 'artist' });
    await ctx.seedProject('LOGIN');
    await ctx.addMember('LOGIN', user, ['write']);
    const res = await ctx.http().post('/api/v1/auth/login').send({ email: user.email, password: user.password, project_id: 'LOGIN' }).expect(200);
    expect(res.body).toMatchObject({ token_type: 'bearer', user_id: user.uid, project_id: 'LOGIN', permissions: ['read', 'write'], expires_in: 3600 });
    expect(res.body.refresh_token).toEqual(expect.any(String));
    const decoded = await ctx.deps.auth.verifyIdToken(res.body.access_token);
    expect(decoded.uid).toBe(user.uid);
    // The token works on an authenticated route.
    const me = await ctx.http().get('/api/v1/auth/me').set('Authorization', `Bearer ${res.body.access_token}`).expect(200);
    expect(me.body.user_id).toBe(user.uid);
  });

  it('gives the same 401 for a wrong password and an unknown email', async () => {
    const user = await ctx.createUser();
    const wrong = await ctx.http().post('/api/v1/auth/login').send({ email: user.email, password: 'wrong-password' }).expect(401);
    const unknown = await ctx.http().post('/api/v1/auth/login').send({ email: 'nobody@studio.test', password: 'whatever' }).expect(401);
    expect(expectEnvelope(wrong.body, 'UNAUTHENTICATED').message).toBe('Invalid email or password');
    expect(expectEnvelope(unknown.body, 'UNAUTHENTICATED').message).toBe('Invalid email or password');
  });

  it('refuses a disabled user with 403', async () => {
    const user = await ctx.createUser({ disabled: true });
    const res = await ctx.http().post('/api/v1/auth/login').send({ email: user.email, password: user.password }).expect(403);
    expect(expectEnvelope(res.body, 'PERMISSION_DENIED').message).toBe('This user account is disabled');
  });

  it('refuses a project the user does not belong to, whether or not it exists', async () => {
    const user = await ctx.createUser();
    await ctx.seedProject('OTHER');
    const a = await ctx.http().post('/api/v1/auth/login').send({ email: user.email, password: user.password, project_id: 'OTHER' }).expect(403);
    const b = await ctx.http().post('/api/v1/auth/login').send({ email: user.email, password: user.password, project_id: 'NOPE' }).expect(403);
    expect(expectEnvelope(a.body, 'PERMISSION_DENIED').message).toBe('You have no access to project OTHER');
    expect(expectEnvelope(b.body, 'PERMISSION_DENIED').message).toBe('You have no access to project NOPE');
  });
});

describe('POST /auth/refresh', () => {
  it('exchanges a refresh token for new tokens in the login shape', async () => {
    const user = await ctx.createUser();
    const res = await ctx.http().post('/api/v1/auth/refresh').send({ refresh_token: user.refreshToken }).expect(200);
    expect(res.body).toMatchObject({ token_type: 'bearer', user_id: user.uid, project_id: null, permissions: [] });
    await ctx.http().get('/api/v1/auth/me').set('Authorization', `Bearer ${res.body.access_token}`).expect(200);
  });

  it('refuses a garbage refresh token with 401', async () => {
    const res = await ctx.http().post('/api/v1/auth/refresh').send({ refresh_token: 'garbage' }).expect(401);
    expectEnvelope(res.body, 'UNAUTHENTICATED');
  });
});

describe('GET /auth/me', () => {
  it('lists every project the user belongs to with its permissions, and the admin flag', async () => {
    const user = await ctx.createUser({ name: 'supervisor' });
    await ctx.seedProject('ME_A');
    await ctx.seedProject('ME_B');
    await ctx.addMember('ME_A', user, ['admin']);
    await ctx.addMember('ME_B', user, ['read']);
    const res = await ctx.http().get('/api/v1/auth/me').set('Authorization', user.bearer).expect(200);
    expect(res.body).toEqual({
      user_id: user.uid,
      email: user.email,
      display_name: 'supervisor',
      admin: false,
      projects: [
        { project_id: 'ME_A', permissions: ['read', 'write', 'review', 'admin'] },
        { project_id: 'ME_B', permissions: ['read'] },
      ],
    });
    const admin = await ctx.createUser({ admin: true });
    const adminMe = await ctx.http().get('/api/v1/auth/me').set('Authorization', admin.bearer).expect(200);
    expect(adminMe.body.admin).toBe(true);
  });
});

describe('401 cases', () => {
  const route = '/api/v1/auth/me';
  it('no header', async () => {
    const res = await ctx.http().get(route).expect(401);
    expect(expectEnvelope(res.body, 'UNAUTHENTICATED').message).toMatch(/^Missing Authorization header/);
  });
  it('bad scheme', async () => {
    const user = await ctx.createUser();
    const res = await ctx.http().get(route).set('Authorization', `Basic ${user.token}`).expect(401);
    expect(expectEnvelope(res.body, 'UNAUTHENTICATED').message).toBe('Authorization must use the Bearer scheme');
  });
  it('garbage token', async () => {
    const res = await ctx.http().get(route).set('Authorization', 'Bearer not-a-token').expect(401);
    expect(expectEnvelope(res.body, 'UNAUTHENTICATED').message).toBe('Malformed bearer token: expected a Firebase ID token (JWT)');
  });
  it('expired token', async () => {
    const user = await ctx.createUser();
    const past = Math.floor(Date.now() / 1000) - 7200;
    const token = craftToken({ iss: `https://securetoken.google.com/${ctx.deps.config.projectId}`, aud: ctx.deps.config.projectId, sub: user.uid, user_id: user.uid, iat: past, auth_time: past, exp: past + 3600 });
    const res = await ctx.http().get(route).set('Authorization', `Bearer ${token}`).expect(401);
    expect(expectEnvelope(res.body, 'UNAUTHENTICATED').message).toMatch(/expired/);
  });
  it('token issued for another project', async () => {
    const user = await ctx.createUser();
    const token = craftToken({ iss: 'https://securetoken.google.com/other-project', aud: 'other-project', sub: user.uid, user_id: user.uid });
    const res = await ctx.http().get(route).set('Authorization', `Bearer ${token}`).expect(401);
    expect(expectEnvelope(res.body, 'UNAUTHENTICATED').message).toBe('ID token was issued for another Firebase project');
  });
  it('forged token for a user that does not exist', async () => {
    const token = craftToken({ iss: `https://securetoken.google.com/${ctx.deps.config.projectId}`, aud: ctx.deps.config.projectId, sub: 'ghost-user', user_id: 'ghost-user', admin: true });
    const res = await ctx.http().get(route).set('Authorization', `Bearer ${token}`).expect(401);
    expect(expectEnvelope(res.body, 'UNAUTHENTICATED').message).toBe('The user of this token no longer exists');
  });
  it('a forged admin claim does not make a user a global admin (the user record decides)', async () => {
    const user = await ctx.createUser();
    const token = craftToken({ iss: `https://securetoken.google.com/${ctx.deps.config.projectId}`, aud: ctx.deps.config.projectId, sub: user.uid, user_id: user.uid, admin: true });
    const res = await ctx.http().get('/api/v1/stats').set('Authorization', `Bearer ${token}`).expect(403);
    expectEnvelope(res.body, 'PERMISSION_DENIED');
  });
  it('revoked after logout: earlier ID tokens are refused, refresh tokens too', async () => {
    const user = await ctx.createUser();
    await ctx.http().get(route).set('Authorization', user.bearer).expect(200);
    // Revocation has one-second granularity (auth_time is in seconds): wait into the next second.
    await new Promise((r) => setTimeout(r, 1100));
    const out = await ctx.http().post('/api/v1/auth/logout').set('Authorization', user.bearer).expect(200);
    expect(out.body.message).toBe('Logged out: refresh tokens revoked');
    const res = await ctx.http().get(route).set('Authorization', user.bearer).expect(401);
    expect(expectEnvelope(res.body, 'UNAUTHENTICATED').message).toMatch(/revoked/);
    await ctx.http().post('/api/v1/auth/refresh').send({ refresh_token: user.refreshToken }).expect(401);
    // A fresh login works again.
    const again = await signIn(user.email, user.password);
    await ctx.http().get(route).set('Authorization', `Bearer ${again.idToken}`).expect(200);
  });
});
