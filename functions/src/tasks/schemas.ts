// Task shapes: the one source for validation, response types and the OpenAPI document. Checks that
// need the project's configuration (task types, milestones, priority levels) live in validation.ts.
import { z } from 'zod';
import { paginationQuery, pageSchema } from '../http/pagination.js';
import { booleanParam, listParam, textParam } from '../http/query.js';
import { firestoreValueProblem } from '../lib/firestore-value.js';
import { docIdSchema, projectIdSchema, taskProjectParam } from '../lib/ids.js';
import { dependsOnSchema } from './dependencies.js';

export const TASK_STATUSES = ['not_started', 'in_progress', 'pending_review', 'needs_revision', 'approved', 'completed', 'on_hold', 'archived'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TASK_KINDS = ['shot', 'asset'] as const;
export const SORT_FIELDS = ['created_at', 'updated_at', 'priority', 'deadline'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export const BULK_OPERATIONS = ['update', 'update_status', 'assign_artist', 'set_priority', 'set_milestone', 'archive'] as const;
export type BulkOperation = (typeof BULK_OPERATIONS)[number];
/** Most tasks one bulk call may change (the spec's limit). */
export const MAX_BULK = 500;

export const taskIdSchema = docIdSchema('Task');

/**
 * Episode, sequence and shot become parts of the task id (`ep00_sq0010_sh0020_comp`), so they may
 * not contain `_`: that keeps the first three parts of an id unambiguous.
 */
const segment = (field: string) =>
  z
    .string({ message: `${field} must be a string` })
    .trim()
    .min(1, `${field} is required`)
    .max(64, `${field} is at most 64 characters`)
    .regex(/^[\p{L}\p{N}][\p{L}\p{N}-]*$/u, `${field} may only contain letters, digits and - (e.g. Ep00, sq0010, SH0020)`);

/** A value that must also be one of the project's configured names (checked in validation.ts). */
const configName = (field: string) =>
  z
    .string({ message: `${field} must be a string` })
    .trim()
    .min(1, `${field} is required`)
    .max(64, `${field} is at most 64 characters`)
    .regex(/^[\p{L}\p{N}][\p{L}\p{N}_-]*$/u, `${field} may only contain letters, digits, _ and -`);

export const versionSchema = z.string({ message: 'Expected a version like v001' }).regex(/^v\d{3,}$/, 'Expected a version like v001 (v followed by at least three digits)');

const isoDate = (field: string) =>
  z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: `${field} must be an ISO date (2025-09-01) or date-time with zone (2025-09-01T10:00:00Z)`,
  });

export const frameRangeSchema = z
  .strictObject({
    start: z.number({ message: 'frame_range.start must be a number' }).int('frame_range.start must be a whole number'),
    end: z.number({ message: 'frame_range.end must be a number' }).int('frame_range.end must be a whole number'),
  })
  .refine((r) => r.start < r.end, 'frame_range.start must be less than frame_range.end');

/** Submission history is free-form JSON: each entry must be storable, the whole well inside a document. */
const MAX_HISTORY_BYTES = 512 * 1024;
const storableEntry = (entry: Record<string, unknown>, ctx: z.core.$RefinementCtx<Record<string, unknown>>) => {
  const problem = firestoreValueProblem(entry);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};
const path = (field: string) => z.string({ message: `${field} must be a string` }).max(1024, `${field} is at most 1024 characters`);

/** Fields a client may set on a task after creation (identity fields excluded: they make the id). */
export const mutableTaskFields = {
  type: z.enum(TASK_KINDS, { message: "type must be 'shot' or 'asset'" }),
  name: z.string({ message: 'name must be a string' }).trim().max(200, 'name is at most 200 characters'),
  description: z.string({ message: 'description must be a string' }).max(5000, 'description is at most 5000 characters'),
  artist: z.string({ message: 'artist must be a string' }).trim().min(1, 'artist is required').max(100, 'artist is at most 100 characters'),
  status: z.enum(TASK_STATUSES, { message: `status must be one of ${TASK_STATUSES.join(', ')}` }),
  priority: configName('priority'),
  milestone: configName('milestone'),
  milestone_note: z.string({ message: 'milestone_note must be a string' }).max(2000, 'milestone_note is at most 2000 characters'),
  frame_range: frameRangeSchema.nullable(),
  start_time: isoDate('start_time').nullable(),
  deadline: isoDate('deadline').nullable(),
  estimated_duration_hours: z.number({ message: 'estimated_duration_hours must be a number' }).min(0, 'estimated_duration_hours may not be negative').max(100_000),
  actual_time_logged: z.number({ message: 'actual_time_logged must be a number' }).min(0, 'actual_time_logged may not be negative').max(1_000_000),
  versions: z.array(versionSchema).max(1000, 'versions holds at most 1000 entries'),
  current_version: versionSchema,
  published_version: versionSchema,
  file_extension: z.string({ message: 'file_extension must be a string' }).regex(/^(\.[A-Za-z0-9]{1,15})?$/, 'file_extension must look like .nk or .ma'),
  master_file: z.boolean({ message: 'master_file must be true or false' }),
  working_file_path: path('working_file_path'),
  render_output_path: path('render_output_path'),
  media_file_path: path('media_file_path'),
  cache_file_path: path('cache_file_path'),
  filename: path('filename'),
  episode_clean: z.string().max(64),
  sequence_clean: z.string().max(64),
  shot_clean: z.string().max(64),
  client_submission_history: z
    .array(z.record(z.string(), z.unknown()).superRefine(storableEntry))
    .max(1000, 'client_submission_history holds at most 1000 entries')
    .refine((h) => Buffer.byteLength(JSON.stringify(h)) <= MAX_HISTORY_BYTES, `client_submission_history is at most ${MAX_HISTORY_BYTES / 1024} KiB`),
  depends_on: dependsOnSchema,
};
export type MutableTaskField = keyof typeof mutableTaskFields;

/** The fields that make a task's id; fixed once the task exists. */
export const IDENTITY_FIELDS = ['id', 'project', 'project_id', 'episode', 'sequence', 'shot', 'task'] as const;

/**
 * A new task (POST /tasks, and each CSV row once the importer has mapped its columns). `project`
 * is the spec's older name for `project_id`; either may be given.
 */
export const taskCreateSchema = z
  .strictObject({
    id: taskIdSchema.optional().describe('Defaults to {episode}_{sequence}_{shot}_{task} lower-cased'),
    project_id: projectIdSchema.optional(),
    project: projectIdSchema.optional().describe('Older name for project_id'),
    episode: segment('episode'),
    sequence: segment('sequence'),
    shot: segment('shot'),
    task: configName('task').describe("One of the project's task_types"),
    ...Object.fromEntries(Object.entries(mutableTaskFields).map(([k, s]) => [k, s.optional()])),
  } as { [K in MutableTaskField]: z.ZodOptional<(typeof mutableTaskFields)[K]> } & {
    id: z.ZodOptional<typeof taskIdSchema>;
    project_id: z.ZodOptional<typeof projectIdSchema>;
    project: z.ZodOptional<typeof projectIdSchema>;
    episode: ReturnType<typeof segment>;
    sequence: ReturnType<typeof segment>;
    shot: ReturnType<typeof segment>;
    task: ReturnType<typeof configName>;
  })
  .refine((t) => t.project_id !== undefined || t.project !== undefined, { message: 'project_id is required', path: ['project_id'] })
  .refine((t) => t.project_id === undefined || t.project === undefined || t.project_id === t.project, {
    message: 'project and project_id name different projects',
    path: ['project'],
  });
export type TaskCreateInput = z.input<typeof taskCreateSchema>;
export type TaskCreateData = z.output<typeof taskCreateSchema>;

/**
 * A change to a task. Known fields are checked here; other names set custom fields (validation.ts), new
 * ones unless reserved, malformed or a likely typo of a task field.
 */
export const taskUpdateSchema = z
  .looseObject(Object.fromEntries(Object.entries(mutableTaskFields).map(([k, s]) => [k, s.optional()])) as { [K in MutableTaskField]: z.ZodOptional<(typeof mutableTaskFields)[K]> })
  .describe('Any of the task fields, plus custom fields: existing ones change, new ones are added (names start with a letter and hold letters, digits and _; not reserved, and not a likely typo of a task field such as "priorty")');
export type TaskUpdateData = z.output<typeof taskUpdateSchema>;

export const taskParams = z.strictObject({ task_id: taskIdSchema });

/** The query of the routes that name one task by id. */
export const taskTargetQuery = z.strictObject({ project_id: taskProjectParam });

/** Custom field names: plain identifiers, so they are safe as Firestore field paths. */
export const customFieldNameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'Field names start with a letter and hold only letters, digits and _ (at most 64)');

/** POST /tasks/{task_id}/add-field: new custom fields and their values (any JSON). */
export const addFieldBody = z
  .record(z.string(), z.json())
  .describe('Field name → value. Names start with a letter and hold letters, digits and _; they may not be task fields, reserved, or fields the task already has')
  .refine((r) => Object.keys(r).length > 0, 'Give at least one field')
  .refine((r) => Object.keys(r).length <= 50, 'At most 50 fields per call');

const sortParam = z.enum(SORT_FIELDS, { message: `sort must be one of ${SORT_FIELDS.join(', ')}` });
const filterValue = (max: number) => z.string().max(max, `Filter values are at most ${max} characters`);

export const taskListQuery = z.strictObject({
  ...paginationQuery,
  project_id: listParam(projectIdSchema).optional().describe('Project id(s), comma-separated or repeated'),
  episode: listParam(filterValue(64)).optional().describe('Episode(s), any case: ep00 matches Ep00'),
  sequence: listParam(filterValue(64)).optional().describe('Sequence(s), any case'),
  shot: listParam(filterValue(64)).optional().describe('Shot(s), any case'),
  task_type: listParam(filterValue(64)).optional().describe('Task type(s) (the task field), any case'),
  artist: listParam(filterValue(100)).optional().describe('Assigned artist(s), any case'),
  status: listParam(z.enum(TASK_STATUSES, { message: `status must be one of ${TASK_STATUSES.join(', ')}` })).optional().describe('Status(es)'),
  priority: listParam(filterValue(64)).optional().describe('Priority level(s), any case'),
  search: textParam(100).pipe(z.string().min(2, 'search needs at least 2 characters')).optional()
    .describe('Case-insensitive: a word of the task name or description starting with this, or a run of words of the id or name (sq0010_sh0020)'),
  sort: sortParam.default('created_at').describe("Sort field; priority follows the project's priority order"),
  order: z.enum(['asc', 'desc'], { message: 'order must be asc or desc' }).default('desc'),
  include_archived: booleanParam.default(false).describe('Include archived tasks'),
  ready: booleanParam.optional().describe('true: only tasks ready to start (not_started, nothing they depend on pending); false: the others'),
  blocked: booleanParam.optional().describe('true: only tasks waiting for a pending upstream task; false: the others'),
});
export type TaskListQuery = z.output<typeof taskListQuery>;

const bulkItem = z.strictObject({
  task_id: z.string({ message: 'task_id must be a string' }).min(1, 'task_id is required').max(300),
  updates: z.record(z.string(), z.unknown()).refine((u) => Object.keys(u).length > 0, 'updates may not be empty'),
});
export const bulkItems = z.array(bulkItem).min(1, 'Give at least one task').max(MAX_BULK, `At most ${MAX_BULK} tasks per call`);
export const bulkUpdateObject = z.strictObject({ atomic: z.boolean().default(false), updates: bulkItems });

/** PATCH /tasks/bulk-update: the spec's bare array, or `{atomic, updates}` to choose all-or-nothing. */
export const bulkUpdateBody = z.union([bulkItems, bulkUpdateObject]);

/** POST /tasks/bulk: the spec's legacy format. */
export const legacyBulkBody = z.strictObject({
  task_ids: z.array(z.string().min(1).max(300)).min(1, 'Give at least one task id').max(MAX_BULK, `At most ${MAX_BULK} tasks per call`),
  operation: z.enum(BULK_OPERATIONS, { message: `operation must be one of ${BULK_OPERATIONS.join(', ')}` }),
  data: z.record(z.string(), z.unknown()).default({}),
  atomic: z.boolean().default(false),
});

export const bulkErrorSchema = z.object({ task_id: z.string(), error: z.string() });

export const bulkUpdateResponse = z.object({
  message: z.string(),
  updated_count: z.number().int(),
  failed_count: z.number().int(),
  updated_tasks: z.array(z.string()),
  errors: z.array(bulkErrorSchema),
});

export const legacyBulkResponse = z.object({
  successful: z.number().int(),
  failed: z.number().int(),
  errors: z.array(bulkErrorSchema),
  updated_tasks: z.array(z.string()),
});

/** A task as the API returns it (the spec's stored shape, plus custom fields). */
export const taskResponse = z.looseObject({
  id: z.string(),
  project: z.string(),
  project_id: z.string(),
  episode: z.string(),
  sequence: z.string(),
  shot: z.string(),
  task: z.string(),
  ...mutableTaskFields,
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
  created_by: z.string().nullable(),
  updated_by: z.string().nullable(),
  bulk_id: z.string().nullable().describe('Feed event id of the bulk call or import that last wrote this task (task-keys-migration: moved by the key migration, unchanged since), else null'),
  blocked_by: z.array(z.string()).describe('Derived: the tasks of depends_on still pending (not in one of the project\'s dependency_done_statuses, not archived)'),
  blocked: z.boolean().describe('Derived: blocked_by is not empty'),
  ready: z.boolean().describe('Derived: status not_started and nothing blocking'),
});

export const taskPage = pageSchema(taskResponse);
