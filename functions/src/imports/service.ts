// CSV import rules: who may import (project `write`), who may see a job (project `read`), the
// sync import (bounded by a row threshold) and the async job (file to Storage, job document).
import type { Request } from 'express';
import { AccessControl } from '../auth/access.js';
import type { Caller } from '../auth/caller.js';
import type { AppDeps } from '../config/deps.js';
import { ApiError, notFound, validationError } from '../http/errors.js';
import { readMultipart, type MultipartFile } from '../http/multipart.js';
import { parseOrThrow } from '../http/validate.js';
import { docToJson } from '../lib/serialize.js';
import { openCsv } from './csv.js';
import { requestNamingStyle } from './padding.js';
import { ImportInterrupted, importableProject, runImport } from './processor.js';
import { asyncImportForm, csvImportJobSchema, importForm, type CsvImportJob, type ImportReport } from './schemas.js';
import { ImportJobStore } from './store.js';
import type { z } from 'zod';

export class ImportService {
  private readonly jobs: ImportJobStore;

  constructor(
    private readonly deps: AppDeps,
    private readonly access: AccessControl,
  ) {
    this.jobs = new ImportJobStore(deps.db, deps.bucket);
  }

  /** Reads the form, checks its fields, the caller's `write` permission and the project. */
  private async readImportForm<S extends z.ZodType>(caller: Caller, req: Request, schema: S): Promise<{ fields: z.output<S>; file: MultipartFile }> {
    const form = await readMultipart(req, { maxFileBytes: this.deps.config.csvImportMaxBytes, maxFields: 10 });
    if ('file' in form.fields) throw validationError('file must be sent as a file part, not a text field', { field: 'file', issue: 'not a file' });
    const fields = parseOrThrow(schema, form.fields, 'body') as z.output<S> & { project_id: string };
    const file = form.files.find((f) => f.field === 'file');
    if (!file) throw validationError('file is required: send the CSV as the multipart file field "file"', { field: 'file', issue: 'required' });
    await this.access.require(caller, fields.project_id, 'write');
    await importableProject(this.deps.db, fields.project_id);
    return { fields, file };
  }

  /** POST /tasks/import-csv: checks, previews and (unless validate_only) imports in the request. */
  async importNow(caller: Caller, req: Request): Promise<ImportReport> {
    const { fields, file } = await this.readImportForm(caller, req, importForm);
    const maxRows = this.deps.config.csvSyncMaxRows;
    try {
      return await runImport(this.deps.db, () => [file.data], {
        projectId: fields.project_id,
        actor: caller.uid,
        existing: fields.existing,
        validateOnly: fields.validate_only,
        namingStyle: fields.naming_pattern === undefined ? undefined : requestNamingStyle(fields.naming_pattern),
        maxRows,
        maxListed: maxRows,
      });
    } catch (err) {
      if (err instanceof ImportInterrupted) {
        throw new ApiError('UNAVAILABLE', `${err.message}. Importing the file again with existing=skip or existing=update finishes it safely`, err.report);
      }
      throw err;
    }
  }

  /**
   * POST /tasks/import-csv-async: a file refused as a whole (not CSV, empty, missing columns) is
   * told at once; otherwise it goes to Storage and a pending job is created for the trigger.
   */
  async startJob(caller: Caller, req: Request): Promise<{ job_id: string }> {
    const { fields, file } = await this.readImportForm(caller, req, asyncImportForm);
    if (fields.naming_pattern !== undefined) requestNamingStyle(fields.naming_pattern);
    const opened = await openCsv([file.data]);
    opened.close();

    const jobId = this.jobs.newId();
    const key = await this.jobs.saveSource(jobId, file.data, { project_id: fields.project_id, job_id: jobId, uploaded_by: caller.uid });
    await this.jobs.create(
      jobId,
      {
        project_id: fields.project_id,
        created_by: caller.uid,
        existing: fields.existing,
        naming_pattern: fields.naming_pattern ?? null,
        file_name: file.fileName,
        size_bytes: file.data.length,
      },
      key,
    );
    return { job_id: jobId };
  }

  /** GET /tasks/import-status/{job_id}: readers of the job's project only (others are told it does not exist). */
  async status(caller: Caller, jobId: string): Promise<CsvImportJob> {
    const snap = await this.jobs.get(jobId);
    if (!snap) throw notFound(`Import job ${jobId}`);
    await this.access.require(caller, snap.get('project_id') as string, 'read', `Import job ${jobId}`);
    return csvImportJobSchema.parse(docToJson(snap));
  }
}
