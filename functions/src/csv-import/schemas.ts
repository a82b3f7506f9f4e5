// CSV import shapes: the multipart form fields, the import report (sync response) and the spec's
// CSVImportJob (async status), the one source for validation, response types and OpenAPI.
import { z } from 'zod';
import { booleanParam } from '../http/query.js';
import { docIdSchema, projectIdSchema } from '../lib/ids.js';
import { NAMING_PATTERN_EXAMPLE } from './padding.js';

export const EXISTING_MODES = ['skip', 'update', 'fail'] as const;
export type ExistingMode = (typeof EXISTING_MODES)[number];

const formText = (max: number) => z.string({ message: 'Expected a single text value' }).trim().max(max);

const importFormFields = {
  project_id: projectIdSchema,
  naming_pattern: formText(100)
    .min(1, 'naming_pattern may not be empty')
    .optional()
    .describe(`How episode, sequence and shot are named, e.g. ${NAMING_PATTERN_EXAMPLE} (one # per digit); numbers are padded to it. Default: the project's naming_pattern, else inferred from its tasks, else from the file`),
  existing: z
    .enum(EXISTING_MODES, { message: `existing must be one of ${EXISTING_MODES.join(', ')}` })
    .default('fail')
    .describe('A row whose task already exists: skip it, update it (only the cells given; unchanged tasks are not written), or fail (report the row). Default fail'),
};

/** POST /tasks/import-csv form fields (besides the file). */
export const importForm = z.strictObject({
  ...importFormFields,
  validate_only: booleanParam.default(false).describe('true: check and preview only; nothing is written'),
});
export type ImportForm = z.output<typeof importForm>;

/** POST /tasks/import-csv-async form fields (besides the file). */
export const asyncImportForm = z.strictObject(importFormFields);
export type AsyncImportForm = z.output<typeof asyncImportForm>;

export const jobParams = z.strictObject({ job_id: docIdSchema('Import job') });

const count = z.number().int();

export const rowProblemSchema = z.object({ field: z.string().nullable().describe('The column, or null for the row as a whole'), issue: z.string() });

export const rowErrorSchema = z.object({
  row: count.describe('Spreadsheet row number (the header is row 1)'),
  error: z.string().describe('Every problem of the row, in one line'),
  problems: z.array(rowProblemSchema),
});

export const rowWarningSchema = z.object({ row: count, warning: z.string() });

export const ACTIONS = ['create', 'update', 'skip'] as const;

export const previewSchema = z.object({
  row: count,
  id: z.string(),
  episode: z.string(),
  sequence: z.string(),
  shot: z.string(),
  task: z.string(),
  action: z.enum(ACTIONS),
  changes: z.array(z.string()).describe('For an update, the fields that change'),
});

export const rowRangeSchema = z.object({ from: count, to: count });

const segmentStyleSchema = z
  .object({
    prefix: z.string().describe('Given to a bare number, e.g. sq'),
    width: count.describe('Digits numbers are padded to; 0: not padded'),
    source: z.enum(['request', 'project', 'existing_tasks', 'file']).describe('Where the style came from'),
  })
  .nullable()
  .describe('null: numbers kept as written');

const namingSchema = z.object({ episode: segmentStyleSchema, sequence: segmentStyleSchema, shot: segmentStyleSchema });

/** Counters shared by the sync report and the job. */
const counters = {
  total_rows: count.describe('Task rows in the file (blank rows not counted)'),
  processed_rows: count,
  valid_tasks: count,
  invalid_tasks: count,
  created_tasks: count,
  updated_tasks: count,
  skipped_tasks: count.describe('Rows of existing tasks left as they were (existing=skip, or unchanged with existing=update)'),
};

export const importReportSchema = z.object({
  ...counters,
  validate_only: z.boolean(),
  existing: z.enum(EXISTING_MODES),
  actions: z.object({ create: count, update: count, skip: count }).describe('What the import does (or, with validate_only, would do) with the valid rows'),
  errors: z.array(rowErrorSchema),
  errors_truncated: z.boolean().describe('More rows were invalid than listed (invalid_tasks has the count)'),
  warnings: z.array(rowWarningSchema),
  unknown_columns: z.array(z.string()).describe('Columns that fill no task field, ignored'),
  naming: namingSchema,
  preview: z.array(previewSchema).describe('The first valid rows and what happens to each'),
  written_rows: z.array(rowRangeSchema).describe('Rows whose task was created or changed, as ranges'),
  written_rows_truncated: z.boolean().describe('More ranges were written than listed'),
});
export type ImportReport = z.output<typeof importReportSchema>;

export const JOB_STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const asyncImportResponse = z.object({ job_id: z.string() });

/** The spec's CSVImportJob, plus what the import report carries. */
export const csvImportJobSchema = z.object({
  id: z.string(),
  project_id: z.string(),
  status: z.enum(JOB_STATUSES),
  progress_percent: z.number().int().min(0).max(100),
  ...counters,
  errors: z.array(rowErrorSchema),
  errors_truncated: z.boolean(),
  warnings: z.array(rowWarningSchema),
  unknown_columns: z.array(z.string()),
  written_rows: z.array(rowRangeSchema),
  written_rows_truncated: z.boolean(),
  existing: z.enum(EXISTING_MODES),
  file_name: z.string(),
  size_bytes: count,
  error: z.string().nullable().describe('Why the job failed'),
  results: importReportSchema.omit({ errors: true, warnings: true, written_rows: true, written_rows_truncated: true }).nullable().describe('The import report, once completed'),
  created_by: z.string(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});
export type CsvImportJob = z.output<typeof csvImportJobSchema>;
