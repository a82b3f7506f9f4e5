// Checking task input against what only stored data knows: the project's configuration (task
// types, milestones, priority levels) and, for a change, the task's own fields. This is the second
// step of one pipeline: the route's zod schema (schemas.ts) runs first, in the router or through
// `parseBody` here; its issues and these are reported together by http/validate.ts, all at once.
// No I/O here: the API (service.ts) and the CSV importer both build on these functions.
import { fieldIssue, invalidInput, issuesToDetails, parseBody, type BodyParse, type Issue } from '../http/validate.js';
import { firestoreValueProblem } from '../lib/firestore-value.js';
import { INDEX_FIELDS } from './indexing.js';
import { deriveTaskId, normaliseSegment } from './naming.js';
import { configured, type ProjectTaskConfig } from './project-config.js';
import { newTaskDefaults, SERVER_FIELDS, type TaskRecord } from './record.js';
import { IDENTITY_FIELDS, customFieldNameSchema, mutableTaskFields, taskCreateSchema, taskUpdateSchema, type TaskCreateData, type TaskUpdateData } from './schemas.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

/** Task input is reported field by field: one problem per field, each unknown field named. */
const PER_FIELD = { perField: true } as const;

/** The 400 for a task input's problems (`what`: task, task update, fields). */
export const invalidTask = (what: string, issues: readonly Issue[]) => invalidInput(what, issues, PER_FIELD);

/** A task input's problems as {field, issue} pairs (a bulk item's error, a CSV row's problems). */
export const taskProblems = (issues: readonly Issue[]) => issuesToDetails(issues, PER_FIELD).errors;

/** The schema's result and the stored-data problems together: the value built from the parsed input, or every problem. */
function refined<T, V>(parse: BodyParse<T>, issues: readonly Issue[], build: (data: T) => V): Checked<V> {
  if (!parse.success || issues.length) return { ok: false, issues: [...issues] };
  return { ok: true, value: build(parse.data) };
}

const fieldsOf = (input: unknown): Record<string, unknown> => (input && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {});

type ConfigField = 'task' | 'milestone' | 'priority';
const CONFIG_LISTS: Record<ConfigField, keyof ProjectTaskConfig> = { task: 'task_types', milestone: 'milestones', priority: 'priority_levels' };

/** Problems of the config-bound fields present in `input` (their shape is the schema's to check). */
function configIssues(input: Record<string, unknown>, config: ProjectTaskConfig, fields: readonly ConfigField[]): Issue[] {
  const issues: Issue[] = [];
  for (const field of fields) {
    const raw = input[field];
    if (typeof raw !== 'string' || raw.trim() === '') continue;
    const list = config[CONFIG_LISTS[field]];
    if (configured(list, raw) !== undefined) continue;
    const message = list.length ? `'${raw.trim()}' is not one of the project's ${CONFIG_LISTS[field]}: ${list.join(', ')}` : `The project has no ${CONFIG_LISTS[field]} configured`;
    issues.push(fieldIssue(field, message, raw));
  }
  return issues;
}

/** The project's spelling of a configured value the checks accepted (`HIGH` → `high`). */
const spelling = (config: ProjectTaskConfig, field: ConfigField, value: string) => configured(config[CONFIG_LISTS[field]], value)!;

// ---------------------------------------------------------------------------------------------
// New tasks

/** The problems of a new task that its project's configuration finds. */
export function newTaskIssues(input: unknown, config: ProjectTaskConfig): Issue[] {
  return configIssues(fieldsOf(input), config, ['task', 'milestone', 'priority']);
}

/** A checked new task in stored form: defaults applied, names normalised, id derived unless given. */
function newTaskRecord(data: TaskCreateData, config: ProjectTaskConfig): TaskRecord {
  const { id, project, project_id, ...fields } = data;
  const projectId = (project_id ?? project)!;
  const episode = normaliseSegment('episode', fields.episode);
  const sequence = normaliseSegment('sequence', fields.sequence);
  const shot = normaliseSegment('shot', fields.shot);
  const task = spelling(config, 'task', fields.task);
  return {
    ...newTaskDefaults(config),
    ...stripUndefined(fields),
    ...stripUndefined({ priority: fields.priority && spelling(config, 'priority', fields.priority), milestone: fields.milestone && spelling(config, 'milestone', fields.milestone) }),
    id: id ?? deriveTaskId({ episode, sequence, shot, task }),
    project: projectId,
    project_id: projectId,
    episode,
    sequence,
    shot,
    task,
  } as TaskRecord;
}

/**
 * Checks a new task (its schema's result) against its project's configuration and returns it in
 * stored form, or every problem found, each naming its field.
 */
export function checkNewTask(parse: BodyParse<TaskCreateData>, config: ProjectTaskConfig): Checked<TaskRecord> {
  return refined(parse, [...parse.issues, ...newTaskIssues(parse.input, config)], (data) => newTaskRecord(data, config));
}

/** Both steps for input that did not come through a route (a CSV row). */
export const checkNewTaskInput = (input: unknown, config: ProjectTaskConfig) => checkNewTask(parseBody(taskCreateSchema, input), config);

// ---------------------------------------------------------------------------------------------
// Changes

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
 * Checks a partial update of an existing task (its schema's result; `current` is the stored task).
 * Known fields are checked by the schema and the project's configuration; other names set custom
 * fields, new ones included (as the spec's bulk example does), unless the name is reserved,
 * malformed or looks like a typo of a task field. Returns the normalised changes, or every problem:
 * those of names first, then the schema's, then the configuration's.
 */
export function checkTaskUpdate(parse: BodyParse<TaskUpdateData>, config: ProjectTaskConfig, current: Record<string, unknown>): Checked<Record<string, unknown>> {
  const updates = fieldsOf(parse.input);
  const names: Issue[] = [];
  for (const [field, value] of Object.entries(updates)) {
    const refused = refusedUpdateField(field);
    // Own properties only: `constructor` or `toString` must not match what every object inherits.
    if (!refused && Object.hasOwn(mutableTaskFields, field)) continue;
    const problem = refused ?? (Object.hasOwn(current, field) ? firestoreValueProblem(value) : newCustomFieldProblem(field, value));
    if (problem) names.push(fieldIssue(field, problem, value));
  }
  if (Object.keys(updates).length === 0) names.push(fieldIssue('updates', 'Give at least one field to change'));
  return refined(parse, [...names, ...parse.issues, ...configIssues(updates, config, ['milestone', 'priority'])], (data) => {
    const changes: Record<string, unknown> = {};
    for (const field of Object.keys(updates)) changes[field] = (data as Record<string, unknown>)[field];
    if (typeof changes.priority === 'string') changes.priority = spelling(config, 'priority', changes.priority);
    if (typeof changes.milestone === 'string') changes.milestone = spelling(config, 'milestone', changes.milestone);
    return changes;
  });
}

/** Both steps for an update that did not come through a route (a bulk item). */
export const checkTaskUpdateInput = (updates: unknown, config: ProjectTaskConfig, current: Record<string, unknown>) => checkTaskUpdate(parseBody(taskUpdateSchema, updates), config, current);

/**
 * Every field name a custom field may not take: the task's own, the server's, the derived ones, and
 * what every object inherits (Firestore's update() cannot write a field named `constructor`).
 */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set([...IDENTITY_FIELDS, ...Object.keys(mutableTaskFields), ...SERVER_FIELDS, ...INDEX_FIELDS, ...Object.getOwnPropertyNames(Object.prototype)]);

/**
 * Checks the names and values of custom fields to add to a task. `collisions` lists names the task
 * already carries as custom fields (change those with PATCH); `issues` everything else.
 */
export function checkNewFields(fields: Record<string, unknown>, current: Record<string, unknown>): { issues: Issue[]; collisions: { field: string; issue: string }[] } {
  const issues: Issue[] = [];
  const collisions: { field: string; issue: string }[] = [];
  for (const [field, value] of Object.entries(fields)) {
    const name = customFieldNameSchema.safeParse(field);
    if (!name.success) issues.push(fieldIssue(field, name.error.issues[0]!.message, value));
    else if (RESERVED_FIELD_NAMES.has(field)) issues.push(fieldIssue(field, `${field} is a task field or reserved; custom fields need another name`, value));
    else if (Object.hasOwn(current, field)) collisions.push({ field, issue: `The task already has a field ${field}; change it with PATCH /tasks/{task_id}` });
    else {
      const valueProblem = firestoreValueProblem(value);
      if (valueProblem) issues.push(fieldIssue(field, valueProblem, value));
    }
  }
  return { issues, collisions };
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

