// The async import: runs when an `import_jobs/{jobId}` document is created (index.ts wires the
// Firestore trigger; tests call this handler with a CloudEvent). Progress goes to the job document
// at least every 5% of the rows or every 2 seconds, whichever comes first.
import * as logger from 'firebase-functions/logger';
import type { AppDeps } from '../config/deps.js';
import { ApiError } from '../http/errors.js';
import { ImportInterrupted, runImport } from './processor.js';
import { parseNamingPattern } from './padding.js';
import type { ImportReport } from './schemas.js';
import { ImportJobStore, percentOf } from './store.js';

/** The part of the Firestore CloudEvent the handler reads. */
export interface ImportJobEvent {
  id?: string;
  params: { jobId: string };
}

/** Most row errors, warnings and written ranges a job document lists (it must stay under 1 MiB). */
export const JOB_MAX_LISTED = 1000;
const PROGRESS_STEP_PERCENT = 5;
const PROGRESS_INTERVAL_MS = 2000;

/** Says when progress is worth writing: once it moved 5 points, or 2 s after the last write. */
export class ProgressThrottle {
  private lastPercent = Number.NEGATIVE_INFINITY;
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly clock: () => Date) {}

  due(percent: number): boolean {
    const now = this.clock().getTime();
    if (percent - this.lastPercent < PROGRESS_STEP_PERCENT && now - this.lastAt < PROGRESS_INTERVAL_MS) return false;
    this.lastPercent = percent;
    this.lastAt = now;
    return true;
  }
}

export async function processImportJob(event: ImportJobEvent, deps: Pick<AppDeps, 'db' | 'bucket' | 'clock'>): Promise<void> {
  const jobId = event.params.jobId;
  const jobs = new ImportJobStore(deps.db, deps);
  const job = await jobs.claim(jobId, deps.clock());
  if (!job) return;

  const throttle = new ProgressThrottle(deps.clock);
  const onProgress = async (report: ImportReport) => {
    if (throttle.due(percentOf(report))) await jobs.progress(jobId, report);
  };

  try {
    const report = await runImport(
      deps.db,
      () => jobs.openSource(job.storage_key),
      {
        projectId: job.project_id,
        jobId,
        actor: job.created_by,
        existing: job.existing,
        validateOnly: false,
        namingStyle: job.naming_pattern ? parseNamingPattern(job.naming_pattern) : undefined,
        maxListed: JOB_MAX_LISTED,
        chunks: 100 / PROGRESS_STEP_PERCENT,
      },
      onProgress,
    );
    await jobs.complete(jobId, report);
  } catch (err) {
    if (err instanceof ImportInterrupted) {
      logger.error('CSV import interrupted', { jobId, error: String(err.reason) });
      await jobs.fail(jobId, `${err.message}. The rows written so far are listed in written_rows; importing the file again with existing=skip or existing=update finishes it safely`, err.report);
    } else if (err instanceof ApiError) {
      await jobs.fail(jobId, err.message, undefined);
    } else {
      logger.error('CSV import failed before writing', { jobId, error: err instanceof Error ? err.stack : String(err) });
      await jobs.fail(jobId, `The import could not start, nothing was written: ${err instanceof Error ? err.message : String(err)}`, undefined);
    }
  }
}
