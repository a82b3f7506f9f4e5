// CSV import rules: who may import (project `write`), who may see a job (project `read`), the
// sync import (bounded by a row threshold) and the async job (file to Storage, job document).
import type { DocumentSnapshot } from 'firebase-admin/firestore';
import type { Caller } from '../auth/caller.js';
import { ApiError, notFound } from '../http/errors.js';
import { docToJson } from '../lib/serialize.js';
import { openCsv } from './csv.js';
import { requestNamingStyle } from './padding.js';
import { ImportInterrupted, importableProject, runImport } from './processor.js';
import { csvImportJobSchema, type AsyncImportForm, type CsvImportJob, type ImportForm, type ImportReport } from './schemas.js';
import { ImportJobStore } from './store.js';
import { DomainService } from '../lib/domain-service.js';

/** The CSV file of an import request. */
export interface CsvFile {
  fileName: string;
  data: Buffer;
}

export class ImportService extends DomainService {
  private readonly jobs = new ImportJobStore(this.deps.db, this.deps);

  /** The caller needs `write` on the project, and the project must take imports. */
  private async checkImporter(caller: Caller, projectId: string): Promise<DocumentSnapshot> {
    await this.access.require(caller, projectId, 'write');
    return importableProject(this.deps.db, projectId);
  }

  /** POST /tasks/import-csv: checks, previews and (unless validate_only) imports in the request. */
  async importNow(caller: Caller, fields: ImportForm, file: CsvFile): Promise<ImportReport> {
    const project = await this.checkImporter(caller, fields.project_id);
    const maxRows = this.deps.config.csvSyncMaxRows;
    try {
      return await runImport(this.deps.db, () => [file.data], {
        projectId: fields.project_id,
        project,
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
  async startJob(caller: Caller, fields: AsyncImportForm, file: CsvFile): Promise<{ job_id: string }> {
    await this.checkImporter(caller, fields.project_id);
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
