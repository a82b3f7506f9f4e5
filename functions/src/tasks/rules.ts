// The task domain's pure rules: how episode/sequence/shot values are normalised, how a task id is
// derived, how an input is checked against its project's configuration, and which derived fields
// a stored task carries so that filters, search and sorting are plain indexed Firestore queries.
// No I/O here: the API (service.ts) and the CSV importer both build on these functions.
import { searchTokensOf } from '../lib/search.js';
import type { z } from 'zod';
import { firestoreValueProblem } from '../lib/firestore-value.js';
import { DEPENDENCY_STATE_FIELDS } from './dependencies.js';
import {
  IDENTITY_FIELDS,
  customFieldNameSchema,
  mutableTaskFields,
  taskCreateSchema,
  taskUpdateSchema,
  type MutableTaskField,
  type TaskStatus,
} from './schemas.js';

// ---------------------------------------------------------------------------------------------
// Project configuration

/** The parts of a project's configuration a task is checked against. */
export interface ProjectTaskConfig {
  task_types: readonly string[];
  milestones: readonly string[];
  /** Lowest first: the index is the priority's rank when sorting. */
  priority_levels: readonly string[];
}

/** The spec's example configuration, used for a list the project document does not carry at all. */
export const DEFAULT_TASK_CONFIG: ProjectTaskConfig = {
  task_types: ['modeling', 'rigging', 'animation', 'layout', 'lighting', 'comp', 'fx', 'lookdev'],
  milestones: ['not_started', 'single_frame', 'low_quality', 'final_render', 'final_comp', 'approved'],
  priority_levels: ['low', 'medium', 'high', 'urgent'],
};

const stringList = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined);

/** Reads the task configuration from a project document's data (a missing list falls back to the default; an empty one allows nothing). */
export function taskConfigOf(project: Record<string, unknown> | undefined): ProjectTaskConfig {
  return {
    task_types: stringList(project?.task_types) ?? DEFAULT_TASK_CONFIG.task_types,
    milestones: stringList(project?.milestones) ?? DEFAULT_TASK_CONFIG.milestones,
    priority_levels: stringList(project?.priority_levels) ?? DEFAULT_TASK_CONFIG.priority_levels,
  };
}

/** The project's own spelling of `value` (compared case-insensitively), or undefined when it is not configured. */
export function configured(list: readonly string[], value: string): string | undefined {
  const key = matchKey(value);
  return list.find((v) => matchKey(v) === key);
}

// ---------------------------------------------------------------------------------------------
// Normalisation and ids

export type SegmentKind = 'episode' | 'sequence' | 'shot';

/** The spec's stored shape for the common `<prefix><digits>` names: Ep00, sq0010, SH0020. */
const SEGMENT_SHAPES: Record<SegmentKind, { prefix: string; stored: string }> = {
  episode: { prefix: 'ep', stored: 'Ep' },
  sequence: { prefix: 'sq', stored: 'sq' },
  shot: { prefix: 'sh', stored: 'SH' },
};

/**
 * Normalises an episode/sequence/shot value to the spec's stored shape: `ep00`/`EP00` → `Ep00`,
 * `SQ0010` → `sq0010`, `sh0020` → `SH0020`. Other names (asset names, studio conventions) are only
 * trimmed; filters still match them in any case through `matchKey`.
 */
export function normaliseSegment(kind: SegmentKind, value: string): string {
  const v = value.trim();
  const m = /^([A-Za-z]+)(\d+)$/.exec(v);
  const shape = SEGMENT_SHAPES[kind];
  return m && m[1]!.toLowerCase() === shape.prefix ? `${shape.stored}${m[2]}` : v;
}

/** The case-insensitive form stored beside a value and used by filters (`Ep00` and `ep00` both → `ep00`). */
export function matchKey(value: string): string {
  return value.trim().toLowerCase();
}

/** The spec's task id: `{episode}_{sequence}_{shot}_{task}` lower-cased (`ep00_sq0010_sh0020_comp`). */
export function deriveTaskId(t: { episode: string; sequence: string; shot: string; task: string }): string {
  return [normaliseSegment('episode', t.episode), normaliseSegment('sequence', t.sequence), normaliseSegment('shot', t.shot), t.task.trim()].join('_').toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Stored shape

/** Written and maintained by the server; clients never set them directly. */
export const SERVER_FIELDS = ['created_at', 'updated_at', 'created_by', 'updated_by', 'bulk_id', 'migrated_at', 'migration_version', ...DEPENDENCY_STATE_FIELDS] as const;

/** Derived fields stored for querying (filters, search, sort); hidden from API responses. */
export const INDEX_FIELDS = [
  'episode_key',
  'sequence_key',
  'shot_key',
  'task_key',
  'artist_key',
  'priority_key',
  'priority_rank',
  'deadline_key',
  'archived',
  'search_tokens',
] as const;
export type IndexField = (typeof INDEX_FIELDS)[number];

/** A task's own fields (spec shape, without timestamps, actor or derived fields). */
export interface TaskRecord {
  id: string;
  project: string;
  project_id: string;
  type: 'shot' | 'asset';
  episode: string;
  sequence: string;
  shot: string;
  task: string;
  name?: string;
  description?: string;
  artist: string;
  status: TaskStatus;
  priority: string;
  milestone: string;
  milestone_note: string;
  frame_range: { start: number; end: number } | null;
  start_time: string | null;
  deadline: string | null;
  estimated_duration_hours: number;
  actual_time_logged: number;
  versions: string[];
  current_version: string;
  published_version: string;
  file_extension: string;
  master_file: boolean;
  working_file_path: string;
  render_output_path: string;
  media_file_path: string;
  cache_file_path: string;
  filename: string;
  sequence_clean: string;
  shot_clean: string;
  episode_clean: string;
  client_submission_history: Record<string, unknown>[];
}

/** The defaults of a new task, as in the spec's stored example. */
function newTaskDefaults(config: ProjectTaskConfig) {
  return {
    type: 'shot' as const,
    artist: 'Unassigned',
    status: 'not_started' as const,
    priority: configured(config.priority_levels, 'medium') ?? config.priority_levels[0] ?? 'medium',
    milestone: config.milestones[0] ?? 'not_started',
    milestone_note: '',
    frame_range: null,
    start_time: null,
    deadline: null,
    estimated_duration_hours: 0,
    actual_time_logged: 0,
    versions: [],
    current_version: 'v001',
    published_version: 'v000',
    file_extension: '',
    master_file: true,
    working_file_path: '',
    render_output_path: '',
    media_file_path: '',
    cache_file_path: '',
    filename: '',
    sequence_clean: '',
    shot_clean: '',
    episode_clean: '',
    client_submission_history: [],
  };
}

/** Sorts after every real deadline, so tasks without one come last in ascending order. */
export const NO_DEADLINE_KEY = '9999-12-31T23:59:59.999Z';
/** Rank of a priority the project no longer lists (sorts below every configured level). */
export const UNKNOWN_PRIORITY_RANK = -1;

/**
 * The derived fields stored with a task: lower-cased copies for case-insensitive filters, the
 * priority's rank in the project's order, a sortable deadline, the archived flag (an equality
 * filter rather than `status != archived`, which would constrain sorting) and search tokens.
 */
export function indexFieldsOf(task: TaskRecord, config: ProjectTaskConfig): Record<IndexField, unknown> {
  // Tolerates documents migrated from the old system with a field missing.
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const rank = config.priority_levels.findIndex((p) => matchKey(p) === matchKey(text(task.priority)));
  return {
    episode_key: matchKey(text(task.episode)),
    sequence_key: matchKey(text(task.sequence)),
    shot_key: matchKey(text(task.shot)),
    task_key: matchKey(text(task.task)),
    artist_key: matchKey(text(task.artist)),
    priority_key: matchKey(text(task.priority)),
    priority_rank: rank >= 0 ? rank : UNKNOWN_PRIORITY_RANK,
    deadline_key: task.deadline ? new Date(task.deadline).toISOString() : NO_DEADLINE_KEY,
    archived: task.status === 'archived',
    search_tokens: searchTokens({ id: text(task.id), task: text(task.task), name: task.name, description: task.description }),
  };
}

/** A stored task's data without the derived query fields (what the API returns). */
export function withoutIndexFields(data: Record<string, unknown>): Record<string, unknown> {
  const out = { ...data };
  for (const f of INDEX_FIELDS) delete out[f];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Search (the scheme is in lib/search.ts): a task is found by its id and name as phrases, its type
// and description word by word.

export function searchTokens(task: Pick<TaskRecord, 'id' | 'task'> & { name?: string | undefined; description?: string | undefined }): string[] {
  return searchTokensOf({ phrases: [task.id, task.name], words: [task.task, task.description] });
}

// ---------------------------------------------------------------------------------------------
// Checking input

export interface TaskProblem {
  field: string;
  issue: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: TaskProblem[] };

/** One problem per field (the first the schema found), unknown fields each named. */
function zodProblems(issues: readonly z.core.$ZodIssue[]): TaskProblem[] {
  const problems: TaskProblem[] = [];
  for (const i of issues) {
    if (i.code === 'unrecognized_keys') {
      for (const key of i.keys) problems.push({ field: [...i.path.map(String), key].join('.'), issue: 'Unknown field' });
      continue;
    }
    const field = i.path.length ? i.path.map(String).join('.') : 'input';
    if (!problems.some((p) => p.field === field)) problems.push({ field, issue: i.message });
  }
  return problems;
}

type ConfigField = 'task' | 'milestone' | 'priority';
const CONFIG_LISTS: Record<ConfigField, keyof ProjectTaskConfig> = { task: 'task_types', milestone: 'milestones', priority: 'priority_levels' };

/** Checks the config-bound fields present in `input`, returning problems and the project's spellings. */
function checkConfigured(input: Record<string, unknown>, config: ProjectTaskConfig, fields: readonly ConfigField[]) {
  const problems: TaskProblem[] = [];
  const values: Partial<Record<ConfigField, string>> = {};
  for (const field of fields) {
    const raw = input[field];
    if (typeof raw !== 'string' || raw.trim() === '') continue; // shape problems are reported by the schema
    const list = config[CONFIG_LISTS[field]];
    const match = configured(list, raw);
    if (match === undefined) {
      problems.push({
        field,
        issue: list.length ? `'${raw.trim()}' is not one of the project's ${CONFIG_LISTS[field]}: ${list.join(', ')}` : `The project has no ${CONFIG_LISTS[field]} configured`,
      });
    } else values[field] = match;
  }
  return { problems, values };
}

/**
 * Checks a new task against its project's configuration and returns it in stored form (defaults
 * applied, names normalised, id derived unless given), or every problem found, each naming its field.
 * With `config` null (the project is unknown) only the shape is checked, and the result is never ok.
 */
export function checkNewTask(input: unknown, config: ProjectTaskConfig | null): Checked<TaskRecord> {
  const parsed = taskCreateSchema.safeParse(input);
  const raw = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const { problems: configProblems, values } = config ? checkConfigured(raw, config, ['task', 'milestone', 'priority']) : { problems: [], values: {} };
  const problems = [...(parsed.success ? [] : zodProblems(parsed.error.issues)), ...configProblems];
  if (!parsed.success || problems.length || !config) return { ok: false, problems };

  const { id, project, project_id, ...fields } = parsed.data;
  const projectId = (project_id ?? project)!;
  const episode = normaliseSegment('episode', fields.episode);
  const sequence = normaliseSegment('sequence', fields.sequence);
  const shot = normaliseSegment('shot', fields.shot);
  const task = values.task!;
  const record: TaskRecord = {
    ...newTaskDefaults(config),
    ...stripUndefined(fields),
    ...stripUndefined({ priority: values.priority, milestone: values.milestone }),
    id: id ?? deriveTaskId({ episode, sequence, shot, task }),
    project: projectId,
    project_id: projectId,
    episode,
    sequence,
    shot,
    task,
  } as TaskRecord;
  return { ok: true, value: record };
}

/** Fields that can never be set by a client update, with the reason given back. */
function refusedUpdateField(field: string): string | undefined {
  if ((IDENTITY_FIELDS as readonly string[]).includes(field)) return `${field} cannot be changed: it is part of the task's identity (create a new task instead)`;
  if ((SERVER_FIELDS as readonly string[]).includes(field) || (INDEX_FIELDS as readonly string[]).includes(field) || field.startsWith('_')) {
    return `${field} is maintained by the server`;
  }
  return undefined;
}

/** Edits (insertions, deletions, substitutions) between two short names. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

/** The task field a new name is probably a typo of (`priorty`, `Status`), or undefined. */
function likelyTypoOf(name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(mutableTaskFields).find((field) => lower === field || (field.length >= 5 && editDistance(lower, field) <= 2));
}

/** Why a name in an update cannot become a new custom field, or undefined when it can. */
function newCustomFieldProblem(field: string, value: unknown): string | undefined {
  const name = customFieldNameSchema.safeParse(field);
  if (!name.success) return name.error.issues[0]!.message;
  if (RESERVED_FIELD_NAMES.has(field)) return `${field} is reserved; custom fields need another name`;
  const typo = likelyTypoOf(field);
  if (typo) return `Unknown field ${field}: did you mean ${typo}? (to add a custom field this close to a task field, use POST /tasks/{task_id}/add-field)`;
  return firestoreValueProblem(value) ?? undefined;
}

/**
 * Checks a partial update of an existing task (`current` is its stored data). Known fields are
 * validated against the schema and the project's configuration; other names set custom fields,
 * new ones included (as the spec's bulk example does), unless the name is reserved, malformed or
 * looks like a typo of a task field. Returns the normalised changes, or every problem.
 */
export function checkTaskUpdate(updates: Record<string, unknown>, config: ProjectTaskConfig, current: Record<string, unknown>): Checked<Record<string, unknown>> {
  const problems: TaskProblem[] = [];
  const known: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(updates)) {
    const refused = refusedUpdateField(field);
    if (refused) problems.push({ field, issue: refused });
    // Own properties only: `constructor` or `toString` must not match what every object inherits.
    else if (Object.hasOwn(mutableTaskFields, field)) known[field] = value;
    else {
      const problem = Object.hasOwn(current, field) ? firestoreValueProblem(value) : newCustomFieldProblem(field, value);
      if (problem) problems.push({ field, issue: problem });
      else custom[field] = value;
    }
  }
  if (Object.keys(updates).length === 0) problems.push({ field: 'updates', issue: 'Give at least one field to change' });

  const parsed = taskUpdateSchema.safeParse(known);
  if (!parsed.success) problems.push(...zodProblems(parsed.error.issues));
  const { problems: configProblems, values } = checkConfigured(known, config, ['milestone', 'priority']);
  problems.push(...configProblems);
  if (!parsed.success || problems.length) return { ok: false, problems };

  const changes: Record<string, unknown> = { ...custom };
  for (const field of Object.keys(known) as MutableTaskField[]) changes[field] = (parsed.data as Record<string, unknown>)[field];
  if (values.priority !== undefined) changes.priority = values.priority;
  if (values.milestone !== undefined) changes.milestone = values.milestone;
  return { ok: true, value: changes };
}

/**
 * Every field name a custom field may not take: the task's own, the server's, the derived ones, and
 * what every object inherits (Firestore's update() cannot write a field named `constructor`).
 */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set([...IDENTITY_FIELDS, ...Object.keys(mutableTaskFields), ...SERVER_FIELDS, ...INDEX_FIELDS, ...Object.getOwnPropertyNames(Object.prototype)]);

/**
 * Checks the names and values of custom fields to add to a task. `collisions` lists names the task
 * already carries as custom fields (change those with PATCH); `problems` everything else.
 */
export function checkNewFields(fields: Record<string, unknown>, current: Record<string, unknown>): { problems: TaskProblem[]; collisions: TaskProblem[] } {
  const problems: TaskProblem[] = [];
  const collisions: TaskProblem[] = [];
  for (const [field, value] of Object.entries(fields)) {
    const name = customFieldNameSchema.safeParse(field);
    if (!name.success) problems.push({ field, issue: name.error.issues[0]!.message });
    else if (RESERVED_FIELD_NAMES.has(field)) problems.push({ field, issue: `${field} is a task field or reserved; custom fields need another name` });
    else if (Object.hasOwn(current, field)) collisions.push({ field, issue: `The task already has a field ${field}; change it with PATCH /tasks/{task_id}` });
    else {
      const valueProblem = firestoreValueProblem(value);
      if (valueProblem) problems.push({ field, issue: valueProblem });
    }
  }
  return { problems, collisions };
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

