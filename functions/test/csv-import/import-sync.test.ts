import { beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope } from '../support/context.js';
import { throughFirestoreProxy } from '../support/firestore-proxy.js';
import { HEADER, countTasks, createTeam, csv, postImport, seedImportProject, shotRows, taskIds, type Team } from './helpers.js';

const ctx = createTestContext('imports-sync');
let team: Team;

beforeAll(async () => {
  team = await createTeam(ctx);
});

const SHOTS = csv(
  HEADER,
  'Ep01,sq0010,sh0010,comp,ana,In Progress,High,1001,1100,2026-03-01,12.5,Roto the jet',
  'ep01,sq0010,sh0020,lighting,,,,1001,1050,,,',
  'EP01,SQ0010,SH0030,fx,ben,not_started,urgent,1001,1200,2026-04-15T18:00:00Z,"7,5","Smoke, ""thick"""',
);

describe('POST /tasks/import-csv', () => {
  it("imports a shot list and answers with the spec's report plus updated and skipped counts", async () => {
    await seedImportProject(ctx, team, 'ONE');
    const res = await postImport(ctx, team.writer, 'import-csv', { project_id: 'ONE', naming_pattern: 'ep##_sq####_sh####' }, SHOTS);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      total_rows: 3,
      processed_rows: 3,
      valid_tasks: 3,
      invalid_tasks: 0,
      created_tasks: 3,
      updated_tasks: 0,
      skipped_tasks: 0,
      validate_only: false,
      existing: 'fail',
      actions: { create: 3, update: 0, skip: 0 },
      errors: [],
      warnings: [],
      unknown_columns: [],
      written_rows: [{ from: 2, to: 4 }],
      naming: {
        episode: { prefix: 'ep', width: 2, source: 'request' },
        sequence: { prefix: 'sq', width: 4, source: 'request' },
        shot: { prefix: 'sh', width: 4, source: 'request' },
      },
    });
    expect(res.body.preview).toEqual([
      { row: 2, id: 'ep01_sq0010_sh0010_comp', episode: 'Ep01', sequence: 'sq0010', shot: 'SH0010', task: 'comp', action: 'create', changes: [] },
      { row: 3, id: 'ep01_sq0010_sh0020_lighting', episode: 'Ep01', sequence: 'sq0010', shot: 'SH0020', task: 'lighting', action: 'create', changes: [] },
      { row: 4, id: 'ep01_sq0010_sh0030_fx', episode: 'Ep01', sequence: 'sq0010', shot: 'SH0030', task: 'fx', action: 'create', changes: [] },
    ]);

    const comp = (await ctx.taskDoc('ONE', 'ep01_sq0010_sh0010_comp').get()).data()!;
    expect(comp).toMatchObject({
      project_id: 'ONE',
      episode: 'Ep01',
      sequence: 'sq0010',
      shot: 'SH0010',
      task: 'comp',
      artist: 'ana',
      status: 'in_progress',
      priority: 'high',
      frame_range: { start: 1001, end: 1100 },
      deadline: '2026-03-01',
      estimated_duration_hours: 12.5,
      description: 'Roto the jet',
      created_by: team.writer.uid,
      updated_by: team.writer.uid,
    });
    const lighting = (await ctx.taskDoc('ONE', 'ep01_sq0010_sh0020_lighting').get()).data()!;
    expect(lighting).toMatchObject({ artist: 'Unassigned', status: 'not_started', priority: 'medium', deadline: null, estimated_duration_hours: 0 });
    const fx = (await ctx.taskDoc('ONE', 'ep01_sq0010_sh0030_fx').get()).data()!;
    expect(fx).toMatchObject({ deadline: '2026-04-15T18:00:00Z', estimated_duration_hours: 7.5, description: 'Smoke, "thick"', priority: 'urgent' });

    // One operation: the feed's import_completed event, whose id every written task carries as its bulk id.
    const events = await ctx.db.collection('projects/ONE/events').where('type', '==', 'import_completed').get();
    expect(events.docs.map((e) => e.data().data)).toEqual([
      expect.objectContaining({ job_id: null, status: 'completed', total_rows: 3, processed_rows: 3, created_tasks: 3, updated_tasks: 0, skipped_tasks: 0, error_count: 0, user: team.writer.uid }),
    ]);
    expect([comp.bulk_id, lighting.bulk_id, fx.bulk_id]).toEqual([events.docs[0]!.id, events.docs[0]!.id, events.docs[0]!.id]);
  });

  it('refuses each malformed file with a 400 naming the problem, before writing anything', async () => {
    await seedImportProject(ctx, team, 'BAD');
    const good = 'ep01,sq0010,sh0010,comp,,,,,,,,';
    const cases: [string, string | Buffer, string][] = [
      ['empty', '', 'The file is empty: it needs a header row (Episode, Sequence, Shot, Task, ...) and one row per task'],
      ['header only', csv(HEADER), 'The file has a header row but no task rows'],
      ['missing columns', csv('Episode,Shot,Task', 'ep01,sh0010,comp'), 'Missing required column(s): Sequence. Found: Episode, Shot, Task. The header row needs Episode, Sequence, Shot and Task'],
      ['a PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), 'The file is not CSV text: it holds binary data (a NUL byte at byte 9)'],
      ['a workbook', Buffer.concat([Buffer.from('PK\u0003\u0004', 'latin1'), Buffer.alloc(20, 1)]), 'The file is a workbook (.xlsx or another zip archive), not CSV: save it from the spreadsheet as "CSV UTF-8"'],
      ['Windows-1252', Buffer.from(csv(HEADER, good, 'ep01,sq0010,sh0020,comp,Jos\xe9,,,,,,,'), 'latin1'), 'The file is not UTF-8 text (line 3 holds a byte that is not UTF-8): save it as "CSV UTF-8"'],
      ['an unclosed quote after good rows', csv(HEADER, good, good.replace('sh0010', 'sh0020'), 'ep01,sq0010,sh0030,comp,"ana,,,,,,,'), 'A quoted cell is never closed (row 4): the file is not valid CSV'],
    ];
    for (const [name, file, message] of cases) {
      const res = await postImport(ctx, team.writer, 'import-csv', { project_id: 'BAD' }, file);
      expect({ name, status: res.status }).toEqual({ name, status: 400 });
      expect({ name, message: expectEnvelope(res.body, 'VALIDATION_ERROR').message }).toEqual({ name, message });
    }
    expect(await countTasks(ctx, 'BAD')).toBe(0);
  });

  it('refuses requests without a file, with the file as text, with bad fields or not multipart', async () => {
    const noFile = await ctx.http().post('/api/v1/tasks/import-csv').set('Authorization', team.writer.bearer).field('project_id', 'BAD');
    expect(noFile.status).toBe(400);
    expect(expectEnvelope(noFile.body, 'VALIDATION_ERROR').message).toBe('file is required: send the CSV as the multipart file field "file"');

    const asText = await ctx.http().post('/api/v1/tasks/import-csv').set('Authorization', team.writer.bearer).field('project_id', 'BAD').field('file', 'Episode');
    expect(expectEnvelope(asText.body, 'VALIDATION_ERROR').message).toBe('file must be sent as a file part, not a text field');

    const badFields = await postImport(ctx, team.writer, 'import-csv', { project_id: 'BAD', existing: 'merge', validate_only: 'yes', colour: 'red' }, csv(HEADER));
    const error = expectEnvelope(badFields.body, 'VALIDATION_ERROR');
    expect((error.details as { errors: { field: string; issue: string }[] }).errors).toEqual([
      { field: 'existing', issue: 'existing must be one of skip, update, fail' },
      { field: 'validate_only', issue: 'Expected true or false' },
      { field: 'body', issue: 'Unknown field(s): colour' },
    ]);

    const badPattern = await postImport(ctx, team.writer, 'import-csv', { project_id: 'BAD', naming_pattern: 'EP_SQ_SH' }, csv(HEADER, 'ep01,sq0010,sh0010,comp'));
    expect(expectEnvelope(badPattern.body, 'VALIDATION_ERROR').message).toBe('naming_pattern must look like ep##_sq####_sh####: episode, sequence and shot prefixes with one # per digit');

    const json = await ctx.http().post('/api/v1/tasks/import-csv').set('Authorization', team.writer.bearer).send({ project_id: 'BAD' });
    expect(expectEnvelope(json.body, 'UNSUPPORTED_MEDIA_TYPE').message).toBe('This route takes multipart/form-data, not application/json');
    expect(await countTasks(ctx, 'BAD')).toBe(0);
  });

  it('lists every problem of each bad row with its row number, reports unknown columns once, and imports the good rows', async () => {
    await seedImportProject(ctx, team, 'ROWS');
    const file = csv(
      `${HEADER},Vendor,Camera`,
      'ep11,sq0010,sh0010,comp,,,,1001,1100,,,,ILM,A',
      'ep11,sq0010,sh0020,compositing,,,,1001,1100,31/12/2026,,,ILM,A',
      'ep11,sq0010,sh0030,comp,,,,1100,1001,,,,ILM,B',
      '',
      'ep11,sq0010,sh0010,comp,,,,1001,1100,,,,ILM,A',
      'ep11,sq0010,,comp,,Done,,10x1,,2026-02-30,-2,,ILM,A',
      'ep11,sq0010,sh0040,comp,,,,,1001,,,,ILM,A,extra',
      'ep11,sq0010,sh0050,comp,,,highest,,,,,,ILM,A',
    );
    const res = await postImport(ctx, team.writer, 'import-csv', { project_id: 'ROWS' }, file);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total_rows: 7, valid_tasks: 1, invalid_tasks: 6, created_tasks: 1, unknown_columns: ['Vendor', 'Camera'], written_rows: [{ from: 2, to: 2 }] });
    expect(res.body.errors).toEqual([
      {
        row: 3,
        error: "Task: 'compositing' is not one of the project's task_types: modeling, animation, lighting, comp, fx; Deadline: '31/12/2026' is not a valid date: write it as YYYY-MM-DD",
        problems: [
          { field: 'Task', issue: "'compositing' is not one of the project's task_types: modeling, animation, lighting, comp, fx" },
          { field: 'Deadline', issue: "'31/12/2026' is not a valid date: write it as YYYY-MM-DD" },
        ],
      },
      {
        row: 4,
        error: 'Frame In/Frame Out: start 1100 must be less than end 1001',
        problems: [{ field: 'Frame In/Frame Out', issue: 'start 1100 must be less than end 1001' }],
      },
      {
        row: 6,
        error: 'Row is a duplicate of row 2 (both are task ep11_sq0010_sh0010_comp)',
        problems: [{ field: null, issue: 'is a duplicate of row 2 (both are task ep11_sq0010_sh0010_comp)' }],
      },
      {
        row: 7,
        error:
          "Shot: is empty; Status: 'Done' is not a status: use one of not_started, in_progress, pending_review, needs_revision, approved, completed, on_hold, archived; " +
          "Frame In: '10x1' is not a whole frame number; Frame Out: is empty but Frame In is given: a frame range needs both; " +
          "Deadline: '2026-02-30' is not a valid date: write it as YYYY-MM-DD; Estimated Hours: '-2' is not a number of hours (0 or more)",
        problems: [
          { field: 'Shot', issue: 'is empty' },
          { field: 'Status', issue: "'Done' is not a status: use one of not_started, in_progress, pending_review, needs_revision, approved, completed, on_hold, archived" },
          { field: 'Frame In', issue: "'10x1' is not a whole frame number" },
          { field: 'Frame Out', issue: 'is empty but Frame In is given: a frame range needs both' },
          { field: 'Deadline', issue: "'2026-02-30' is not a valid date: write it as YYYY-MM-DD" },
          { field: 'Estimated Hours', issue: "'-2' is not a number of hours (0 or more)" },
        ],
      },
      {
        row: 8,
        error: "Frame In: is empty but Frame Out is given: a frame range needs both; Row has 1 more filled cell(s) than the header's 14 columns",
        problems: [
          { field: 'Frame In', issue: 'is empty but Frame Out is given: a frame range needs both' },
          { field: null, issue: "has 1 more filled cell(s) than the header's 14 columns" },
        ],
      },
      {
        row: 9,
        error: "Priority: 'highest' is not one of the project's priority_levels: low, medium, high, urgent",
        problems: [{ field: 'Priority', issue: "'highest' is not one of the project's priority_levels: low, medium, high, urgent" }],
      },
    ]);
    expect(await taskIds(ctx, 'ROWS')).toEqual(['ep11_sq0010_sh0010_comp']);
  });

  describe('rows of tasks that already exist', () => {
    const first = (ep: string) => csv(HEADER, `${ep},sq0010,sh0010,comp,ana,,high,1001,1100,,8,`, `${ep},sq0010,sh0020,comp,ben,,,1001,1100,,8,`);
    // Row 2 is unchanged, row 3 reassigns sh0020 and extends it, row 4 is new.
    const second = (ep: string) =>
      csv(HEADER, `${ep},sq0010,sh0010,comp,ana,,high,1001,1100,,8,`, `${ep},sq0010,sh0020,comp,cleo,,,1001,1120,,8,`, `${ep},sq0010,sh0030,comp,dan,,,1001,1100,,8,`);

    async function arrange(project: string, ep: string) {
      await seedImportProject(ctx, team, project);
      const res = await postImport(ctx, team.writer, 'import-csv', { project_id: project }, first(ep));
      expect(res.body.created_tasks).toBe(2);
      return (await ctx.taskDoc(project, `${ep}_sq0010_sh0020_comp`).get()).updateTime!;
    }

    it('existing=fail reports each such row and imports the rest', async () => {
      await arrange('FAIL', 'ep21');
      const res = await postImport(ctx, team.writer, 'import-csv', { project_id: 'FAIL', existing: 'fail' }, second('ep21'));
      expect(res.body).toMatchObject({ total_rows: 3, valid_tasks: 1, invalid_tasks: 2, created_tasks: 1, updated_tasks: 0, skipped_tasks: 0, written_rows: [{ from: 4, to: 4 }] });
      expect(res.body.errors.map((e: { row: number; error: string }) => [e.row, e.error])).toEqual([
        [2, 'Row is task ep21_sq0010_sh0010_comp, which already exists (existing=fail; choose existing=skip or existing=update to import it)'],
        [3, 'Row is task ep21_sq0010_sh0020_comp, which already exists (existing=fail; choose existing=skip or existing=update to import it)'],
      ]);
      expect((await ctx.taskDoc('FAIL', 'ep21_sq0010_sh0020_comp').get()).get('artist')).toBe('ben');
    });

    it('existing=skip leaves them as they are', async () => {
      const before = await arrange('SKIP', 'ep22');
      const res = await postImport(ctx, team.writer, 'import-csv', { project_id: 'SKIP', existing: 'skip' }, second('ep22'));
      expect(res.body).toMatchObject({ total_rows: 3, valid_tasks: 3, invalid_tasks: 0, created_tasks: 1, updated_tasks: 0, skipped_tasks: 2, errors: [], actions: { create: 1, update: 0, skip: 2 } });
      const sh20 = await ctx.taskDoc('SKIP', 'ep22_sq0010_sh0020_comp').get();
      expect(sh20.get('artist')).toBe('ben');
      expect(sh20.updateTime!.isEqual(before)).toBe(true);
    });

    it('existing=update writes only the cells that differ, and re-importing the same file changes nothing', async () => {
      await arrange('UPD', 'ep23');
      await ctx.taskDoc('UPD', 'ep23_sq0010_sh0020_comp').update({ milestone_note: 'kept: not a column of the file' });
      const res = await postImport(ctx, team.admin, 'import-csv', { project_id: 'UPD', existing: 'update' }, second('ep23'));
      expect(res.body).toMatchObject({ total_rows: 3, valid_tasks: 3, created_tasks: 1, updated_tasks: 1, skipped_tasks: 1, written_rows: [{ from: 3, to: 4 }] });
      expect(res.body.preview.map((p: { id: string; action: string; changes: string[] }) => [p.id, p.action, p.changes])).toEqual([
        ['ep23_sq0010_sh0010_comp', 'skip', []],
        ['ep23_sq0010_sh0020_comp', 'update', ['artist', 'frame_range']],
        ['ep23_sq0010_sh0030_comp', 'create', []],
      ]);
      const sh20 = await ctx.taskDoc('UPD', 'ep23_sq0010_sh0020_comp').get();
      expect(sh20.data()).toMatchObject({ artist: 'cleo', frame_range: { start: 1001, end: 1120 }, milestone_note: 'kept: not a column of the file', estimated_duration_hours: 8, created_by: team.writer.uid, updated_by: team.admin.uid });

      const times = await Promise.all(['sh0010', 'sh0020', 'sh0030'].map(async (sh) => (await ctx.taskDoc('UPD', `ep23_sq0010_${sh}_comp`).get()).updateTime!));
      const again = await postImport(ctx, team.admin, 'import-csv', { project_id: 'UPD', existing: 'update' }, second('ep23'));
      expect(again.body).toMatchObject({ total_rows: 3, valid_tasks: 3, created_tasks: 0, updated_tasks: 0, skipped_tasks: 3, written_rows: [] });
      const after = await Promise.all(['sh0010', 'sh0020', 'sh0030'].map(async (sh) => (await ctx.taskDoc('UPD', `ep23_sq0010_${sh}_comp`).get()).updateTime!));
      expect(after.map((t, i) => t.isEqual(times[i]!))).toEqual([true, true, true]);
      expect(await countTasks(ctx, 'UPD')).toBe(3);
    });
  });

  it("creates its own task where another project has the row's id, leaving that one alone", async () => {
    await seedImportProject(ctx, team, 'OTHER');
    const res = await postImport(ctx, team.writer, 'import-csv', { project_id: 'OTHER', existing: 'update' }, csv(HEADER, 'ep01,sq0010,sh0010,comp,mallory,,,,,,,'));
    expect(res.body).toMatchObject({ valid_tasks: 1, invalid_tasks: 0, created_tasks: 1, updated_tasks: 0 });
    expect((await ctx.taskDoc('OTHER', 'ep01_sq0010_sh0010_comp').get()).data()).toMatchObject({ id: 'ep01_sq0010_sh0010_comp', project_id: 'OTHER', artist: 'mallory' });
    expect((await ctx.taskDoc('ONE', 'ep01_sq0010_sh0010_comp').get()).data()).toMatchObject({ project_id: 'ONE', artist: 'ana' });
  });

  it('validate_only checks and previews what would happen without writing anything', async () => {
    await seedImportProject(ctx, team, 'DRY');
    await postImport(ctx, team.writer, 'import-csv', { project_id: 'DRY' }, csv(HEADER, 'ep31,sq0010,sh0010,comp,ana,,,,,,,'));
    const res = await postImport(ctx, team.writer, 'import-csv', { project_id: 'DRY', validate_only: 'true', existing: 'update' }, csv(HEADER, 'ep31,sq0010,sh0010,comp,bo,,,,,,,', 'ep31,sq0010,sh0020,comp,,,,,,,,', 'ep31,sq0010,sh0030,cmp,,,,,,,,'));
    expect(res.body).toMatchObject({
      validate_only: true,
      total_rows: 3,
      valid_tasks: 2,
      invalid_tasks: 1,
      created_tasks: 0,
      updated_tasks: 0,
      skipped_tasks: 0,
      actions: { create: 1, update: 1, skip: 0 },
      written_rows: [],
    });
    // Only the first, writing, import is announced.
    expect((await ctx.db.collection('projects/DRY/events').where('type', '==', 'import_completed').get()).size).toBe(1);
    expect(res.body.preview.map((p: { id: string; action: string; changes: string[] }) => [p.id, p.action, p.changes])).toEqual([
      ['ep31_sq0010_sh0010_comp', 'update', ['artist']],
      ['ep31_sq0010_sh0020_comp', 'create', []],
    ]);
    expect(res.body.errors[0].row).toBe(4);
    expect(await taskIds(ctx, 'DRY')).toEqual(['ep31_sq0010_sh0010_comp']);
    expect((await ctx.taskDoc('DRY', 'ep31_sq0010_sh0010_comp').get()).get('artist')).toBe('ana');
  });

  describe('numbers whose leading zeros a spreadsheet stripped', () => {
    it("are padded like the project's existing tasks, so they update them", async () => {
      await seedImportProject(ctx, team, 'PAD');
      await postImport(ctx, team.writer, 'import-csv', { project_id: 'PAD' }, csv(HEADER, 'ep03,sq0010,sh0020,comp,ana,,,,,,,', 'ep03,sq0010,sh0030,comp,ana,,,,,,,'));
      const res = await postImport(ctx, team.writer, 'import-csv', { project_id: 'PAD', existing: 'update' }, csv(HEADER, '3,10,sh20,comp,bo,,,,,,,', 'ep3,0010,SH30,comp,ana,,,,,,,'));
      expect(res.body).toMatchObject({
        created_tasks: 0,
        updated_tasks: 1,
        skipped_tasks: 1,
        warnings: [],
        naming: {
          episode: { prefix: 'ep', width: 2, source: 'existing_tasks' },
          sequence: { prefix: 'sq', width: 4, source: 'existing_tasks' },
          shot: { prefix: 'sh', width: 4, source: 'existing_tasks' },
        },
      });
      expect(await taskIds(ctx, 'PAD')).toEqual(['ep03_sq0010_sh0020_comp', 'ep03_sq0010_sh0030_comp']);
      expect((await ctx.taskDoc('PAD', 'ep03_sq0010_sh0020_comp').get()).get('artist')).toBe('bo');
    });

    it('are padded like the padded values of the file itself when the project has no tasks yet, and duplicates are found after padding', async () => {
      await seedImportProject(ctx, team, 'PADF');
      const res = await postImport(ctx, team.writer, 'import-csv', { project_id: 'PADF' }, csv(HEADER, 'ep41,sq010,sh010,comp,,,,,,,,', 'ep41,sq10,sh20,comp,,,,,,,,', 'ep41,sq010,sh20,comp,,,,,,,,'));
      expect(res.body.naming.sequence).toEqual({ prefix: 'sq', width: 3, source: 'file' });
      expect(res.body.errors).toEqual([
        { row: 4, error: 'Row is a duplicate of row 3 (both are task ep41_sq010_sh020_comp)', problems: [{ field: null, issue: 'is a duplicate of row 3 (both are task ep41_sq010_sh020_comp)' }] },
      ]);
      expect(await taskIds(ctx, 'PADF')).toEqual(['ep41_sq010_sh010_comp', 'ep41_sq010_sh020_comp']);
    });

    it("follow the project's naming_pattern, and with existing=update a row creating a near-twin of an existing task is warned about", async () => {
      await seedImportProject(ctx, team, 'TWIN', { naming_pattern: 'ep##_sq####_sh####' });
      // A legacy task written without padding.
      await ctx.taskDoc('TWIN', 'ep51_sq10_sh20_comp').set({ id: 'ep51_sq10_sh20_comp', project_id: 'TWIN', episode: 'Ep01', sequence: 'sq10', shot: 'SH20', task: 'comp' });
      const res = await postImport(ctx, team.writer, 'import-csv', { project_id: 'TWIN', existing: 'update' }, csv(HEADER, 'ep51,sq10,sh20,comp,,,,,,,,', 'ep51,sq10,sh30,comp,,,,,,,,'));
      expect(res.body.naming.shot).toEqual({ prefix: 'sh', width: 4, source: 'project' });
      expect(res.body.created_tasks).toBe(2);
      expect(res.body.warnings).toEqual([
        {
          row: 2,
          warning:
            'creates task ep51_sq0010_sh0020_comp, but task ep51_sq10_sh20_comp exists and differs only by the padding of its numbers: if they are the same shot, give naming_pattern to match the existing tasks',
        },
      ]);
    });
  });

  it('stopped after writing tasks, answers 503 with what it wrote and announces them as a failed import', async () => {
    await seedImportProject(ctx, team, 'HALF');
    // 600 rows are two chunks (500 and 100); the second one's commit is refused, as Firestore would while unreachable.
    const res = await throughFirestoreProxy(
      (req) => (req.path.endsWith(':commit') && req.body.includes('"shot 20550"') ? { status: 503, grpcStatus: 'UNAVAILABLE', message: 'connection refused' } : undefined),
      () => postImport(ctx, team.writer, 'import-csv', { project_id: 'HALF' }, csv(HEADER, ...shotRows(600, 20000))),
    );
    expect(res.status).toBe(503);
    expect(expectEnvelope(res.body, 'UNAVAILABLE').message).toContain('The import stopped after 500 of 600 rows, having written 500 task(s)');
    expect(await countTasks(ctx, 'HALF')).toBe(500);
    // Its tasks' own events point at the import (their bulk id), so webhooks hear of them through this event.
    const events = await ctx.db.collection('projects/HALF/events').where('type', '==', 'import_completed').get();
    expect(events.docs.map((e) => e.data().data)).toEqual([
      expect.objectContaining({ job_id: null, status: 'failed', total_rows: 600, processed_rows: 500, created_tasks: 500, updated_tasks: 0 }),
    ]);
    expect((await ctx.taskDoc('HALF', 'ep01_sq2010_sh0010_comp').get()).get('bulk_id')).toBe(events.docs[0]!.id);
  });

  it('needs write permission on a project that is not archived; outsiders are told it does not exist', async () => {
    await seedImportProject(ctx, team, 'PERM');
    const file = csv(HEADER, 'ep01,sq0010,sh0010,comp,,,,,,,,');
    const reader = await postImport(ctx, team.reader, 'import-csv', { project_id: 'PERM', validate_only: 'true' }, file);
    expect(reader.status).toBe(403);
    expect(expectEnvelope(reader.body, 'PERMISSION_DENIED').message).toBe("This needs 'write' permission on project PERM");
    const outsider = await postImport(ctx, team.outsider, 'import-csv', { project_id: 'PERM' }, file);
    expect(outsider.status).toBe(404);
    expect(expectEnvelope(outsider.body, 'NOT_FOUND').message).toBe('Project PERM not found');
    const missing = await postImport(ctx, team.admin, 'import-csv', { project_id: 'NOPE' }, file);
    expect(expectEnvelope(missing.body, 'NOT_FOUND').message).toBe('Project NOPE not found');
    await seedImportProject(ctx, team, 'ARCH', { status: 'archived' });
    const archived = await postImport(ctx, team.writer, 'import-csv', { project_id: 'ARCH' }, file);
    expect(archived.status).toBe(422);
    expect(expectEnvelope(archived.body, 'UNPROCESSABLE').message).toBe('Project ARCH is archived; it takes no new tasks');
    const anonymous = await ctx.http().post('/api/v1/tasks/import-csv').field('project_id', 'PERM').attach('file', Buffer.from(file), 'a.csv');
    expect(anonymous.status).toBe(401);
    expect(await countTasks(ctx, 'PERM')).toBe(0);
  });
});

describe('sync import limits', () => {
  const small = createTestContext('imports-limits', { csvSyncMaxRows: 3, csvImportMaxBytes: 400 });

  it('sends files over the row threshold to the async import, and refuses files over the size limit', async () => {
    const smallTeam = await createTeam(small);
    await seedImportProject(small, smallTeam, 'LIM');
    const rows = ['ep01,sq0010,sh0010,comp', 'ep01,sq0010,sh0020,comp', 'ep01,sq0010,sh0030,comp', 'ep01,sq0010,sh0040,comp'];
    const over = await postImport(small, smallTeam.writer, 'import-csv', { project_id: 'LIM' }, csv('Episode,Sequence,Shot,Task', ...rows));
    expect(over.status).toBe(413);
    expect(expectEnvelope(over.body, 'PAYLOAD_TOO_LARGE').message).toBe('The file has more than 3 task rows, the most one request imports: use POST /api/v1/tasks/import-csv-async');
    const atLimit = await postImport(small, smallTeam.writer, 'import-csv', { project_id: 'LIM' }, csv('Episode,Sequence,Shot,Task', ...rows.slice(0, 3)));
    expect(atLimit.body.created_tasks).toBe(3);

    const big = await postImport(small, smallTeam.writer, 'import-csv', { project_id: 'LIM' }, csv('Episode,Sequence,Shot,Task,Description', ...rows.map((r) => `${r},${'x'.repeat(100)}`)));
    expect(big.status).toBe(413);
    expect(expectEnvelope(big.body, 'PAYLOAD_TOO_LARGE').message).toBe('File shots.csv is larger than the 400-byte limit');
    expect(await countTasks(small, 'LIM')).toBe(3);
  });
});
