// Ids and file names sent by users become Firestore document paths and Storage keys. These tests
// send the ones that would escape (`/`, `..`, NUL, encoded slashes, reserved `__x__` ids) through
// every route that takes them, and check where anything lands.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope } from '../support/context.js';
import { TINY_PNG, buildWorld, expectSameData, snapshot, type World } from './world.js';

const ctx = createTestContext('paths-from-input', { rateLimitPerMinute: 1_000_000 });
let world: World;
let task: string;
const ESCAPING_IDS = ['a/b', '..', '.', '../..', '..%2F..', 'a\u0000b', '__name__', '__x__', '%2e%2e', 'a/../../b', `${'x'.repeat(300)}`];

beforeAll(async () => {
  world = await buildWorld(ctx);
  task = world.swa.tasks[0]!;
});

const as = () => world.globalAdmin.bearer;
async function storedKeys(): Promise<string[]> {
  const [files] = await ctx.deps.bucket.getFiles();
  return files.map((f) => f.name).sort();
}

describe('file names from uploads', () => {
  it('keep only their last segment: a name with directories lands under its task and version', async () => {
    const before = await storedKeys();
    for (const [name, version] of [['../../../etc/evil.png', 'v011'], ['..\\..\\windows\\evil.png', 'v012'], ['C:\\fakepath\\plate.png', 'v013']] as const) {
      const res = await ctx.http().post('/api/v1/media').set('Authorization', as()).field('task_id', task).field('version', version).attach('file', TINY_PNG, name).expect(201);
      expect(res.body.storage_key ?? `media/SWA/${task}/${version}/${res.body.file_name}`).toBe(`media/SWA/${task}/${version}/${name.split(/[\\/]/).pop()}`);
    }
    const added = (await storedKeys()).filter((k) => !before.includes(k));
    expect(added).toEqual([`media/SWA/${task}/v011/evil.png`, `media/SWA/${task}/v012/evil.png`, `media/SWA/${task}/v013/plate.png`]);
  });

  it('that could still escape or hide are refused before anything is stored', async () => {
    const before = await snapshot(ctx);
    for (const name of ['..', '.', 'dir/..', '.htaccess', 'evil.png\u0000.exe', '%2e%2e%2fevil.png', 'évil.png']) {
      const res = await ctx.http().post('/api/v1/media').set('Authorization', as()).field('task_id', task).field('version', 'v020').attach('file', TINY_PNG, name);
      expect({ name, status: res.status }).toEqual({ name, status: 400 });
      expectEnvelope(res.body, 'VALIDATION_ERROR');
    }
    for (const file_name of ['../evil.exr', '..', 'a/b.exr', '%2e%2e%2fevil.exr', 'evil\u0000.exr', 'a\\b.exr', '.exr']) {
      const res = await ctx.http().post('/api/v1/media/upload-url').set('Authorization', as()).send({ task_id: task, file_name, file_size: 10 });
      expect({ file_name, status: res.status, field: expectEnvelope(res.body, 'VALIDATION_ERROR').details }).toMatchObject({ file_name, status: 400, field: { field: 'file_name' } });
    }
    expectSameData(before, await snapshot(ctx), 'refused file names');
  });
});

describe('ids in bodies and paths', () => {
  it('never reach a document path: every route refuses them with 400 or reports them per item', async () => {
    const before = await snapshot(ctx);
    const bearer = as();
    for (const id of ESCAPING_IDS) {
      const refusals = [
        await ctx.http().post('/api/v1/tasks').set('Authorization', bearer).send({ id, project_id: 'SWA', episode: 'ep09', sequence: 'sq0010', shot: 'sh0010', task: 'comp' }),
        await ctx.http().post('/api/v1/tasks').set('Authorization', bearer).send({ project_id: id, episode: 'ep09', sequence: 'sq0010', shot: 'sh0010', task: 'comp' }),
        await ctx.http().post('/api/v1/tasks').set('Authorization', bearer).send({ project_id: 'SWA', episode: id, sequence: 'sq0010', shot: 'sh0010', task: 'comp' }),
        await ctx.http().post('/api/v1/media').set('Authorization', bearer).field('task_id', id).attach('file', TINY_PNG, 'x.png'),
        await ctx.http().post('/api/v1/media/upload-url').set('Authorization', bearer).send({ task_id: id, file_name: 'x.exr', file_size: 10 }),
        await ctx.http().post('/api/v1/annotations').set('Authorization', bearer).send({ media_id: id, annotation_type: 'note', content: 'x' }),
        await ctx.http().post('/api/v1/annotations').set('Authorization', bearer).send({ media_id: world.swa.media, annotation_type: 'note', content: 'x', parent_id: id }),
        await ctx.http().post('/api/v1/projects').set('Authorization', bearer).send({ id, name: 'Escape' }),
        await ctx.http().post('/api/v1/tasks/import-csv').set('Authorization', bearer).field('project_id', id).attach('file', Buffer.from('Episode,Sequence,Shot,Task\nep09,sq0010,sh0010,comp\n'), 'shots.csv'),
        await ctx.http().get('/api/v1/audit').set('Authorization', bearer).query({ project_id: 'SWA', document_id: id }),
        await ctx.http().get(`/api/v1/tasks/import-status/${encodeURIComponent(id)}`).set('Authorization', bearer),
        await ctx.http().get(`/api/v1/tasks/${encodeURIComponent(id)}/history`).set('Authorization', bearer),
      ];
      for (const [i, res] of refusals.entries()) {
        expect({ id, route: i, status: res.status }).toEqual({ id, route: i, status: 400 });
        expectEnvelope(res.body, 'VALIDATION_ERROR');
      }
      // Membership answers per entry: a uid-shaped id that names no user is reported, not added.
      const members = await ctx.http().post('/api/v1/projects/SWA/users').set('Authorization', bearer).send([{ user_id: id, permissions: ['read'] }]);
      if (members.status === 200) expect({ id, added: members.body.added, failed: members.body.errors.map((e: { user: string }) => e.user) }).toEqual({ id, added: [], failed: [id] });
      else expect({ id, status: members.status }).toEqual({ id, status: 400 });
    }
    // Bulk calls answer per task; each escaping id is one failed item, and nothing is written.
    const bulk = await ctx.http().patch('/api/v1/tasks/bulk-update').set('Authorization', bearer).send(ESCAPING_IDS.map((task_id) => ({ task_id, updates: { status: 'on_hold' } }))).expect(200);
    expect(bulk.body.updated_count).toBe(0);
    expect((bulk.body.errors as { task_id: string }[]).map((e) => e.task_id)).toEqual(ESCAPING_IDS);
    const legacy = await ctx.http().post('/api/v1/tasks/bulk').set('Authorization', bearer).send({ task_ids: ESCAPING_IDS, operation: 'archive' }).expect(200);
    expect(legacy.body).toMatchObject({ successful: 0, failed: ESCAPING_IDS.length });
    expectSameData(before, await snapshot(ctx), 'escaping ids');
  });
});
