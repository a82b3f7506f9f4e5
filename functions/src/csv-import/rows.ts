// One CSV row → a task: cells parsed into typed values, episode/sequence/shot brought to the
// project's naming style, then checked by the task rules against the project's configuration.
// Every problem of the row is collected; none stops the others from being found.
import type { FieldIssue } from '../http/validate.js';
import { deriveTaskId } from '../tasks/naming.js';
import type { ProjectTaskConfig } from '../tasks/project-config.js';
import type { TaskRecord } from '../tasks/record.js';
import { checkNewTaskInput, taskProblems } from '../tasks/validation.js';
import { TASK_STATUSES, type MutableTaskField } from '../tasks/schemas.js';
import { FIELD_LABELS, IMPORT_FIELDS, type CsvRow, type ImportField } from './csv.js';
import { applyStyle, unpadded, type NamingStyle } from './padding.js';

export interface RowProblem {
  /** The column (as the spreadsheet calls it), or null for the row as a whole. */
  field: string | null;
  issue: string;
}

export type CheckedRow = { ok: true; task: TaskRecord; provided: MutableTaskField[] } | { ok: false; id: string | undefined; problems: RowProblem[] };

/** Episode, sequence, shot and task as the row wrote them (before any normalisation). */
export type IdentityParts = { episode: string; sequence: string; shot: string; task: string };

/** Task fields that come from the task rules' names, in the spreadsheet's words. */
const LABEL_OF_TASK_FIELD: Record<string, string> = {
  episode: FIELD_LABELS.episode,
  sequence: FIELD_LABELS.sequence,
  shot: FIELD_LABELS.shot,
  task: FIELD_LABELS.task,
  artist: FIELD_LABELS.artist,
  status: FIELD_LABELS.status,
  priority: FIELD_LABELS.priority,
  milestone: FIELD_LABELS.milestone,
  frame_range: `${FIELD_LABELS.frame_start}/${FIELD_LABELS.frame_end}`,
  deadline: FIELD_LABELS.deadline,
  estimated_duration_hours: FIELD_LABELS.estimated_hours,
  description: FIELD_LABELS.description,
  depends_on: FIELD_LABELS.depends_on,
};

const WHOLE = /^[+-]?\d+(?:\.0+)?$/;
/** Dot or (as semicolon-separated spreadsheets write it) comma decimals. */
const DECIMAL = /^[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** A calendar date or a date-time with zone, as the task rules store them; undefined when it is not one. */
function isoDate(value: string): string | undefined {
  const d = ISO_DATE.exec(value);
  if (d) {
    const [y, m, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    const date = new Date(Date.UTC(y, m - 1, day));
    return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === day ? value : undefined;
  }
  return ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

/** `In Progress`, `in-progress`, `IN_PROGRESS` → `in_progress`. */
const statusValue = (value: string) => value.trim().toLowerCase().replace(/[\s-]+/g, '_');

/** Which task fields a row's cells set (an update changes only these). */
const PROVIDED_BY: Partial<Record<ImportField, MutableTaskField>> = {
  artist: 'artist',
  status: 'status',
  priority: 'priority',
  milestone: 'milestone',
  frame_start: 'frame_range',
  frame_end: 'frame_range',
  deadline: 'deadline',
  estimated_hours: 'estimated_duration_hours',
  description: 'description',
  depends_on: 'depends_on',
};

/** The row's task id, when its identity cells are usable: also what duplicates are found by. */
export function rowIdentity(row: CsvRow, style: NamingStyle): IdentityParts | undefined {
  const { episode, sequence, shot, task } = row.values;
  if (!episode || !sequence || !shot || !task) return undefined;
  return { episode: applyStyle('episode', episode, style.episode), sequence: applyStyle('sequence', sequence, style.sequence), shot: applyStyle('shot', shot, style.shot), task };
}

/**
 * Ids an existing task could have if it was written with other padding than the row's task: the
 * row as written, and every number unpadded. Used to warn before creating a near-twin.
 */
export function paddingTwins(row: CsvRow, task: TaskRecord): string[] {
  const v = row.values as Required<Pick<CsvRow['values'], 'episode' | 'sequence' | 'shot'>>;
  const candidates = [
    deriveTaskId({ episode: v.episode, sequence: v.sequence, shot: v.shot, task: task.task }),
    deriveTaskId({ episode: unpadded(task.episode), sequence: unpadded(task.sequence), shot: unpadded(task.shot), task: task.task }),
  ];
  return [...new Set(candidates)].filter((id) => id !== task.id);
}

/** Parses and checks one row against the project's configuration. */
export function checkRow(row: CsvRow, projectId: string, config: ProjectTaskConfig, style: NamingStyle, headerColumns: number): CheckedRow {
  const v = row.values;
  const problems: RowProblem[] = [];
  const input: Record<string, unknown> = { project_id: projectId };
  const provided = new Set<MutableTaskField>();

  const identity = rowIdentity(row, style);
  for (const field of ['episode', 'sequence', 'shot', 'task'] as const) {
    const value = v[field];
    if (value === undefined) problems.push({ field: FIELD_LABELS[field], issue: 'is empty' });
    else input[field] = field === 'task' ? value : applyStyle(field, value, style[field]);
  }
  if (row.extraCells > 0) problems.push({ field: null, issue: `has ${row.extraCells} more filled cell(s) than the header's ${headerColumns} columns` });

  for (const field of ['artist', 'priority', 'milestone', 'description'] as const) {
    if (v[field] !== undefined) input[field] = v[field];
  }
  // Task ids separated by `;` (the task rules check them; the import checks what they name).
  if (v.depends_on !== undefined) input.depends_on = v.depends_on.split(';').map((id) => id.trim()).filter(Boolean);
  if (v.status !== undefined) {
    const status = statusValue(v.status);
    if ((TASK_STATUSES as readonly string[]).includes(status)) input.status = status;
    else problems.push({ field: FIELD_LABELS.status, issue: `'${v.status}' is not a status: use one of ${TASK_STATUSES.join(', ')}` });
  }

  const frame = (field: 'frame_start' | 'frame_end') => {
    const raw = v[field];
    if (raw === undefined) return undefined;
    if (!WHOLE.test(raw)) {
      problems.push({ field: FIELD_LABELS[field], issue: `'${raw}' is not a whole frame number` });
      return undefined;
    }
    return Math.trunc(Number(raw));
  };
  const start = frame('frame_start');
  const end = frame('frame_end');
  if ((v.frame_start === undefined) !== (v.frame_end === undefined)) {
    const missing = v.frame_start === undefined ? 'frame_start' : 'frame_end';
    const given = missing === 'frame_start' ? 'frame_end' : 'frame_start';
    problems.push({ field: FIELD_LABELS[missing], issue: `is empty but ${FIELD_LABELS[given]} is given: a frame range needs both` });
  } else if (start !== undefined && end !== undefined) {
    if (start >= end) problems.push({ field: `${FIELD_LABELS.frame_start}/${FIELD_LABELS.frame_end}`, issue: `start ${start} must be less than end ${end}` });
    else input.frame_range = { start, end };
  }

  if (v.deadline !== undefined) {
    const date = isoDate(v.deadline);
    if (date === undefined) problems.push({ field: FIELD_LABELS.deadline, issue: `'${v.deadline}' is not a valid date: write it as YYYY-MM-DD` });
    else input.deadline = date;
  }

  if (v.estimated_hours !== undefined) {
    const hours = DECIMAL.test(v.estimated_hours) ? Number(v.estimated_hours.replace(',', '.')) : Number.NaN;
    if (!Number.isFinite(hours) || hours < 0) problems.push({ field: FIELD_LABELS.estimated_hours, issue: `'${v.estimated_hours}' is not a number of hours (0 or more)` });
    else input.estimated_duration_hours = hours;
  }

  for (const [cell, field] of Object.entries(PROVIDED_BY) as [ImportField, MutableTaskField][]) if (v[cell] !== undefined) provided.add(field);

  // The task rules check names, lengths and the project's lists; cells already refused above are
  // absent from the input, so each problem is reported once.
  const checked = checkNewTaskInput(input, config);
  if (!checked.ok) problems.push(...taskProblems(checked.issues).filter((p) => !isMissingIdentity(p, v)).map(fromTaskProblem));
  if (problems.length > 0 || !checked.ok) {
    return { ok: false, id: identity ? safeId(identity) : undefined, problems: inColumnOrder(problems) };
  }
  return { ok: true, task: checked.value, provided: [...provided] };
}

const COLUMN_ORDER = IMPORT_FIELDS.map((f) => FIELD_LABELS[f]);

/** Problems in the order of the spreadsheet's usual columns; those about the whole row last. */
function inColumnOrder(problems: RowProblem[]): RowProblem[] {
  const rank = (p: RowProblem) => (p.field === null ? COLUMN_ORDER.length : COLUMN_ORDER.indexOf(p.field.split('/')[0]!));
  return problems.map((p, i) => ({ p, i })).sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i).map(({ p }) => p);
}

/** An empty identity cell is already reported as "is empty". */
function isMissingIdentity(p: FieldIssue, v: CsvRow['values']) {
  return (['episode', 'sequence', 'shot', 'task'] as const).some((f) => p.field === f && v[f] === undefined);
}

function fromTaskProblem(p: FieldIssue): RowProblem {
  const label = LABEL_OF_TASK_FIELD[p.field.split('.')[0]!];
  return { field: label ?? p.field, issue: p.issue };
}

/** The id a row would get even when other cells are bad (to find its duplicates). */
function safeId(identity: IdentityParts): string | undefined {
  const id = deriveTaskId(identity);
  return /^[\p{L}\p{N}][\p{L}\p{N}_-]*$/u.test(id) ? id : undefined;
}

/** A row's problems as one line: `Task: 'cmp' is not one of ...; Deadline: '31/12' is not a valid date`. */
export function describeProblems(problems: readonly RowProblem[]): string {
  return problems.map((p) => (p.field ? `${p.field}: ${p.issue}` : `Row ${p.issue}`)).join('; ');
}
