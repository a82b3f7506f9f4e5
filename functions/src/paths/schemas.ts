// Path Builder request and response shapes. Value rules come from the builder itself so the API and
// the pure module can never disagree on what a usable episode, version or frame is.
import { z } from 'zod';
import { textParam } from '../http/query.js';
import { docIdSchema, projectIdSchema } from '../lib/ids.js';
import { EXT_PATTERN, FRAME_TOKEN_PATTERN, NAME_PATTERN, VALUE_PATTERN, VALUE_RULE, VERSION_PATTERN } from './placeholders.js';

/** Most tasks one generate-batch call may carry. */
export const MAX_BATCH = 500;

const value = (field: string) =>
  z
    .string({ message: `${field} must be a string` })
    .regex(VALUE_PATTERN, `${field} must be ${VALUE_RULE}`)
    .refine((v) => !v.includes('..'), `${field} may not contain ..`);

const configName = (field: string) => z.string().regex(NAME_PATTERN, `${field} is a template or pattern name: lower-case letters, digits and _`);

const taskDataShape = {
  episode: value('episode').optional(),
  sequence: value('sequence').optional(),
  shot: value('shot').optional(),
  task: value('task').optional(),
  artist: value('artist').optional(),
  version: z
    .union([z.number().int().min(0).max(99999), z.string().regex(VERSION_PATTERN)], { message: 'version must be a number 0-99999, "003" or "v003"' })
    .optional(),
  frame: z
    .union([z.number().int().min(0).max(99_999_999), z.string().regex(/^\d{1,8}$/), z.string().regex(FRAME_TOKEN_PATTERN)], {
      message: 'frame must be a whole number or a token such as #### or %04d',
    })
    .optional(),
  frame_padding: z.number().int().min(1).max(10).optional().describe('Digits a numeric frame is padded to (default 4)'),
  ext: z.string().regex(EXT_PATTERN, 'ext must be 1-10 letters or digits, e.g. exr').optional(),
  filename: value('filename').optional().describe('A literal file name for templates with {filename} when no filename_pattern is given'),
};

export const taskDataSchema = z.strictObject(taskDataShape);

export const generateBody = z.strictObject({
  project_id: projectIdSchema,
  template_type: configName('template_type'),
  task_data: taskDataSchema,
  filename_pattern: configName('filename_pattern').optional(),
});
export type GenerateInput = z.output<typeof generateBody>;

export const generateResponse = z.object({
  generated_path: z.string(),
  components: z.record(z.string(), z.string()).describe('drive, project, each task placeholder used (version as v003), filename'),
  template_used: z.string(),
  pattern_used: z.string().nullable(),
});

export const generateBatchBody = z.strictObject({
  project_id: projectIdSchema,
  template_type: configName('template_type'),
  filename_pattern: configName('filename_pattern').optional(),
  tasks: z
    .array(z.strictObject({ ...taskDataShape, task_id: docIdSchema('Task').optional().describe('Echoed back with the result') }))
    .min(1, 'Give at least one task')
    .max(MAX_BATCH, `At most ${MAX_BATCH} tasks per call`),
});
export type GenerateBatchInput = z.output<typeof generateBatchBody>;

const batchError = z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() });

export const generateBatchResponse = z.object({
  project_id: z.string(),
  template_used: z.string(),
  pattern_used: z.string().nullable(),
  total: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  results: z.array(
    z.object({
      index: z.number().int(),
      task_id: z.string().optional(),
      generated_path: z.string().optional(),
      components: z.record(z.string(), z.string()).optional(),
      error: batchError.optional(),
    }),
  ),
});

export const validateQuery = z.strictObject({
  path: textParam(1024).describe('The path to check; backslashes and doubled separators are normalized'),
  project_id: projectIdSchema,
});

export const validateResponse = z.object({
  valid: z.boolean(),
  path: z.string().describe('The normalized path'),
  project_id: z.string(),
  template_used: z.string().nullable(),
  pattern_used: z.string().nullable(),
  components: z.record(z.string(), z.string()).nullable(),
  message: z.string().nullable().describe('Why the path is not valid'),
  mismatch: z
    .object({
      template: z.string(),
      pattern: z.string().nullable(),
      position: z.number().int().describe('Characters of the path that matched'),
      matched: z.string(),
      expected: z.string(),
      found: z.string(),
    })
    .nullable()
    .describe('The template (and pattern) that matched furthest, and where it stopped'),
});
