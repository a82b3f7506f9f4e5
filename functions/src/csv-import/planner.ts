// The import's row planner: what each row of a chunk becomes (create, update, skip or an error),
// decided from the rows, the stored tasks they name and the project's configuration. No I/O: the
// processor reads the stored tasks it asks for and writes what it plans.
import { sameValue } from '../lib/same-value.js';
import type { ProjectTaskConfig } from '../tasks/project-config.js';
import type { TaskRecord } from '../tasks/record.js';
import type { MutableTaskField } from '../tasks/schemas.js';
import type { CsvRow } from './csv.js';
import type { NamingStyle } from './padding.js';
import { checkRow, paddingTwins, type RowProblem } from './rows.js';
import type { ExistingMode } from './schemas.js';

/** What a row is checked with. */
export interface RowContext {
  projectId: string;
  config: ProjectTaskConfig;
  style: NamingStyle;
  headerColumns: number;
}

export interface ValidRow {
  row: CsvRow;
  task: TaskRecord;
  /** The task fields the row's cells set (an update changes only these). */
  provided: MutableTaskField[];
}

export interface RejectedRow {
  row: number;
  problems: RowProblem[];
}

export type Action = 'create' | 'update' | 'skip';

export interface PlannedRow extends ValidRow {
  action: Action;
  /** For an update, the fields that change and their new values. */
  changes: Record<string, unknown>;
}

/**
 * Checks each row; a row naming the same task as an earlier row of the file is refused. `seen`
 * (task id → first row) carries over from chunk to chunk: with the rows the dependency check defers,
 * it is all the memory the file needs.
 */
export function checkRows(rows: readonly CsvRow[], context: RowContext, seen: Map<string, number>): { valid: ValidRow[]; rejected: RejectedRow[] } {
  const valid: ValidRow[] = [];
  const rejected: RejectedRow[] = [];
  for (const row of rows) {
    const checked = checkRow(row, context.projectId, context.config, context.style, context.headerColumns);
    const id = checked.ok ? checked.task.id : checked.id;
    const problems = checked.ok ? [] : [...checked.problems];
    if (id !== undefined) {
      const first = seen.get(id);
      if (first !== undefined) problems.push({ field: null, issue: `is a duplicate of row ${first} (both are task ${id})` });
      else seen.set(id, row.row);
    }
    if (checked.ok && problems.length === 0) valid.push({ row, task: checked.task, provided: checked.provided });
    else rejected.push({ row: row.row, problems });
  }
  return { valid, rejected };
}

/** The stored fields the planner compares valid rows with: the owner and the cells the rows give. */
export function comparedFields(valid: readonly ValidRow[]): string[] {
  return [...new Set(['project_id', ...valid.flatMap((v) => v.provided)])];
}

/** The row's cells that differ from the stored task: all an update writes. */
function changesOf(v: ValidRow, current: Record<string, unknown>) {
  const changes: Record<string, unknown> = {};
  for (const field of v.provided) {
    const value = (v.task as unknown as Record<string, unknown>)[field];
    if (!sameValue(value, current[field])) changes[field] = value;
  }
  return changes;
}

/**
 * What happens to each valid row, given the project's stored task of the same id (null when there
 * is none, at least `comparedFields`): a new task is created; an existing one is skipped, updated
 * or refused as `existing` says. Ids are per project, so other projects' tasks never count.
 */
export function planRows(
  valid: readonly ValidRow[],
  stored: readonly (Record<string, unknown> | null)[],
  options: { existing: ExistingMode },
): { planned: PlannedRow[]; rejected: RejectedRow[] } {
  const planned: PlannedRow[] = [];
  const rejected: RejectedRow[] = [];
  valid.forEach((v, i) => {
    const current = stored[i] ?? null;
    if (current === null) {
      planned.push({ ...v, action: 'create', changes: {} });
    } else if (options.existing === 'fail') {
      rejected.push({ row: v.row.row, problems: [{ field: null, issue: `is task ${v.task.id}, which already exists (existing=fail; choose existing=skip or existing=update to import it)` }] });
    } else if (options.existing === 'skip') {
      planned.push({ ...v, action: 'skip', changes: {} });
    } else {
      const changes = changesOf(v, current);
      planned.push({ ...v, action: Object.keys(changes).length === 0 ? 'skip' : 'update', changes });
    }
  });
  return { planned, rejected };
}

/** For each planned create, the ids of tasks it may be a padding twin of (see `twinWarnings`). */
export function twinCandidates(creates: readonly PlannedRow[]): string[][] {
  return creates.map((c) => paddingTwins(c.row, c.task));
}

/**
 * With existing=update, a row that would create a task differing from an existing one of the
 * project only by padding is most likely meant to update it. `found`: the candidates that exist.
 */
export function twinWarnings(creates: readonly PlannedRow[], candidates: readonly string[][], found: ReadonlySet<string>): { row: number; warning: string }[] {
  return creates.flatMap((c, i) => {
    const twin = candidates[i]!.find((id) => found.has(id));
    return twin
      ? [{ row: c.row.row, warning: `creates task ${c.task.id}, but task ${twin} exists and differs only by the padding of its numbers: if they are the same shot, give naming_pattern to match the existing tasks` }]
      : [];
  });
}
