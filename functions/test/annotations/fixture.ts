// Test arrangement for the review tests: a project with one member of each kind, and media and
// task documents written directly (they belong to other domains).
import { FieldValue } from 'firebase-admin/firestore';
import type { TestContext, TestUser } from '../support/context.js';

export interface ReviewCast {
  project: string;
  /** Project admin (a supervisor). */
  admin: TestUser;
  writer: TestUser;
  writer2: TestUser;
  reader: TestUser;
  /** Not a member of the project. */
  outsider: TestUser;
}

export async function castReview(ctx: TestContext, project = 'SWA'): Promise<ReviewCast> {
  await ctx.seedProject(project);
  const [admin, writer, writer2, reader, outsider] = await Promise.all(
    ['supervisor', 'artist', 'animator', 'client', 'stranger'].map((name) => ctx.createUser({ name })),
  );
  await Promise.all([
    ctx.addMember(project, admin!, ['admin']),
    ctx.addMember(project, writer!, ['write']),
    ctx.addMember(project, writer2!, ['write']),
    ctx.addMember(project, reader!, ['read']),
  ]);
  return { project, admin: admin!, writer: writer!, writer2: writer2!, reader: reader!, outsider: outsider! };
}

export async function seedTask(ctx: TestContext, id: string, project: string, frameRange?: { start: number; end: number }): Promise<void> {
  await ctx.taskDoc(project, id).set({ id, project_id: project, status: 'in_progress', ...(frameRange ? { frame_range: frameRange } : {}) });
}

export interface MediaSeed {
  project_id: string;
  linked_task_id?: string | null;
  status?: 'active' | 'pending_upload' | 'archived';
  metadata?: { width?: number; height?: number; frame_rate?: number };
}

export async function seedMedia(ctx: TestContext, id: string, seed: MediaSeed): Promise<void> {
  await ctx.db.doc(`media/${id}`).set({
    linked_task_id: null,
    status: 'active',
    metadata: {},
    open_annotations: 0,
    total_annotations: 0,
    updated_by: 'seed',
    ...seed,
  });
}

export async function counters(ctx: TestContext, mediaId: string): Promise<{ open: number; total: number }> {
  const snap = await ctx.db.doc(`media/${mediaId}`).get();
  return { open: snap.get('open_annotations') as number, total: snap.get('total_annotations') as number };
}

export async function setStatus(ctx: TestContext, path: string, status: string): Promise<void> {
  await ctx.db.doc(path).update({ status, updated_at: FieldValue.serverTimestamp() });
}

/** `POST /annotations` as `user`. */
export function annotate(ctx: TestContext, user: TestUser, body: Record<string, unknown>) {
  return ctx.http().post('/api/v1/annotations').set('Authorization', user.bearer).send(body);
}

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const ETAG = /^"\d+\.\d{9}"$/;
