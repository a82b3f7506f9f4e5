import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { getApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { describe, expect, it } from 'vitest';
import { createTestContext, signIn, uniqueName } from '../support/context.js';

const run = promisify(execFile);
const ctx = createTestContext('create-admin');
const script = new URL('../../../scripts/create-admin.mjs', import.meta.url).pathname;

describe('npm run create-admin', () => {
  it('creates a global admin who can then call admin-only routes', async () => {
    const email = `${uniqueName('boss')}@studio.test`;
    const { stdout } = await run(process.execPath, [script, '--email', email, '--password', 'boss-pass-123'], { env: process.env });
    expect(stdout).toContain(`Made global admin: ${email}`);
    const { idToken } = await signIn(email, 'boss-pass-123');
    await ctx.http().get('/api/v1/stats').set('Authorization', `Bearer ${idToken}`).expect(200);
  });

  it('promotes an existing user, and refuses an unknown one without a password', async () => {
    const user = await ctx.createUser();
    await ctx.http().get('/api/v1/stats').set('Authorization', user.bearer).expect(403);
    await run(process.execPath, [script, '--email', user.email], { env: process.env });
    await ctx.http().get('/api/v1/stats').set('Authorization', user.bearer).expect(200);
    await expect(run(process.execPath, [script, '--email', 'nobody-here@studio.test'], { env: process.env })).rejects.toMatchObject({ code: 1 });
  });

  it('writes the admins document the security rules read, and --revoke removes it with the claim', async () => {
    const user = await ctx.createUser();
    // The script works on the database of its project (GCLOUD_PROJECT), where the rules are deployed.
    const admins = getFirestore(getApp(ctx.deps.auth.app.name)).collection('admins');
    await run(process.execPath, [script, '--email', user.email], { env: process.env });
    expect((await admins.doc(user.uid).get()).get('granted_by')).toBe('create-admin script');
    await run(process.execPath, [script, '--email', user.email, '--revoke'], { env: process.env });
    expect((await admins.doc(user.uid).get()).exists).toBe(false);
    expect((await ctx.deps.auth.getUser(user.uid)).customClaims?.admin).toBeUndefined();
    await ctx.http().get('/api/v1/stats').set('Authorization', user.bearer).expect(403);
  });
});
