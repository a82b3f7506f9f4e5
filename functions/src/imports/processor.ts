// The import itself, shared by the sync endpoint and the async job. Two streaming passes over the
// file: the first checks it as a whole (CSV syntax, header, row count, how its numbers are padded)
// and refuses it before anything is written; the second checks each row and writes chunk by chunk,
// reading the existing tasks of a chunk (reads in proportion to the chunk) and comparing before
// writing, so re-importing the same file changes nothing. Memory holds one chunk plus the ids seen.
import type { DocumentSnapshot, Firestore } from 'firebase-admin/firestore';
import { notFound, payloadTooLarge, unprocessable, validationError } from '../http/errors.js';
import { ProjectStore } from '../projects/store.js';
import { taskConfigOf, type TaskRecord } from '../tasks/rules.js';
import type { MutableTaskField } from '../tasks/schemas.js';
import { writeTasks, type TaskWrite } from '../tasks/store.js';
import { FIELD_LABELS, openCsv, type CsvRow } from './csv.js';
import { refusedDependencies } from './dependencies.js';
import { parseNamingPattern, resolveStyle, SEGMENT_KINDS, StyleTally, type NamingStyle } from './padding.js';
import { checkRow, describeProblems, paddingTwins, type RowProblem } from './rows.js';
import type { ExistingMode, ImportReport } from './schemas.js';
import { readTasks, sampleProjectTasks } from './store.js';

/** Opens the file from its start; called once per pass. */
export type CsvSource = () => AsyncIterable<Buffer | string> | Iterable<Buffer | string>;

export interface ImportOptions {
  projectId: string;
  /** Uid recorded as the tasks' writer. */
  actor: string;
  existing: ExistingMode;
  validateOnly: boolean;
  /** The request's naming pattern, when given. */
  namingStyle?: NamingStyle | undefined;
  /** More task rows than this are refused (413) before anything is written. */
  maxRows?: number;
  /** Most row errors, warnings and written ranges kept in the report. */
  maxListed: number;
  /** Rows written per chunk: the file is split into about this many chunks (at most 500 rows each). */
  chunks?: number;
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
const PREVIEW_LIMIT = 50;
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
async function existingStyle(db: Firestore, projectId: string): Promise<NamingStyle> {
  const tally = new StyleTally();
  for (const doc of await sampleProjectTasks(db, projectId, STYLE_SAMPLE)) {
    for (const kind of SEGMENT_KINDS) {
      const value = doc.get(kind);
      if (typeof value === 'string') tally.add(kind, value);
    }
  }
  return tally.style(true);
}

/** Firestore values compared as stored (map key order does not matter). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The row's cells that differ from the stored task: all an update writes. */
function changesOf(task: TaskRecord, provided: readonly MutableTaskField[], current: Record<string, unknown>) {
  const changes: Record<string, unknown> = {};
  for (const field of provided) {
    const value = (task as unknown as Record<string, unknown>)[field];
    if (!sameValue(value, current[field])) changes[field] = value;
  }
  return changes;
}

/** The project tasks are imported into: it must exist (404) and not be archived (422), like for POST /tasks. */
export async function importableProject(db: Firestore, projectId: string): Promise<DocumentSnapshot> {
  const project = await new ProjectStore(db).get(projectId);
  if (!project) throw notFound(`Project ${projectId}`);
  if (project.get('status') === 'archived') throw unprocessable(`Project ${projectId} is archived; it takes no new tasks`);
  return project;
}

/** Runs an import; throws the file-level 400/404/413/422 before writing, ImportInterrupted after. */
export async function runImport(db: Firestore, source: CsvSource, options: ImportOptions, onProgress?: ProgressHook): Promise<ImportReport> {
  const { header, total, fileStyle } = await scan(source, options.maxRows);

  const project = await importableProject(db, options.projectId);
  const config = taskConfigOf(project.data());
  const projectPattern = project.get('naming_pattern');
  const given = [
    { source: 'request' as const, style: options.namingStyle },
    { source: 'project' as const, style: typeof projectPattern === 'string' ? parseNamingPattern(projectPattern) : undefined },
  ];
  const sampleNeeded = SEGMENT_KINDS.some((k) => !given.some((g) => g.style?.[k]));
  const { style, sources } = resolveStyle([
    ...given,
    { source: 'existing_tasks', style: sampleNeeded ? await existingStyle(db, options.projectId) : undefined },
    { source: 'file', style: fileStyle },
  ]);

  const report: ImportReport = {
    total_rows: total,
    processed_rows: 0,
    valid_tasks: 0,
    invalid_tasks: 0,
    created_tasks: 0,
    updated_tasks: 0,
    skipped_tasks: 0,
    validate_only: options.validateOnly,
    existing: options.existing,
    actions: { create: 0, update: 0, skip: 0 },
    errors: [],
    errors_truncated: false,
    warnings: [],
    unknown_columns: header.unknownColumns,
    naming: Object.fromEntries(SEGMENT_KINDS.map((k) => [k, style[k] ? { ...style[k], source: sources[k]! } : null])) as ImportReport['naming'],
    preview: [],
    written_rows: [],
    written_rows_truncated: false,
  };
  await onProgress?.(report);

  const seen = new Map<string, number>();
  const chunkSize = Math.max(1, Math.min(MAX_CHUNK, Math.ceil(total / (options.chunks ?? 1))));

  const reject = (row: number, problems: RowProblem[]) => {
    report.invalid_tasks++;
    if (report.errors.length < options.maxListed) report.errors.push({ row, error: describeProblems(problems), problems });
    else report.errors_truncated = true;
  };
  const warn = (row: number, warning: string) => {
    if (report.warnings.length < options.maxListed) report.warnings.push({ row, warning });
  };
  const written = (row: number) => {
    const last = report.written_rows.at(-1);
    if (last && last.to === row - 1) last.to = row;
    else if (report.written_rows.length < options.maxListed) report.written_rows.push({ from: row, to: row });
    else report.written_rows_truncated = true;
  };

  async function processChunk(rows: CsvRow[]) {
    const valid: { row: CsvRow; task: TaskRecord; provided: MutableTaskField[] }[] = [];
    for (const row of rows) {
      const checked = checkRow(row, options.projectId, config, style, header.columns.length);
      const id = checked.ok ? checked.task.id : checked.id;
      const problems = checked.ok ? [] : [...checked.problems];
      if (id !== undefined) {
        const first = seen.get(id);
        if (first !== undefined) problems.push({ field: null, issue: `is a duplicate of row ${first} (both are task ${id})` });
        else seen.set(id, row.row);
      }
      if (checked.ok && problems.length === 0) valid.push({ row, task: checked.task, provided: checked.provided });
      else reject(row.row, problems);
    }

    // Only the cells the rows give (and the owner) are read to decide; a re-import reads little.
    const compared = [...new Set(['project_id', ...valid.flatMap((v) => v.provided)])];
    const snaps = await readTasks(db, valid.map((v) => v.task.id), compared);
    const plan: { row: CsvRow; task: TaskRecord; action: 'create' | 'update' | 'skip'; changes: Record<string, unknown>; write?: TaskWrite }[] = [];
    valid.forEach((v, i) => {
      const snap = snaps[i] as DocumentSnapshot;
      const otherProject = snap.exists && snap.get('project_id') !== options.projectId;
      // A dry run answers from the caller's project alone: it must not tell which ids other projects
      // use (docs/task-ids.md). Only writing finds out, as a create would.
      if (!snap.exists || (otherProject && options.validateOnly)) {
        plan.push({ ...v, action: 'create', changes: {}, write: { kind: 'create', task: v.task, config } });
      } else if (otherProject) {
        // Task ids are global: a task of another project is never skipped or updated from here.
        reject(v.row.row, [{ field: null, issue: `is task ${v.task.id}, an id already used by a task of another project` }]);
      } else if (options.existing === 'fail') {
        reject(v.row.row, [{ field: null, issue: `is task ${v.task.id}, which already exists (existing=fail; choose existing=skip or existing=update to import it)` }]);
      } else if (options.existing === 'skip') {
        plan.push({ ...v, action: 'skip', changes: {} });
      } else {
        const changes = changesOf(v.task, v.provided, snap.data() ?? {});
        plan.push(Object.keys(changes).length === 0 ? { ...v, action: 'skip', changes } : { ...v, action: 'update', changes });
      }
    });

    for (const [p, issue] of await refusedDependencies(db, options.projectId, plan)) {
      plan.splice(plan.indexOf(p), 1);
      reject(p.row.row, [{ field: FIELD_LABELS.depends_on, issue }]);
    }

    // An update rewrites the derived query fields from the whole task, so those few are read in full.
    const updates = plan.filter((p) => p.action === 'update');
    if (!options.validateOnly && updates.length > 0) {
      const full = await readTasks(db, updates.map((p) => p.task.id));
      updates.forEach((p, i) => {
        p.write = { kind: 'update', id: p.task.id, current: full[i]!.data() ?? {}, changes: p.changes, config };
      });
    }

    if (options.existing === 'update') await warnAboutPaddingTwins(plan.filter((p) => p.action === 'create'));

    for (const p of plan) {
      report.actions[p.action]++;
      if (report.preview.length < PREVIEW_LIMIT) {
        const { id, episode, sequence, shot, task } = p.task;
        report.preview.push({ row: p.row.row, id, episode, sequence, shot, task, action: p.action, changes: Object.keys(p.changes) });
      }
    }

    if (!options.validateOnly) {
      report.skipped_tasks += plan.filter((p) => p.action === 'skip').length;
      const writing = plan.filter((p) => p.write);
      const results = await writeTasks(
        db,
        writing.map((p) => p.write!),
        { actor: options.actor },
      );
      let failure: string | undefined;
      for (const [i, result] of results.entries()) {
        const p = writing[i]!;
        if (result.ok) {
          if (p.action === 'create') report.created_tasks++;
          else report.updated_tasks++;
          written(p.row.row);
        } else if (result.reason === 'failed') {
          failure ??= `writing task ${result.id} (row ${p.row.row}) failed: ${result.error}`;
        } else {
          // Someone created or archived the task between our read and the write.
          reject(p.row.row, [{ field: null, issue: `is task ${result.id}, which changed during the import (${result.error}); import the file again to bring it in` }]);
        }
      }
      if (failure) throw new Error(failure);
    }
    report.processed_rows += rows.length;
    report.valid_tasks = report.processed_rows - report.invalid_tasks;
  }

  /** With existing=update, a row that would create a task differing from an existing one only by padding is most likely meant to update it. */
  async function warnAboutPaddingTwins(creates: { row: CsvRow; task: TaskRecord }[]) {
    const twinsOf = creates.map((c) => paddingTwins(c.row, c.task));
    const ids = [...new Set(twinsOf.flat())];
    if (ids.length === 0) return;
    const found = new Set((await readTasks(db, ids, ['project_id'])).filter((s) => s.exists && s.get('project_id') === options.projectId).map((s) => s.id));
    creates.forEach((c, i) => {
      const twin = twinsOf[i]!.find((id) => found.has(id));
      if (twin) {
        warn(c.row.row, `creates task ${c.task.id}, but task ${twin} exists and differs only by the padding of its numbers: if they are the same shot, give naming_pattern to match the existing tasks`);
      }
    });
  }

  try {
    const { rows } = await openCsv(source());
    let chunk: CsvRow[] = [];
    for await (const row of rows) {
      chunk.push(row);
      if (chunk.length === chunkSize) {
        await processChunk(chunk);
        chunk = [];
        await onProgress?.(report);
      }
    }
    if (chunk.length > 0) {
      await processChunk(chunk);
      await onProgress?.(report);
    }
  } catch (err) {
    throw new ImportInterrupted(report, err);
  }

  return report;
}
