// The demo seed (scripts/seed.mjs): what a user finds after it, that running it again changes no
// count, and that it refuses to run without emulators. Needs functions/lib built (npm test builds).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATASET, seedDemoData } from '../../../scripts/seed.mjs';
import { freePort } from '../../../stack/ports.mjs';
import { createTestContext, signIn } from '../support/context.js';

const run = promisify(execFile);
const ctx = createTestContext('seed');
const SCRIPT = new URL('../../../scripts/seed.mjs', import.meta.url).pathname;
let admin: string;
let firstRun: Awaited<ReturnType<typeof seedDemoData>>;

async function counts() {
  const names = ['projects', 'tasks', 'media', 'annotations', 'directory_operations', 'versions'];
  const all = await Promise.all(names.map(async (n) => [n, (await ctx.db.collection(n).count().get()).data().count] as const));
  return Object.fromEntries(all);
}

beforeAll(async () => {
  firstRun = await seedDemoData(ctx.deps);
  admin = `Bearer ${(await signIn('admin@montu.test', 'montu-admin-123')).idToken}`;
});

describe('the demo seed', () => {
  it("writes the spec's Quick Start counts and reports them created", async () => {
    expect(await counts()).toEqual({ projects: 2, tasks: 65, media: 15, annotations: 1, directory_operations: 6, versions: 4 });
    // Auth is shared by every test file, so another file may have made the demo users already.
    expect(firstRun.users!.created + firstRun.users!.existing).toBe(5);
    expect({ ...firstRun, users: undefined }).toEqual({
      users: undefined,
      projects: { created: 2, existing: 0 },
      memberships: { created: 6, existing: 0 },
      tasks: { created: 65, existing: 0 },
      versions: { created: 4, existing: 0 },
      media: { created: 15, existing: 0 },
      annotations: { created: 1, existing: 0 },
      directory_operations: { created: 6, existing: 0 },
    });
  });

  it('gives each demo user the documented access', async () => {
    for (const user of DATASET.users) {
      const { idToken } = await signIn(user.email, user.password);
      const me = await ctx.http().get('/api/v1/auth/me').set('Authorization', `Bearer ${idToken}`).expect(200);
      expect(me.body).toMatchObject({ user_id: user.uid, email: user.email, admin: user.admin === true });
      expect(me.body.projects.map((p: { project_id: string }) => p.project_id).sort()).toEqual(Object.keys(user.projects).sort());
    }
    await ctx.http().get('/api/v1/stats').set('Authorization', admin).expect(200);
    const client = `Bearer ${(await signIn('client@montu.test', 'montu-client-123')).idToken}`;
    await ctx.http().get('/api/v1/stats').set('Authorization', client).expect(403);
    await ctx.http().get('/api/v1/projects/NDR').set('Authorization', client).expect(404);
    const supervisor = `Bearer ${(await signIn('supervisor@montu.test', 'montu-super-123')).idToken}`;
    await ctx.http().patch('/api/v1/projects/NDR').set('Authorization', supervisor).send({ description: 'Animated short film' }).expect(200);
  });

  it('leaves documents the API can search, sort and count like its own', async () => {
    const search = await ctx.http().get('/api/v1/tasks?search=sq0010 sh0020 comp').set('Authorization', admin).expect(200);
    expect(search.body.items.map((t: { id: string }) => t.id).sort()).toEqual(['ep00_sq0010_sh0020_comp', 'nd01_sq0010_sh0020_comp']);
    const projects = await ctx.http().get('/api/v1/projects?search=sky').set('Authorization', admin).expect(200);
    expect(projects.body.items.map((p: { id: string }) => p.id)).toEqual(['SWA']);
    const urgent = await ctx.http().get('/api/v1/tasks?project_id=SWA&priority=urgent&sort=deadline&order=asc').set('Authorization', admin).expect(200);
    expect(urgent.body.items.map((t: { id: string; deadline: string }) => [t.id, t.deadline])).toEqual([
      ['ep01_sq0020_sh0010_lighting', '2025-09-12'],
      ['ep01_sq0030_sh0030_layout', '2025-09-15'],
    ]);
    const stats = await ctx.http().get('/api/v1/projects/NDR/stats').set('Authorization', admin).expect(200);
    expect(stats.body).toMatchObject({ total_tasks: 12, total_media_files: 2, tasks_by_status: { approved: 2, pending_review: 1, in_progress: 3, not_started: 6 } });
  });

  it('stores every media file with both thumbnails, review history and annotation counters', async () => {
    const page = await ctx.http().get('/api/v1/media?page_size=100').set('Authorization', admin).expect(200);
    expect(page.body.items).toHaveLength(15);
    for (const media of page.body.items) {
      expect(media).toMatchObject({ status: 'active', thumbnail_status: 'ready', metadata: { width: 960, height: 540 } });
      const [file] = await ctx.deps.bucket.file(media.storage_key).exists();
      const [large] = await ctx.deps.bucket.file(media.thumbnail_key).exists();
      const [small] = await ctx.deps.bucket.file(media.thumbnail_small_key).exists();
      expect([media.file_name, file, large, small]).toEqual([media.file_name, true, true, true]);
    }
    const reviewed = page.body.items.filter((m: { approval_status: string }) => m.approval_status !== 'pending');
    expect(reviewed.map((m: { approval_status: string }) => m.approval_status).sort()).toEqual(['approved', 'approved', 'approved', 'approved', 'approved', 'rejected']);
    const annotated = page.body.items.filter((m: { total_annotations: number }) => m.total_annotations > 0);
    expect(annotated.map((m: { linked_task_id: string; open_annotations: number }) => [m.linked_task_id, m.open_annotations])).toEqual([['ep01_sq0020_sh0010_lighting', 1]]);
    const thumbnail = await ctx.http().get(`/api/v1/media/${annotated[0].id}/thumbnail?size=small`).set('Authorization', admin).expect(200);
    expect(thumbnail.headers['content-type']).toBe('image/jpeg');
  });

  it('changes no count when run again', async () => {
    const before = await counts();
    const again = await seedDemoData(ctx.deps);
    expect(await counts()).toEqual(before);
    expect(Object.values(again).every((n) => n.created === 0)).toBe(true);
  });
});

describe('npm run seed', () => {
  it('refuses to run when the emulators are not there, and names them', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ['FIRESTORE_EMULATOR_HOST', 'FIREBASE_AUTH_EMULATOR_HOST', 'FIREBASE_STORAGE_EMULATOR_HOST', 'STORAGE_EMULATOR_HOST']) delete env[name];
    // Ports nobody listens on, so firebase.json's defaults (maybe a developer's stack) are not found either.
    for (const service of ['FIRESTORE', 'AUTH', 'STORAGE']) env[`MONTU_${service}_PORT`] = String(await freePort());
    const refused = await run(process.execPath, [SCRIPT], { env }).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused?.code).toBe(2);
    expect(refused?.stderr).toContain('no emulator for FIRESTORE_EMULATOR_HOST, FIREBASE_AUTH_EMULATOR_HOST, FIREBASE_STORAGE_EMULATOR_HOST: refusing to seed');
  });
});
