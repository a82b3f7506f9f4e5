import type { z } from 'zod';
import type { AppConfig } from '../config/app-config.js';
import { defineRoute, ok } from '../http/route.js';
import type { MultipartBody } from '../http/multipart.js';
import { asyncImportForm, asyncImportResponse, csvImportJobSchema, importForm, importReportSchema, jobParams } from './schemas.js';
import type { ImportService } from './service.js';

const tags = ['Tasks'];

const fileRefusals = {
  400: { description: 'Bad form fields, or a file refused as a whole (not CSV, not UTF-8, empty, no task rows, missing required columns, broken quoting); nothing was written' },
  413: { description: 'The file is larger than CSV_IMPORT_MAX_BYTES (or, for the sync import, has more rows than CSV_SYNC_MAX_ROWS)' },
};

/** CSV import routes; they come before the `/tasks/{task_id}` routes. */
export function importRoutes(service: ImportService, config: AppConfig) {
  const csvForm = <F extends z.ZodObject>(fields: F): MultipartBody<F> => ({
    fields,
    file: {
      name: 'file',
      description: 'The CSV file (UTF-8, comma, semicolon or tab separated, with a header row)',
      missing: 'file is required: send the CSV as the multipart file field "file"',
    },
    limits: { maxFileBytes: config.csvImportMaxBytes, maxFields: 10 },
  });
  return [
    defineRoute({
      method: 'post',
      path: '/tasks/import-csv',
      summary: 'Import tasks from a CSV file in the request (validate_only: check and preview without writing)',
      description:
        'Columns are matched without case or spaces, with common aliases (EP, Seq, Task Type, Frame In/Start, Frame Out/End, ...); unknown columns are reported once. ' +
        'Each bad row is listed with its spreadsheet row number and every problem in it; the other rows are imported. Numbers are padded to the project\'s naming style ' +
        '(sh20 → sh0020). Up to CSV_SYNC_MAX_ROWS rows (default 5000); larger files go through POST /tasks/import-csv-async.',
      tags,
      multipart: csvForm(importForm),
      responses: {
        200: { description: 'The import report: the spec\'s counts, errors and preview, plus updated_tasks, skipped_tasks, warnings and what was written', schema: importReportSchema },
        ...fileRefusals,
        503: { description: 'Writing stopped part-way (details holds the report: written_rows says what was written); importing again with existing=skip or update is safe' },
      },
      handler: async ({ caller, form }) => ok(await service.importNow(caller, form.fields, form.file)),
    }),
    defineRoute({
      method: 'post',
      path: '/tasks/import-csv-async',
      summary: 'Start a background CSV import; follow it with GET /tasks/import-status/{job_id} or by listening to import_jobs/{job_id}',
      tags,
      multipart: csvForm(asyncImportForm),
      responses: { 202: { description: 'The job was created', schema: asyncImportResponse }, ...fileRefusals },
      handler: async ({ caller, form }) => ({ status: 202, body: await service.startJob(caller, form.fields, form.file) }),
    }),
    defineRoute({
      method: 'get',
      path: '/tasks/import-status/{job_id}',
      summary: "A CSV import job's status, progress, counts and row errors (the spec's CSVImportJob)",
      tags,
      params: jobParams,
      responses: { 200: { description: 'The job', schema: csvImportJobSchema }, 404: { description: 'No such job, or not in a project you can read' } },
      handler: async ({ caller, params }) => ok(await service.status(caller, params.job_id)),
    }),
  ];
}
