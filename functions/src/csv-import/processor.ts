// The import itself, shared by the sync endpoint and the async job. Two streaming passes over the
// file: the first checks it as a whole (CSV syntax, header, row count, how its numbers are padded)
// and refuses it before anything is written; the second goes chunk by chunk: the planner
// (planner.ts, no I/O) decides each row from the stored tasks this file reads for it (reads in
// proportion to the chunk), then the chunk is written (one commit) and the progress reported; the
// next chunk is read and decided while up to four are written. A row waiting for a task no row read
// so far creates is deferred, and checked and written after the last chunk (dependencies.ts).
// Re-importing the same file changes nothing. Memory holds five chunks plus the ids seen and the
// deferred rows.
import type { DocumentSnapshot, Firestore } from 'firebase-admin/firestore';
import * as logger from 'firebase-functions/logger';
import { notFound, payloadTooLarge, validationError } from '../http/errors.js';
import { chunked } from '../lib/chunked.js';
import { requireOpenProject } from '../lib/open-project.js';
import { ProjectStore } from '../projects/store.js';
import { eventsCollection, feedEventDoc, writeFeedEvent } from '../realtime/feed.js';
import { taskConfigOf } from '../tasks/project-config.js';
import { TaskStore, type TaskWriteResult } from '../tasks/store.js';
import { FIELD_LABELS, openCsv, type CsvRow } from './csv.js';
import { checkDependencies, pendingNode, setsDependencies } from './dependencies.js';
import type { DependencyNode } from '../tasks/dependencies.js';
import { parseNamingPattern, resolveStyle, SEGMENT_KINDS, StyleTally, type NamingStyle } from './padding.js';
import { checkRows, comparedFields, planRows, twinCandidates, twinWarnings, type PlannedRow, type RejectedRow, type RowContext } from './planner.js';
import { ReportTally } from './report.js';
import type { ExistingMode, ImportReport } from './schemas.js';
import { writeChunkTasks } from './store.js';

/** Opens the file from its start; called once per pass. */
export type CsvSource = () => AsyncIterable<Buffer | string> | Iterable<Buffer | string>;

export interface ImportOptions {
  projectId: string;
  /** Uid recorded as the tasks' writer. */
  actor: string;
  existing: ExistingMode;
  validateOnly: boolean;
  /**
   * The async job running this import. Its id is the import's bulk id, and the job's completion
   * announces it (realtime/triggers.ts); without a job the import announces itself when done, or
   * when it stops after writing tasks.
   */
  jobId?: string;
  /** The request's naming pattern, when given. */
  namingStyle?: NamingStyle | undefined;
  /** More task rows than this are refused (413) before anything is written. */
  maxRows?: number;
  /** Most row errors, warnings and written ranges kept in the report. */
  maxListed: number;
  /** Rows written per chunk: the file is split into about this many chunks (at most 500 rows each). */
  chunks?: number;
  /** The project as the request's check just read it (open, importable); read here when absent (jobs). */
  project?: DocumentSnapshot;
}

/** Called after the first pass and after each chunk, with the report so far. */
export type ProgressHook = (report: ImportReport) => Promise<void> | void;

/** A failure after writing started: the report says what was written before it. */
export class ImportInterrupted extends Error {
  constructor(
    readonly report: ImportReport,
    readonly reason: unknown,
  ) {
    const why = reason instanceof Error ? reason.message : String(reason);
    super(`The import stopped after ${report.processed_rows} of ${report.total_rows} rows, having written ${report.created_tasks + report.updated_tasks} task(s): ${why}`);
  }
}

export const MAX_CHUNK = 500;
/** Rows deferred for a task further down the file, at most: past it they are refused (memory stays bounded). */
export const MAX_DEFERRED = 5_000;
/** Chunks written at once: Firestore takes their commits side by side, as the bare writers' 4 in flight (functions/bench/README.md). */
const WRITES_IN_FLIGHT = 4;
/** Tasks of the project read to infer its naming style. */
const STYLE_SAMPLE = 50;

/** Pass one: the whole file is CSV with the right header and some rows; how its numbers are padded. */
async function scan(source: CsvSource, maxRows: number | undefined) {
  const { header, rows } = await openCsv(source());
  const tally = new StyleTally();
  let total = 0;
  for await (const row of rows) {
    total++;
    if (maxRows !== undefined && total > maxRows) {
      throw payloadTooLarge(`The file has more than ${maxRows} task rows, the most one request imports: use POST /api/v1/tasks/import-csv-async`);
    }
    for (const kind of SEGMENT_KINDS) {
      const value = row.values[kind];
      if (value) tally.add(kind, value);
    }
  }
  if (total === 0) throw validationError('The file has a header row but no task rows', { field: 'file', issue: 'no_rows' });
  return { header, total, fileStyle: tally.style(false) };
}

/** How the project's existing tasks write their numbers (a small sample is enough: ids are consistent or the user is warned). */
async function existingStyle(tasks: TaskStore, projectId: string): Promise<NamingStyle> {
  const tally = new StyleTally();
  for (const doc of await tasks.sample(projectId, STYLE_SAMPLE, SEGMENT_KINDS)) {
    for (const kind of SEGMENT_KINDS) {
      const value = doc.get(kind);
      if (typeof value === 'string') tally.add(kind, value);
    }
  }
  return tally.style(true);
}

/** The project tasks are imported into: it must exist (404) and not be archived (422), like for POST /tasks. */
export async function importableProject(db: Firestore, projectId: string): Promise<DocumentSnapshot> {
  const project = await new ProjectStore(db).get(projectId);
  if (!project) throw notFound(`Project ${projectId}`);
  return requireOpenProject(project, 'it takes no new tasks');
}

/** What every chunk of one import shares. */
interface ImportRun {
  db: Firestore;
  tasks: TaskStore;
  options: ImportOptions;
  rows: RowContext;
  tally: ReportTally;
  /** Task id → the first row naming it. */
  seen: Map<string, number>;
  /** Stamped on every task the import writes, so per-task feed events fold into the import's. */
  bulkId: string | null;
  /** Rows waiting for tasks that rows further down may create: checked and written once the file is read. */
  deferred: PlannedRow[];
  /** The tasks a dry run would create so far, which its dependency checks cannot read (a real run has stored them). */
  dryCreates: Map<string, DependencyNode> | null;
}

const dataOf = (snap: DocumentSnapshot) => (snap.exists ? (snap.data() ?? {}) : null);

/** One chunk decided, not yet tallied or written: what `commitChunk` applies, in file order. */
interface ChunkPlan {
  /** The rows it counts as processed (a deferred row counts when it is settled). */
  rows: number;
  rejected: RejectedRow[];
  warnings: { row: number; warning: string }[];
  planned: PlannedRow[];
  /** The stored data of the tasks the chunk updates: an update rewrites the derived query fields from the whole task. */
  current: Map<string, Record<string, unknown>>;
}

/** Decides one chunk from the stored tasks it names; reads only, so it may run while earlier chunks are written. */
async function planChunk(run: ImportRun, rows: CsvRow[], earlierWrites: Promise<void>): Promise<ChunkPlan> {
  const { options } = run;
  const checked = checkRows(rows, run.rows, run.seen);
  // Only the cells the rows give (and the owner) are read to decide; a re-import reads little.
  const stored = await run.tasks.getMany(options.projectId, checked.valid.map((v) => v.task.id), comparedFields(checked.valid));
  const { planned, rejected } = planRows(checked.valid, stored.map(dataOf), options);
  let deferred: PlannedRow[] = [];
  if (planned.some(setsDependencies)) {
    // Rows may wait for tasks earlier chunks create: those must be stored before the check reads them.
    await earlierWrites;
    const waiting = new Set(run.deferred.filter((p) => p.action === 'create').map((p) => p.task.id));
    const outcome = await checkDependencies(run.db, options.projectId, planned, {
      known: run.dryCreates ?? undefined,
      mayComeLater: (id) => run.deferred.length < MAX_DEFERRED && (!run.seen.has(id) || waiting.has(id)),
    });
    for (const [p, issue] of outcome.refused) rejected.push(dependencyRefusal(p, issue));
    deferred = outcome.deferred;
    run.deferred.push(...deferred);
    const settled = new Set([...outcome.refused.keys(), ...deferred]);
    planned.splice(0, planned.length, ...planned.filter((p) => !settled.has(p)));
  }
  if (run.dryCreates) for (const p of planned) if (p.action === 'create') run.dryCreates.set(p.task.id, pendingNode(options.projectId, p));
  const warnings = options.existing === 'update' ? await paddingTwinWarnings(run, planned.filter((p) => p.action === 'create')) : [];
  // Deferred rows count as processed once they are settled, after the file's last chunk.
  return { rows: rows.length - deferred.length, rejected: [...checked.rejected, ...rejected], warnings, planned, current: await storedDataOf(run, planned) };
}

/** The stored data of the tasks `planned` updates (none for a dry run): an update rewrites the derived query fields from the whole task. */
async function storedDataOf(run: ImportRun, planned: PlannedRow[]): Promise<Map<string, Record<string, unknown>>> {
  const updates = run.options.validateOnly ? [] : planned.filter((p) => p.action === 'update');
  const snaps = await run.tasks.getMany(run.options.projectId, updates.map((p) => p.task.id));
  return new Map(snaps.map((snap, i) => [updates[i]!.task.id, snap.data() ?? {}]));
}

const dependencyRefusal = (p: PlannedRow, issue: string): RejectedRow => ({ row: p.row.row, problems: [{ field: FIELD_LABELS.depends_on, issue }] });

/**
 * The deferred rows, once the whole file is read and written: each checked again (a task no row
 * created is now "not found"), then written in chunks and tallied like the others.
 */
async function settleDeferred(run: ImportRun): Promise<void> {
  const { options } = run;
  const { refused } = await checkDependencies(run.db, options.projectId, run.deferred, { known: run.dryCreates ?? undefined });
  const planned = run.deferred.filter((p) => !refused.has(p));
  const warnings = options.existing === 'update' ? await paddingTwinWarnings(run, planned.filter((p) => p.action === 'create')) : [];
  // The first part also tallies the refusals, the warnings and the deferred rows as processed, even when nothing is left to write.
  const parts = planned.length > 0 ? chunked(planned, MAX_CHUNK) : [[]];
  for (const [i, part] of parts.entries()) {
    const first = i === 0;
    const plan: ChunkPlan = { rows: first ? run.deferred.length : 0, rejected: first ? [...refused].map(([p, issue]) => dependencyRefusal(p, issue)) : [], warnings: first ? warnings : [], planned: part, current: await storedDataOf(run, part) };
    await tallyChunk(run, plan, startWrite(run, plan), false);
  }
  run.tally.sortWritten();
}

async function paddingTwinWarnings(run: ImportRun, creates: PlannedRow[]): Promise<{ row: number; warning: string }[]> {
  const candidates = twinCandidates(creates);
  const ids = [...new Set(candidates.flat())];
  if (ids.length === 0) return [];
  const stored = await run.tasks.getMany(run.options.projectId, ids, ['project_id']);
  const found = new Set(ids.filter((_, i) => stored[i]!.exists));
  return twinWarnings(creates, candidates, found);
}

/** A chunk's write under way: the rows written, and each write's outcome in their order. */
interface ChunkWrite {
  writing: PlannedRow[];
  results: Promise<TaskWriteResult[]>;
}

/** Starts writing a planned chunk's creates and updates (none when validating only). */
function startWrite(run: ImportRun, plan: ChunkPlan): ChunkWrite {
  const writing = run.options.validateOnly ? [] : plan.planned.filter((p) => p.action !== 'skip');
  const config = run.rows.config;
  const results = writeChunkTasks(
    run.db,
    writing.map((p) => (p.action === 'create' ? { kind: 'create', task: p.task, config } : { kind: 'update', projectId: run.options.projectId, id: p.task.id, current: plan.current.get(p.task.id) ?? {}, changes: p.changes, config })),
    { actor: run.options.actor, bulkId: run.bulkId },
  );
  // Awaited by `tallyChunk` once the earlier chunks are tallied; until then a failure must not count as unhandled.
  results.catch(() => undefined);
  return { writing, results };
}

/**
 * Tallies a chunk once its write has settled, and throws the write's failure. After an earlier
 * chunk failed (`interrupted`) only the tasks it wrote are tallied, so the processed rows stay the
 * file's first rows and every task written is still reported.
 */
async function tallyChunk(run: ImportRun, plan: ChunkPlan, write: ChunkWrite, interrupted: boolean): Promise<void> {
  const { tally } = run;
  if (!interrupted) {
    for (const r of plan.rejected) tally.reject(r);
    for (const w of plan.warnings) tally.warn(w);
    tally.planned(plan.planned);
    if (!run.options.validateOnly) tally.skipped(plan.planned.filter((p) => p.action === 'skip').length);
  }
  let failure: string | undefined;
  for (const [i, result] of (await write.results).entries()) {
    const p = write.writing[i]!;
    if (result.ok) tally.written(p);
    else if (result.reason === 'failed') failure ??= `writing task ${result.id} (row ${p.row.row}) failed: ${result.error}`;
    // Someone created or archived the task between our read and the write.
    else if (!interrupted) tally.reject({ row: p.row.row, problems: [{ field: null, issue: `is task ${result.id}, which changed during the import (${result.error}); import the file again to bring it in` }] });
  }
  if (failure) throw new Error(failure);
  if (!interrupted) tally.processed(plan.rows);
}

/**
 * The feed event announcing an import made without a job (a job's end is announced by the trigger
 * on its document, the same way): `import_completed` with the counts, its id the import's bulk id.
 * `failed`: the import stopped after writing tasks, whose own events reach webhooks only through it.
 */
async function announceImport(run: ImportRun, report: ImportReport, status: 'completed' | 'failed'): Promise<void> {
  const { total_rows, processed_rows, created_tasks, updated_tasks, skipped_tasks, invalid_tasks } = report;
  const data = { job_id: null, status, total_rows, processed_rows, created_tasks, updated_tasks, skipped_tasks, error_count: invalid_tasks };
  await writeFeedEvent(run.db, run.options.projectId, feedEventDoc('import_completed', run.options.actor, data), { id: run.bulkId! });
}

/** Runs an import; throws the file-level 400/404/413/422 before writing, ImportInterrupted after. */
export async function runImport(db: Firestore, source: CsvSource, options: ImportOptions, onProgress?: ProgressHook): Promise<ImportReport> {
  const { header, total, fileStyle } = await scan(source, options.maxRows);

  const tasks = new TaskStore(db);
  const project = options.project ?? (await importableProject(db, options.projectId));
  const projectPattern = project.get('naming_pattern');
  const given = [
    { source: 'request' as const, style: options.namingStyle },
    { source: 'project' as const, style: typeof projectPattern === 'string' ? parseNamingPattern(projectPattern) : undefined },
  ];
  const sampleNeeded = SEGMENT_KINDS.some((k) => !given.some((g) => g.style?.[k]));
  const { style, sources } = resolveStyle([
    ...given,
    { source: 'existing_tasks', style: sampleNeeded ? await existingStyle(tasks, options.projectId) : undefined },
    { source: 'file', style: fileStyle },
  ]);

  const run: ImportRun = {
    db,
    tasks,
    options,
    rows: { projectId: options.projectId, config: taskConfigOf(project.data()), style, headerColumns: header.columns.length },
    tally: new ReportTally({ total, validateOnly: options.validateOnly, existing: options.existing, unknownColumns: header.unknownColumns, style, sources }, options.maxListed),
    seen: new Map(),
    bulkId: options.validateOnly ? null : (options.jobId ?? eventsCollection(db, options.projectId).doc().id),
    deferred: [],
    dryCreates: options.validateOnly ? new Map() : null,
  };
  const report = run.tally.report;
  await onProgress?.(report);

  const chunkSize = Math.max(1, Math.min(MAX_CHUNK, Math.ceil(total / (options.chunks ?? 1))));
  // Up to WRITES_IN_FLIGHT chunks are written at once while the next is read and decided (their ids
  // differ: `seen` keeps the first row of an id); chunks are tallied and reported one at a time, in
  // file order. The first failure stops new writes; the ones under way still land or fail and are tallied.
  let failure: { reason: unknown } | undefined;
  // Settles (never rejects) once every chunk started so far is tallied.
  let tallied: Promise<void> = Promise.resolve();
  const underWay: Promise<void>[] = [];
  const commit = async (chunk: CsvRow[]) => {
    const plan = await planChunk(run, chunk, tallied);
    if (failure) throw failure.reason;
    const write = startWrite(run, plan);
    tallied = tallied.then(async () => {
      try {
        await tallyChunk(run, plan, write, failure !== undefined);
        if (!failure) await onProgress?.(report);
      } catch (err) {
        failure ??= { reason: err };
      }
    });
    underWay.push(tallied);
    if (underWay.length >= WRITES_IN_FLIGHT) await underWay.shift();
  };
  const announces = run.bulkId !== null && options.jobId === undefined;
  let written = false;
  try {
    const { rows } = await openCsv(source());
    let chunk: CsvRow[] = [];
    for await (const row of rows) {
      chunk.push(row);
      if (chunk.length === chunkSize) {
        await commit(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) await commit(chunk);
    await tallied;
    if (failure) throw failure.reason;
    if (run.deferred.length > 0) {
      await settleDeferred(run);
      await onProgress?.(report);
    }
    written = true;
    if (announces) await announceImport(run, report, 'completed');
  } catch (err) {
    // The chunks under way still land or fail: the report says which once they have settled; the first failure is the reason.
    await tallied;
    if (announces && !written && report.created_tasks + report.updated_tasks > 0) {
      // Often Firestore itself is what failed: then this may fail too, and the log is what is left.
      await announceImport(run, report, 'failed').catch((announceErr: unknown) =>
        logger.error('An interrupted import could not announce the tasks it wrote', { projectId: options.projectId, bulkId: run.bulkId, created: report.created_tasks, updated: report.updated_tasks, error: String(announceErr) }),
      );
    }
    throw new ImportInterrupted(report, failure?.reason ?? err);
  }

  return report;
}
