import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext } from '../support/context.js';
import { createTeam, csv, postImport, seedImportProject, type Team } from './helpers.js';

const ctx = createTestContext('imports-dependencies');
let team: Team;

beforeAll(async () => {
  team = await createTeam(ctx);
});

const HEADER = 'Episode,Sequence,Shot,Task,Status,Depends On';
// Each project names its episodes after itself (dep01, cyc01), so an id starts with its project.
const stored = async (id: string) => (await ctx.taskDoc(id.slice(0, 3).toUpperCase(), id).get()).data();

describe('the Depends On column', () => {
  it('links tasks of the file to each other and to stored tasks, in any row order', async () => {
    await seedImportProject(ctx, team, 'DEP');
    const first = csv(HEADER, 'dep01,sq0010,sh0010,modeling,approved,');
    expect((await postImport(ctx, team.writer, 'import-csv', { project_id: 'DEP' }, first)).status).toBe(200);

    const file = csv(
      HEADER,
      // Waits for a task created two rows later, and for the stored modeling task.
      'dep01,sq0010,sh0010,lighting,,dep01_sq0010_sh0010_animation;dep01_sq0010_sh0010_modeling',
      'dep01,sq0010,sh0010,comp,,"dep01_sq0010_sh0010_lighting; dep01_sq0010_sh0010_fx"',
      'dep01,sq0010,sh0010,animation,,dep01_sq0010_sh0010_modeling',
      'dep01,sq0010,sh0010,fx,completed,',
    );
    const res = await postImport(ctx, team.writer, 'import-csv', { project_id: 'DEP' }, file);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created_tasks: 4, invalid_tasks: 0, errors: [] });
    expect(await stored('dep01_sq0010_sh0010_lighting')).toMatchObject({ depends_on: ['dep01_sq0010_sh0010_animation', 'dep01_sq0010_sh0010_modeling'], blocked_by: ['dep01_sq0010_sh0010_animation'], ready: false });
    expect(await stored('dep01_sq0010_sh0010_comp')).toMatchObject({ blocked_by: ['dep01_sq0010_sh0010_lighting'], blocked: true, ready: false });
    expect(await stored('dep01_sq0010_sh0010_animation')).toMatchObject({ blocked_by: [], ready: true });
  });

  it('refuses the row that closes a cycle, naming its tasks in order, and rows naming unknown or other projects\' tasks', async () => {
    await seedImportProject(ctx, team, 'CYC');
    await seedImportProject(ctx, team, 'OTH');
    expect((await postImport(ctx, team.writer, 'import-csv', { project_id: 'OTH' }, csv(HEADER, 'oth01,sq0010,sh0010,comp,,'))).status).toBe(200);
    expect((await postImport(ctx, team.writer, 'import-csv', { project_id: 'CYC' }, csv(HEADER, 'cyc01,sq0010,sh0010,modeling,,'))).status).toBe(200);

    const file = csv(
      HEADER,
      'cyc01,sq0010,sh0010,animation,,cyc01_sq0010_sh0010_modeling',
      'cyc01,sq0010,sh0010,lighting,,cyc01_sq0010_sh0010_animation',
      // An existing task updated to wait for the file's last task: the file closes the cycle.
      'cyc01,sq0010,sh0010,modeling,,cyc01_sq0010_sh0010_lighting',
      'cyc01,sq0010,sh0010,comp,,oth01_sq0010_sh0010_comp;ghost_task',
    );
    const res = await postImport(ctx, team.writer, 'import-csv', { project_id: 'CYC', existing: 'update' }, file);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created_tasks: 2, updated_tasks: 0, invalid_tasks: 2 });
    expect(res.body.errors).toEqual([
      {
        row: 4,
        error: 'Depends On: Dependency cycle: cyc01_sq0010_sh0010_modeling → cyc01_sq0010_sh0010_lighting → cyc01_sq0010_sh0010_animation → cyc01_sq0010_sh0010_modeling (each task waits for the next)',
        problems: [{ field: 'Depends On', issue: expect.stringContaining('Dependency cycle') }],
      },
      {
        row: 5,
        // Ids resolve within the project: another project's task of that id is not looked at (docs/task-ids.md).
        error: 'Depends On: Task oth01_sq0010_sh0010_comp not found; Task ghost_task not found',
        problems: [{ field: 'Depends On', issue: 'Task oth01_sq0010_sh0010_comp not found; Task ghost_task not found' }],
      },
    ]);
    expect(await stored('cyc01_sq0010_sh0010_modeling')).toMatchObject({ depends_on: [] });
    expect(await stored('cyc01_sq0010_sh0010_comp')).toBeUndefined();

    // A dry run answers the same without writing.
    const dry = await postImport(ctx, team.writer, 'import-csv', { project_id: 'CYC', existing: 'update', validate_only: 'true' }, csv(HEADER, 'cyc01,sq0010,sh0020,comp,,cyc01_sq0010_sh0020_fx', 'cyc01,sq0010,sh0020,fx,,cyc01_sq0010_sh0020_comp'));
    expect(dry.status).toBe(200);
    // The row before it waits for a task the refused row would have created, so it is refused too.
    expect(dry.body.errors).toEqual([
      { row: 3, error: expect.stringContaining('Dependency cycle: cyc01_sq0010_sh0020_fx → cyc01_sq0010_sh0020_comp → cyc01_sq0010_sh0020_fx'), problems: expect.any(Array) },
      { row: 2, error: 'Depends On: Task cyc01_sq0010_sh0020_fx is not imported: its own row was refused', problems: expect.any(Array) },
    ]);
  });

  it('links a row to a task a later chunk of the file creates, and refuses what no row creates once the file is read', async () => {
    await seedImportProject(ctx, team, 'FAR');
    // 600 rows are two chunks (500 and 100).
    const rows = Array.from({ length: 600 }, (_, i) => `far01,sq${String(Math.floor(i / 100) * 10 + 10).padStart(4, '0')},sh${String((i % 100) * 10 + 10).padStart(4, '0')},comp,,`);
    rows[0] += 'far01_sq0060_sh1000_comp'; // row 2 waits for the last row's task
    rows[1] += 'far01_sq0010_sh0010_comp'; // row 3 waits for row 2's task
    rows[2] += 'far01_ghost_task'; // row 4 waits for a task no row creates
    const file = csv(HEADER, ...rows);
    const ghost = [{ row: 4, error: 'Depends On: Task far01_ghost_task not found', problems: [{ field: 'Depends On', issue: 'Task far01_ghost_task not found' }] }];

    // A dry run answers the same, though it stores none of the tasks the rows wait for.
    const dry = await postImport(ctx, team.writer, 'import-csv', { project_id: 'FAR', validate_only: 'true' }, file);
    expect(dry.body).toMatchObject({ processed_rows: 600, valid_tasks: 599, invalid_tasks: 1, actions: { create: 599 }, errors: ghost });

    const res = await postImport(ctx, team.writer, 'import-csv', { project_id: 'FAR' }, file);
    expect(res.body).toMatchObject({ processed_rows: 600, created_tasks: 599, valid_tasks: 599, invalid_tasks: 1, errors: ghost, written_rows: [{ from: 2, to: 3 }, { from: 5, to: 601 }] });
    expect(await stored('far01_sq0010_sh0010_comp')).toMatchObject({ depends_on: ['far01_sq0060_sh1000_comp'], blocked_by: ['far01_sq0060_sh1000_comp'], ready: false });
    expect(await stored('far01_sq0010_sh0020_comp')).toMatchObject({ depends_on: ['far01_sq0010_sh0010_comp'], blocked_by: ['far01_sq0010_sh0010_comp'] });
    expect(await stored('far01_sq0010_sh0030_comp')).toBeUndefined();
  });
});
