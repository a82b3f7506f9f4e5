// Shared arrangement for the CSV import tests: a configured project, users by role, and calls.
import type { TestContext, TestUser } from '../support/context.js';

export const TASK_TYPES = ['modeling', 'animation', 'lighting', 'comp', 'fx'];

export const HEADER = 'Episode,Sequence,Shot,Task,Artist,Status,Priority,Frame In,Frame Out,Deadline,Estimated Hours,Description';

/** `n` valid rows: ep01, sequences of 100 shots, comp; shot numbers padded to 4. */
export function shotRows(n: number, from = 0): string[] {
  const rows: string[] = [];
  for (let i = from; i < from + n; i++) {
    const sq = String(Math.floor(i / 100) * 10 + 10).padStart(4, '0');
    const sh = String((i % 100) * 10 + 10).padStart(4, '0');
    rows.push(`ep01,sq${sq},sh${sh},comp,artist${i % 7},not_started,medium,1001,${1100 + (i % 50)},2026-03-01,${(i % 16) + 1},shot ${i}`);
  }
  return rows;
}

export const csv = (...lines: string[]) => `${lines.join('\n')}\n`;

export interface Team {
  admin: TestUser;
  writer: TestUser;
  reader: TestUser;
  outsider: TestUser;
}

export async function createTeam(ctx: TestContext): Promise<Team> {
  const [admin, writer, reader, outsider] = await Promise.all([
    ctx.createUser({ admin: true, name: 'admin' }),
    ctx.createUser({ name: 'writer' }),
    ctx.createUser({ name: 'reader' }),
    ctx.createUser({ name: 'outsider' }),
  ]);
  return { admin, writer, reader, outsider };
}

/** A project configured like the spec's, with the team's memberships. */
export async function seedImportProject(ctx: TestContext, team: Team, id: string, extra: Record<string, unknown> = {}): Promise<void> {
  await ctx.seedProject(id, { task_types: TASK_TYPES, milestones: ['not_started', 'final_render', 'approved'], priority_levels: ['low', 'medium', 'high', 'urgent'], ...extra });
  await ctx.addMember(id, team.writer, ['write']);
  await ctx.addMember(id, team.reader, ['read']);
}

export type Fields = Record<string, string>;

export function postImport(ctx: TestContext, user: TestUser, path: 'import-csv' | 'import-csv-async', fields: Fields, file: string | Buffer, fileName = 'shots.csv') {
  let req = ctx.http().post(`/api/v1/tasks/${path}`).set('Authorization', user.bearer);
  for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
  return req.attach('file', typeof file === 'string' ? Buffer.from(file) : file, fileName);
}

export async function countTasks(ctx: TestContext, projectId: string): Promise<number> {
  const snap = await ctx.db.collection('tasks').where('project_id', '==', projectId).count().get();
  return snap.data().count;
}

export async function taskIds(ctx: TestContext, projectId: string): Promise<string[]> {
  const snap = await ctx.db.collection('tasks').where('project_id', '==', projectId).get();
  return snap.docs.map((d) => d.get('id') as string).sort();
}
