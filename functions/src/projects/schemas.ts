// Project shapes: the one source for validation, response types and the OpenAPI document. Checks of
// the path configuration as a whole (placeholders, drives a template needs) live in the Path Builder.
import { z } from 'zod';
import { paginationQuery, pageSchema } from '../http/pagination.js';
import { booleanParam, listParam, textParam } from '../http/query.js';
import { projectIdSchema } from '../lib/ids.js';
import { TASK_STATUSES } from '../tasks/schemas.js';
import { DRIVE_KEYS, NAME_PATTERN, VALUE_PATTERN, VALUE_RULE, VERSION_PATTERN, type DriveKey } from '../paths/placeholders.js';

export const PROJECT_STATUSES = ['active', 'completed', 'archived'] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];
/** Entries a project's templates, patterns or path segments may hold. */
export const MAX_CONFIG_ENTRIES = 50;

export const projectParams = z.strictObject({ project_id: projectIdSchema });

const configName = (what: string) =>
  z.string().regex(NAME_PATTERN, `${what} names are lower-case letters, digits and _, starting with a letter (at most 64)`);

/** Drive roots: `V:`, `V:\`, `/mnt/projects`, `\\server\share`. */
const driveRoot = z
  .string()
  .trim()
  .min(1, 'A drive may not be empty')
  .max(200, 'A drive is at most 200 characters')
  .regex(/^[^{}\p{Cc}]*$/u, 'A drive may not contain braces or control characters');

const segmentValue = z
  .string()
  .trim()
  .max(200, 'A path segment is at most 200 characters')
  .regex(/^[^{}\p{Cc}:]*$/u, 'A path segment may not contain braces, : or control characters');

/** A non-empty line of text without control characters, `what` naming it in the messages. */
const lineOf = (what: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, `${what} may not be empty`)
    .max(max, `${what} is at most ${max} characters`)
    .regex(/^[^\p{Cc}]*$/u, `${what} may not contain control characters`);

const templateText = lineOf('A template', 500);
const patternText = lineOf('A filename pattern', 200);

const namedMap = <V extends z.ZodType>(what: string, value: V) =>
  z.record(configName(what), value).refine((m) => Object.keys(m).length <= MAX_CONFIG_ENTRIES, `At most ${MAX_CONFIG_ENTRIES} ${what}s`);

/** Task types, milestones and priority levels become task values and path parts: plain names. */
const configList = (field: string) =>
  z
    .array(z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, `${field} entries are letters, digits, _ and -, starting with a letter or digit (at most 64)`))
    .min(1, `${field} needs at least one entry`)
    .max(MAX_CONFIG_ENTRIES, `${field} has at most ${MAX_CONFIG_ENTRIES} entries`)
    .refine((list) => new Set(list.map((v) => v.toLowerCase())).size === list.length, `${field} entries must be unique (in any case)`);

const driveShape = Object.fromEntries(DRIVE_KEYS.map((k) => [k, driveRoot.optional()])) as Record<DriveKey, z.ZodOptional<typeof driveRoot>>;
const drivePatchShape = Object.fromEntries(DRIVE_KEYS.map((k) => [k, driveRoot.nullable().optional()])) as Record<DriveKey, z.ZodOptional<z.ZodNullable<typeof driveRoot>>>;

/** Task statuses in which an upstream task no longer blocks the tasks that depend on it (archived tasks never block). */
const DONE_CANDIDATES = TASK_STATUSES.filter((s) => s !== 'archived');
const dependencyDoneStatuses = z
  .array(z.enum(DONE_CANDIDATES, { message: `dependency_done_statuses entries must be task statuses: ${DONE_CANDIDATES.join(', ')}` }))
  .min(1, 'dependency_done_statuses needs at least one status')
  .refine((list) => new Set(list).size === list.length, 'dependency_done_statuses lists a status more than once')
  .describe('Task statuses in which an upstream task no longer blocks its dependents; default approved, completed');

const allowSelfReview = z.boolean().describe('Whether a reviewer may approve or reject media they uploaded themselves; false when absent');

const projectName = z.string().trim().min(1, 'name is required').max(200, 'name is at most 200 characters');
const projectDescription = z.string().trim().max(2000, 'description is at most 2000 characters');

export const projectCreateBody = z.strictObject({
  id: projectIdSchema,
  name: projectName,
  description: projectDescription.default(''),
  status: z.enum(['active', 'completed']).default('active'),
  drive_mapping: z.strictObject(driveShape).default({}),
  path_segments: namedMap('path segment', segmentValue).default({}),
  templates: namedMap('template', templateText).default({}),
  filename_patterns: namedMap('filename pattern', patternText).default({}),
  task_types: configList('task_types').optional().describe("Defaults to the spec's list"),
  milestones: configList('milestones').optional().describe("Defaults to the spec's list"),
  priority_levels: configList('priority_levels').optional().describe("Lowest first; defaults to the spec's list"),
  allow_self_review: allowSelfReview.optional(),
  dependency_done_statuses: dependencyDoneStatuses.optional(),
});
export type ProjectCreateInput = z.output<typeof projectCreateBody>;

/**
 * A partial update. Nested maps merge into the stored ones key by key; a key set to null is removed
 * (JSON merge patch). Lists replace the stored list.
 */
export const projectPatchBody = z
  .strictObject({
    name: projectName.optional(),
    description: projectDescription.optional(),
    status: z.enum(PROJECT_STATUSES).optional(),
    drive_mapping: z.strictObject(drivePatchShape).optional(),
    path_segments: namedMap('path segment', segmentValue.nullable()).optional(),
    templates: namedMap('template', templateText.nullable()).optional(),
    filename_patterns: namedMap('filename pattern', patternText.nullable()).optional(),
    task_types: configList('task_types').optional(),
    milestones: configList('milestones').optional(),
    priority_levels: configList('priority_levels').optional(),
    allow_self_review: allowSelfReview.optional(),
    dependency_done_statuses: dependencyDoneStatuses.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'Give at least one field to change');
export type ProjectPatchInput = z.output<typeof projectPatchBody>;

export const projectListQuery = z.strictObject({
  ...paginationQuery,
  search: textParam(100).optional().describe('Words at the start of words in the name or description (or the id), any case'),
  status: listParam(z.enum(PROJECT_STATUSES)).optional().describe('active, archived, completed; several comma-separated'),
  include_archived: booleanParam.default(false).describe('Include archived projects when no status is given'),
});
export type ProjectListQuery = z.output<typeof projectListQuery>;

export const projectResponse = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  status: z.enum(PROJECT_STATUSES),
  drive_mapping: z.record(z.string(), z.string()),
  path_segments: z.record(z.string(), z.string()),
  templates: z.record(z.string(), z.string()),
  filename_patterns: z.record(z.string(), z.string()),
  task_types: z.array(z.string()),
  milestones: z.array(z.string()),
  priority_levels: z.array(z.string()),
  allow_self_review: allowSelfReview.optional(),
  dependency_done_statuses: dependencyDoneStatuses.optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  created_by: z.string().optional(),
  updated_by: z.string().optional(),
  archived_at: z.string().optional(),
  archived_by: z.string().optional(),
});

export const projectPage = pageSchema(projectResponse);

export const projectStatsResponse = z.object({
  project_id: z.string(),
  total_tasks: z.number().int().describe('Tasks not archived'),
  tasks_by_status: z.record(z.string(), z.number().int()).describe('Every task status except archived'),
  tasks_by_type: z.record(z.string(), z.number().int()).describe("Every one of the project's task types"),
  total_media_files: z.number().int().describe('Media records that finished uploading and are not archived'),
  total_storage_size: z.string().describe('Human-readable, 1024-based: 2.5TB'),
  total_storage_bytes: z.number().int().describe('Bytes in Storage for the project, archived media included'),
  active_artists: z.number().int().describe('Distinct artists with a task in progress, pending review or needing revision'),
  completion_percentage: z.number().describe('Completed or approved tasks per 100 tasks, one decimal'),
});

const value = (field: string) => z.string().regex(VALUE_PATTERN, `${field} must be ${VALUE_RULE}`).refine((v) => !v.includes('..'), `${field} may not contain ..`);

export const directoryStructureBody = z.strictObject({
  episodes: z.array(value('episodes[]')).min(1, 'Give at least one episode').max(50),
  sequences: z.array(value('sequences[]')).max(200).default([]),
  shots: z.array(value('shots[]')).max(500).default([]),
  task_types: z.array(z.string().trim().min(1).max(64)).max(MAX_CONFIG_ENTRIES).optional().describe("Defaults to the project's task types"),
  templates: z.array(configName('template')).min(1).max(MAX_CONFIG_ENTRIES).optional().describe("Defaults to every template of the project"),
  version: z.union([z.number().int().min(0).max(99999), z.string().regex(VERSION_PATTERN, 'version must be 3, "003" or "v003"')]).optional(),
});
export type DirectoryStructureInput = z.output<typeof directoryStructureBody>;

export const directoryOperationResponse = z.object({
  id: z.string(),
  project_id: z.string(),
  operation: z.literal('create_structure'),
  status: z.enum(['pending', 'completed', 'failed']),
  request: z.record(z.string(), z.unknown()),
  directory_count: z.number().int(),
  directories: z.array(z.string()),
  created_by: z.string(),
  created_at: z.string().optional(),
});
