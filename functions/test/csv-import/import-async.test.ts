import { Readable } from 'node:stream';
import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Bucket } from '../../src/config/deps.js';
import { processImportJob, ProgressThrottle } from '../../src/csv-import/job-handler.js';
import { ImportJobStore, sourceKey } from '../../src/csv-import/store.js';
import { taskRef } from '../../src/tasks/store.js';
import { createTestContext, expectEnvelope } from '../support/context.js';
import { throughFirestoreProxy } from '../support/firestore-proxy.js';
import { HEADER, countTasks, createTeam, csv, postImport, seedImportProject, shotRows, type Team } from './helpers.js';

const ctx = createTestContext('imports-async');
let team: Team;

beforeAll(async () => {
  team = await createTeam(ctx);
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The Firestore CloudEvent the trigger receives when the API creates the job document. */
async function createdEvent(jobId: string, eventId = `evt-${jobId}`) {
  return {
    specversion: '1.0',
    id: eventId,
    source: `//firestore.googleapis.com/projects/${ctx.dataProjectId}/databases/(default)`,
    type: 'google.cloud.firestore.document.v1.created',
    time: new Date().toISOString(),
    params: { jobId },
    data: await ctx.db.doc(`import_jobs/${jobId}`).get(),
  };
}

const runJob = async (jobId: string, deps: Parameters<typeof processImportJob>[1] = ctx.deps) => processImportJob(await createdEvent(jobId), deps);

/** A clock that stands still, so only the 5% rule decides when progress is written. */
const stillClock = { ...ctx.deps, clock: () => new Date('2026-01-01T00:00:00Z') };

async function startJob(project: string, file: string, fields: Record<string, string> = {}) {
  const res = await postImport(ctx, team.writer, 'import-csv-async', { project_id: project, ...fields }, file);
  expect(res.status).toBe(202);
  return res.body.job_id as string;
}

/** The test's Firestore with some of its methods replaced, as another user or a failing network would make it behave. */
function firestoreWith(overrides: Partial<Firestore>): Firestore {
  return new Proxy(ctx.db, {
    get(db, key) {
      if (key in overrides) return overrides[key as keyof Firestore];
      const value = Reflect.get(db, key, db);
      return typeof value === 'function' ? value.bind(db) : value;
    },
  });
}

/** Records what each progress write carried (the report object keeps changing after the call). */
function recordProgress() {
  const written: number[] = [];
  const original = ImportJobStore.prototype.progress;
  vi.spyOn(ImportJobStore.prototype, 'progress').mockImplementation(async function (this: ImportJobStore, id, report) {
    written.push(report.processed_rows);
    return original.call(this, id, report);
  });
  return written;
}

describe('async CSV import', () => {
  it('runs a job from pending through processing to completed, with progress every 5%, visible to pollers and listeners', async () => {
    await seedImportProject(ctx, team, 'ASYNC');
    const file = csv(HEADER, ...shotRows(198), 'ep01,sq9990,sh0010,cmp,,,,,,,,', 'ep01,sq9990,sh0020,comp,,,,1100,1001,,,');
    const jobId = await startJob('ASYNC', file, { existing: 'skip' });

    const pending = await ctx.http().get(`/api/v1/tasks/import-status/${jobId}`).set('Authorization', team.reader.bearer).expect(200);
    expect(pending.body).toMatchObject({
      id: jobId,
      project_id: 'ASYNC',
      status: 'pending',
      progress_percent: 0,
      total_rows: 0,
      processed_rows: 0,
      created_tasks: 0,
      errors: [],
      existing: 'skip',
      file_name: 'shots.csv',
      size_bytes: Buffer.byteLength(file),
      error: null,
      results: null,
      created_by: team.writer.uid,
      started_at: null,
      finished_at: null,
    });
    const [stored] = await ctx.deps.bucket.file(sourceKey(jobId)).download();
    expect(stored.toString()).toBe(file);

    const seen: string[] = [];
    const unsubscribe = ctx.db.doc(`import_jobs/${jobId}`).onSnapshot((snap) => seen.push(`${snap.get('status')} ${snap.get('progress_percent')}`));
    const progress = recordProgress();
    await runJob(jobId, stillClock);

    // One write when the row count is known, then one per 5% (10 rows of 200).
    expect(progress).toEqual(Array.from({ length: 20 }, (_, i) => i * 10));
    const done = await ctx.http().get(`/api/v1/tasks/import-status/${jobId}`).set('Authorization', team.reader.bearer).expect(200);
    expect(done.body).toMatchObject({
      status: 'completed',
      progress_percent: 100,
      total_rows: 200,
      processed_rows: 200,
      valid_tasks: 198,
      invalid_tasks: 2,
      created_tasks: 198,
      updated_tasks: 0,
      skipped_tasks: 0,
      written_rows: [{ from: 2, to: 199 }],
      error: null,
      results: { total_rows: 200, created_tasks: 198, invalid_tasks: 2, existing: 'skip', validate_only: false, actions: { create: 198, update: 0, skip: 0 } },
    });
    expect(done.body.errors).toEqual([
      { row: 200, error: "Task: 'cmp' is not one of the project's task_types: modeling, animation, lighting, comp, fx", problems: [{ field: 'Task', issue: "'cmp' is not one of the project's task_types: modeling, animation, lighting, comp, fx" }] },
      { row: 201, error: 'Frame In/Frame Out: start 1100 must be less than end 1001', problems: [{ field: 'Frame In/Frame Out', issue: 'start 1100 must be less than end 1001' }] },
    ]);
    // The job id is the import's bulk id: every task it wrote carries it, so their feed events fold into its import_completed.
    const written = await ctx.db.collection('tasks').where('project_id', '==', 'ASYNC').get();
    expect(new Set(written.docs.map((d) => d.get('bulk_id')))).toEqual(new Set([jobId]));
    expect(done.body.started_at).not.toBeNull();
    expect(done.body.finished_at).not.toBeNull();
    expect(await countTasks(ctx, 'ASYNC')).toBe(198);

    await vi.waitFor(() => expect(seen.at(-1)).toBe('completed 100'));
    unsubscribe();
    const percents = seen.map((s) => Number(s.split(' ')[1]));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(seen[0]).toMatch(/^(pending|processing) 0$/);
  });

  it('refuses at once a file that cannot be imported, creating no job', async () => {
    await seedImportProject(ctx, team, 'ASYNCBAD');
    const missing = await postImport(ctx, team.writer, 'import-csv-async', { project_id: 'ASYNCBAD' }, csv('Episode,Sequence,Task', 'ep01,sq0010,comp'));
    expect(missing.status).toBe(400);
    expect(expectEnvelope(missing.body, 'VALIDATION_ERROR').message).toBe('Missing required column(s): Shot. Found: Episode, Sequence, Task. The header row needs Episode, Sequence, Shot and Task');
    const dryRun = await postImport(ctx, team.writer, 'import-csv-async', { project_id: 'ASYNCBAD', validate_only: 'true' }, csv(HEADER, ...shotRows(1)));
    expect(expectEnvelope(dryRun.body, 'VALIDATION_ERROR').message).toBe('Invalid body: body: Unknown field(s): validate_only');
    const reader = await postImport(ctx, team.reader, 'import-csv-async', { project_id: 'ASYNCBAD' }, csv(HEADER, ...shotRows(1)));
    expect(reader.status).toBe(403);
    const jobs = await ctx.db.collection('import_jobs').where('project_id', '==', 'ASYNCBAD').count().get();
    expect(jobs.data().count).toBe(0);
  });

  it('marks a job failed, without writing, when the file turns out broken past its header', async () => {
    await seedImportProject(ctx, team, 'ASYNCSYN');
    const jobId = await startJob('ASYNCSYN', csv(HEADER, ...shotRows(30), 'ep01,sq0010,sh9990,comp,"ana,,,,,,,'));
    await runJob(jobId);
    const job = (await ctx.db.doc(`import_jobs/${jobId}`).get()).data()!;
    expect(job).toMatchObject({ status: 'failed', error: 'A quoted cell is never closed (row 32): the file is not valid CSV', created_tasks: 0, written_rows: [] });
    expect(await countTasks(ctx, 'ASYNCSYN')).toBe(0);
  });

  it('lets only readers of the project see a job', async () => {
    await seedImportProject(ctx, team, 'ASYNCPERM');
    const jobId = await startJob('ASYNCPERM', csv(HEADER, ...shotRows(1)));
    const outsider = await ctx.http().get(`/api/v1/tasks/import-status/${jobId}`).set('Authorization', team.outsider.bearer).expect(404);
    expect(expectEnvelope(outsider.body, 'NOT_FOUND').message).toBe(`Import job ${jobId} not found`);
    const unknown = await ctx.http().get('/api/v1/tasks/import-status/nope123').set('Authorization', team.admin.bearer).expect(404);
    expect(expectEnvelope(unknown.body, 'NOT_FOUND').message).toBe('Import job nope123 not found');
    const bad = await ctx.http().get('/api/v1/tasks/import-status/a..b').set('Authorization', team.admin.bearer).expect(400);
    expect(expectEnvelope(bad.body, 'VALIDATION_ERROR').message).toBe("Invalid path parameter: path.job_id: Import job id may not contain '..'");
    await ctx.http().get(`/api/v1/tasks/import-status/${jobId}`).set('Authorization', team.writer.bearer).expect(200);
  });

  it('processes a job once however often the event is delivered, and takes over a job whose run died', async () => {
    await seedImportProject(ctx, team, 'ASYNCONCE');
    const jobId = await startJob('ASYNCONCE', csv(HEADER, ...shotRows(40, 300)));
    await Promise.all([runJob(jobId), runJob(jobId)]);
    await runJob(jobId);
    const job = (await ctx.db.doc(`import_jobs/${jobId}`).get()).data()!;
    expect(job).toMatchObject({ status: 'completed', attempts: 1, created_tasks: 40, invalid_tasks: 0 });

    const stuck = await startJob('ASYNCONCE', csv(HEADER, ...shotRows(10, 340)));
    await ctx.db.doc(`import_jobs/${stuck}`).update({ status: 'processing', updated_at: Timestamp.fromMillis(Date.now() - 60_000) });
    await runJob(stuck);
    expect((await ctx.db.doc(`import_jobs/${stuck}`).get()).get('status')).toBe('processing');
    await ctx.db.doc(`import_jobs/${stuck}`).update({ updated_at: Timestamp.fromMillis(Date.now() - 11 * 60_000) });
    await runJob(stuck);
    expect((await ctx.db.doc(`import_jobs/${stuck}`).get()).data()).toMatchObject({ status: 'completed', attempts: 1, created_tasks: 10 });
    expect(await countTasks(ctx, 'ASYNCONCE')).toBe(50);
  });

  it('leaves a job failed with the rows written so far when reading stops mid-way, and importing again finishes it safely', async () => {
    await seedImportProject(ctx, team, 'ASYNCCUT');
    const file = csv(HEADER, ...shotRows(300, 2000));
    const jobId = await startJob('ASYNCCUT', file);
    // The second pass (the one writing) loses the connection 60% into the file.
    let opens = 0;
    const flaky = {
      file: (key: string) => ({
        createReadStream: () => {
          opens++;
          const real = ctx.deps.bucket.file(key).createReadStream();
          if (opens === 1) return real;
          const bytes = Buffer.from(file);
          return Readable.from(
            (async function* () {
              for (let at = 0; at < bytes.length * 0.6; at += 4096) yield bytes.subarray(at, Math.min(at + 4096, bytes.length * 0.6));
              throw new Error('read ECONNRESET');
            })(),
          );
        },
      }),
    } as unknown as Bucket;
    await runJob(jobId, { ...ctx.deps, bucket: flaky });

    const failed = (await ctx.db.doc(`import_jobs/${jobId}`).get()).data()!;
    const written = failed.created_tasks as number;
    expect(failed.status).toBe('failed');
    // Whole chunks (15 rows: 5% of 300) were written before the connection broke.
    expect(written % 15).toBe(0);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(180);
    expect(failed.error).toBe(
      `The import stopped after ${written} of 300 rows, having written ${written} task(s): read ECONNRESET. ` +
        'The rows written so far are listed in written_rows; importing the file again with existing=skip or existing=update finishes it safely',
    );
    expect(failed.written_rows).toEqual([{ from: 2, to: written + 1 }]);
    const polled = await ctx.http().get(`/api/v1/tasks/import-status/${jobId}`).set('Authorization', team.writer.bearer).expect(200);
    expect(polled.body).toMatchObject({ status: 'failed', error: failed.error, created_tasks: written, written_rows: failed.written_rows, results: null });
    expect(failed.progress_percent).toBe(Math.floor((written * 100) / 300));
    expect(await countTasks(ctx, 'ASYNCCUT')).toBe(written);

    const rerun = await startJob('ASYNCCUT', file, { existing: 'skip' });
    await runJob(rerun);
    expect((await ctx.db.doc(`import_jobs/${rerun}`).get()).data()).toMatchObject({ status: 'completed', created_tasks: 300 - written, skipped_tasks: written, invalid_tasks: 0 });
    expect(await countTasks(ctx, 'ASYNCCUT')).toBe(300);

    const times = async () => (await ctx.db.collection('tasks').where('project_id', '==', 'ASYNCCUT').get()).docs.map((d) => `${d.id} ${d.updateTime.toMillis()}`).sort();
    const before = await times();
    const again = await startJob('ASYNCCUT', file, { existing: 'update' });
    await runJob(again);
    expect((await ctx.db.doc(`import_jobs/${again}`).get()).data()).toMatchObject({ status: 'completed', created_tasks: 0, updated_tasks: 0, skipped_tasks: 300 });
    expect(await times()).toEqual(before);
  });

  it('reports per row a task created or deleted by someone else between the read of its chunk and the write, and writes the rest', async () => {
    await seedImportProject(ctx, team, 'ASYNCRACE');
    const file = csv(HEADER, ...shotRows(60, 16000));
    await runJob(await startJob('ASYNCRACE', csv(HEADER, ...shotRows(20, 16000))));
    // The Firestore the job runs on: right after its reads of a chunk, another user creates the
    // task of row 42 (shot 16040) and deletes the task of row 12 (shot 16010, which the file changes).
    const task = (id: string) => taskRef(ctx.db, 'ASYNCRACE', id);
    const meanwhile = new Map<string, () => Promise<unknown>>([
      [task('ep01_sq1610_sh0410_comp').id, () => task('ep01_sq1610_sh0410_comp').create({ project_id: 'ASYNCRACE', id: 'ep01_sq1610_sh0410_comp', description: 'made meanwhile' })],
      [task('ep01_sq1610_sh0110_comp').id, () => task('ep01_sq1610_sh0110_comp').delete()],
    ]);
    const racing = firestoreWith({
      getAll: async (...args: Parameters<Firestore['getAll']>) => {
        const read = await ctx.db.getAll(...args);
        for (const snap of read) {
          const change = meanwhile.get(snap.id);
          meanwhile.delete(snap.id);
          await change?.();
        }
        return read;
      },
    });
    const jobId = await startJob('ASYNCRACE', file.replaceAll(',artist', ',lead'), { existing: 'update' });
    await runJob(jobId, { ...ctx.deps, db: racing });

    const job = (await ctx.db.doc(`import_jobs/${jobId}`).get()).data()!;
    expect(job).toMatchObject({ status: 'completed', created_tasks: 39, updated_tasks: 19, invalid_tasks: 2, written_rows: [{ from: 2, to: 11 }, { from: 13, to: 41 }, { from: 43, to: 61 }] });
    expect(job.errors.map((e: { row: number; error: string }) => [e.row, e.error])).toEqual([
      [12, expect.stringContaining('is task ep01_sq1610_sh0110_comp, which changed during the import (Task ep01_sq1610_sh0110_comp not found)')],
      [42, expect.stringContaining('is task ep01_sq1610_sh0410_comp, which changed during the import (Task ep01_sq1610_sh0410_comp already exists)')],
    ]);
    expect((await task('ep01_sq1610_sh0410_comp').get()).data()).toEqual({ project_id: 'ASYNCRACE', id: 'ep01_sq1610_sh0410_comp', description: 'made meanwhile' });
    expect((await task('ep01_sq1610_sh0110_comp').get()).exists).toBe(false);
    expect((await task('ep01_sq1610_sh0010_comp').get()).get('artist')).toBe('lead5');
    expect(await countTasks(ctx, 'ASYNCRACE')).toBe(59);
  });

  it('when one chunk cannot be written, reports exactly the tasks the chunks under way beside it wrote', async () => {
    await seedImportProject(ctx, team, 'ASYNCDOWN');
    const jobId = await startJob('ASYNCDOWN', csv(HEADER, ...shotRows(300, 17000)));
    // The third chunk's commit (rows 32–46) is refused, every time it is tried, as Firestore would while unreachable.
    await throughFirestoreProxy(
      (req) => (req.path.endsWith(':commit') && req.body.includes('"shot 17030"') ? { status: 503, grpcStatus: 'UNAVAILABLE', message: 'connection refused' } : undefined),
      () => runJob(jobId),
    );

    const job = (await ctx.db.doc(`import_jobs/${jobId}`).get()).data()!;
    expect(job.status).toBe('failed');
    expect(job.error).toContain('connection refused');
    // Chunks 1–2 come before the failure; chunks started beside it are written and listed too.
    expect(job.processed_rows).toBe(30);
    const stored = (await ctx.db.collection('tasks').where('project_id', '==', 'ASYNCDOWN').get()).docs.map((d) => d.get('description') as string);
    const rows = stored.map((description) => Number(description.replace('shot ', '')) - 17000 + 2).sort((a, b) => a - b);
    expect(rows.slice(0, 30)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
    expect(rows).not.toContain(32);
    expect(job.created_tasks).toBe(rows.length);
    const listed = (job.written_rows as { from: number; to: number }[]).flatMap(({ from, to }) => Array.from({ length: to - from + 1 }, (_, i) => from + i));
    expect(listed).toEqual(rows);
  });

  it('reports a chunk whose commit answer was lost as created, not as changed during the import', async () => {
    await seedImportProject(ctx, team, 'ASYNCLOST');
    const jobId = await startJob('ASYNCLOST', csv(HEADER, ...shotRows(60, 18000)));
    // The second chunk's commit reaches Firestore, and its answer is lost on the way back.
    let lost = false;
    await throughFirestoreProxy(
      (req) => (req.path.endsWith(':commit') && req.body.includes('"shot 18020"') && !lost ? ((lost = true), { loseAnswer: true }) : undefined),
      () => runJob(jobId),
    );
    expect(lost).toBe(true);
    const job = (await ctx.db.doc(`import_jobs/${jobId}`).get()).data()!;
    expect(job).toMatchObject({ status: 'completed', created_tasks: 60, errors: [], written_rows: [{ from: 2, to: 61 }] });
    expect(await countTasks(ctx, 'ASYNCLOST')).toBe(60);
  });

  it('writes a row waiting for a task a later chunk creates after the last chunk', async () => {
    await seedImportProject(ctx, team, 'ASYNCDEP');
    // 60 rows are 20 chunks of 3 (the job's 5% steps): row 2 waits for the last row's task.
    const rows = shotRows(60, 21000).map((r) => `${r},`);
    rows[0] += 'ep01_sq2110_sh0600_comp';
    const jobId = await startJob('ASYNCDEP', csv(`${HEADER},Depends On`, ...rows));
    await runJob(jobId, stillClock);
    expect((await ctx.db.doc(`import_jobs/${jobId}`).get()).data()).toMatchObject({ status: 'completed', progress_percent: 100, processed_rows: 60, created_tasks: 60, errors: [], written_rows: [{ from: 2, to: 61 }] });
    expect((await taskRef(ctx.db, 'ASYNCDEP', 'ep01_sq2110_sh0010_comp').get()).data()).toMatchObject({ depends_on: ['ep01_sq2110_sh0600_comp'], blocked_by: ['ep01_sq2110_sh0600_comp'] });
  });

  it('imports 10,000 rows', async () => {
    await seedImportProject(ctx, team, 'BIG');
    const jobId = await startJob('BIG', csv(HEADER, ...shotRows(10_000, 5000)));
    const progress = recordProgress();
    await runJob(jobId, stillClock);
    expect((await ctx.db.doc(`import_jobs/${jobId}`).get()).data()).toMatchObject({
      status: 'completed',
      progress_percent: 100,
      total_rows: 10_000,
      processed_rows: 10_000,
      created_tasks: 10_000,
      invalid_tasks: 0,
      written_rows: [{ from: 2, to: 10_001 }],
    });
    expect(progress).toEqual(Array.from({ length: 20 }, (_, i) => i * 500));
    expect(await countTasks(ctx, 'BIG')).toBe(10_000);
  });
});

describe('progress throttle', () => {
  it('writes once progress moved 5 points or 2 seconds passed, whichever comes first', () => {
    let now = 0;
    const throttle = new ProgressThrottle(() => new Date(now));
    const due = (percent: number, at: number) => {
      now = at;
      return throttle.due(percent);
    };
    expect([due(0, 0), due(3, 500), due(5, 900), due(6, 1000), due(7, 2899), due(7, 2900), due(12, 3000), due(13, 3100)]).toEqual([true, false, true, false, false, true, true, false]);
  });
});
