// A small studio made through the API itself, for the robustness tests: two projects, members of
// each kind, tasks, an uploaded media file, an annotation and a queued import job; plus a snapshot
// of everything stored, to prove a run of hostile requests changed nothing.
import type { DocumentReference, Firestore } from 'firebase-admin/firestore';
import { expect } from 'vitest';
import { RATE_LIMITS } from '../../src/lib/collections.js';
import type { TestContext, TestUser } from '../support/context.js';

/** Bytes of a 1x1 PNG: the upload route checks names and sizes, not pixels. */
export const TINY_PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

export interface World {
  globalAdmin: TestUser;
  /** Project admin of SWA, nothing in RFX. */
  admin: TestUser;
  /** Member of no project. */
  outsider: TestUser;
  swa: { project: string; tasks: string[]; media: string; annotation: string; job: string };
  rfx: { project: string; task: string; media: string; annotation: string };
  /** Strings only members of RFX may ever see (ids, names, texts). */
  rfxSecrets: string[];
  /** Strings only members of SWA may ever see. */
  swaSecrets: string[];
}

function expectStatus(res: { status: number; body: unknown }, status: number, what: string) {
  if (res.status !== status) throw new Error(`seeding ${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
}

export async function buildWorld(ctx: TestContext): Promise<World> {
  const [globalAdmin, admin, outsider] = await Promise.all([ctx.createUser({ admin: true, name: 'producer' }), ctx.createUser({ name: 'supervisor' }), ctx.createUser({ name: 'stranger' })]);

  for (const [id, name] of [['SWA', 'Sky Whale Armada'], ['RFX', 'Red Fox Expedition']]) {
    expectStatus(await ctx.as(globalAdmin).post('/projects', { id, name, description: `${name} (secret slate)` }), 201, `project ${id}`);
  }
  expectStatus(await ctx.as(globalAdmin).post('/projects/SWA/users', [{ user_id: admin.uid, permissions: ['admin'] }]), 200, 'SWA admin');

  const task = async (project: string, shot: string, step: string) => {
    const res = await ctx.as(globalAdmin).post('/tasks', { project_id: project, episode: 'ep01', sequence: 'sq0010', shot, task: step, artist: `${project.toLowerCase()}_artist`, frame_range: { start: 1001, end: 1100 } });
    expectStatus(res, 201, `task ${project} ${shot}`);
    return res.body.id as string;
  };
  const swaTasks = [await task('SWA', 'sh0010', 'lighting'), await task('SWA', 'sh0020', 'comp')];
  const rfxTask = await task('RFX', 'sh0990', 'fx');

  const upload = async (taskId: string, fileName: string) => {
    const res = await ctx.http().post('/api/v1/media').set('Authorization', globalAdmin.bearer).field('task_id', taskId).field('description', `dailies of ${taskId}`).attach('file', TINY_PNG, fileName);
    expectStatus(res, 201, `media of ${taskId}`);
    return res.body.id as string;
  };
  const swaMedia = await upload(swaTasks[0]!, 'swa_lighting_v001.png');
  const rfxMedia = await upload(rfxTask, 'rfx_fx_v001.png');

  const note = async (mediaId: string, content: string) => {
    const res = await ctx.as(globalAdmin).post('/annotations', { media_id: mediaId, annotation_type: 'note', content });
    expectStatus(res, 201, `annotation on ${mediaId}`);
    return res.body.id as string;
  };
  const swaNote = await note(swaMedia, 'SWA: whale fin flickers at 1042');
  const rfxNote = await note(rfxMedia, 'RFX: fox tail clips through the log');

  const csv = 'Episode,Sequence,Shot,Task\nep02,sq0010,sh0010,comp\n';
  const job = await ctx.http().post('/api/v1/tasks/import-csv-async').set('Authorization', globalAdmin.bearer).field('project_id', 'SWA').attach('file', Buffer.from(csv), 'shots.csv');
  expectStatus(job, 202, 'import job');

  return {
    globalAdmin,
    admin,
    outsider,
    swa: { project: 'SWA', tasks: swaTasks, media: swaMedia, annotation: swaNote, job: job.body.job_id as string },
    rfx: { project: 'RFX', task: rfxTask, media: rfxMedia, annotation: rfxNote },
    rfxSecrets: ['Red Fox Expedition', rfxTask, rfxMedia, rfxNote, 'fox tail clips', 'rfx_artist', 'rfx_fx_v001'],
    swaSecrets: ['Sky Whale Armada', ...swaTasks, swaMedia, swaNote, 'whale fin flickers', 'swa_artist', 'swa_lighting_v001', job.body.job_id as string],
  };
}

/** Every document (any depth) and every stored object, as comparable text. */
export async function snapshot(ctx: TestContext): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // listDocuments also finds documents that only hold subcollections.
  const walk = async (refs: { listDocuments(): Promise<DocumentReference[]> }[]): Promise<void> => {
    await Promise.all(
      refs.map(async (collection) => {
        const docs = await collection.listDocuments();
        const snaps = docs.length ? await ctx.db.getAll(...docs) : [];
        for (const snap of snaps) if (snap.exists) out.set(snap.ref.path, JSON.stringify(snap.data()));
        await Promise.all(docs.map(async (doc) => walk(await doc.listCollections())));
      }),
    );
  };
  // Rate-limit counters change with every request, refused ones included: they are not the studio's data.
  await walk((await (ctx.db as Firestore).listCollections()).filter((c) => c.id !== RATE_LIMITS));
  const [files] = await ctx.deps.bucket.getFiles();
  for (const f of files) out.set(`gs://${f.name}`, `${f.metadata.size}:${f.metadata.md5Hash}:${f.metadata.generation}`);
  return out;
}

/** Asserts two snapshots are equal, naming what was added, removed or changed. */
export function expectSameData(before: Map<string, string>, after: Map<string, string>, what: string) {
  const changes: string[] = [];
  for (const [key, value] of after) {
    if (!before.has(key)) changes.push(`added ${key}: ${value.slice(0, 300)}`);
    else if (before.get(key) !== value) changes.push(`changed ${key}: ${before.get(key)!.slice(0, 300)} → ${value.slice(0, 300)}`);
  }
  for (const key of before.keys()) if (!after.has(key)) changes.push(`removed ${key}`);
  expect(changes, `data changed by ${what}`).toEqual([]);
}
