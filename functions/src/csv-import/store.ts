// Firestore and Storage access for CSV import jobs: `import_jobs/{job_id}` documents (the spec's
// CSVImportJob, which clients may also listen to) and the uploaded file at
// `imports/{job_id}/source.csv`; and how a chunk's tasks are written.
import { FieldValue, Timestamp, type DocumentData, type Firestore } from 'firebase-admin/firestore';
import type { Readable } from 'node:stream';
import type { Bucket } from '../config/deps.js';
import { hasCode } from '../lib/firestore-errors.js';
import { commitCreates } from '../lib/firestore-rest.js';
import { runTransaction } from '../lib/transaction.js';
import { storedChanges, storedNewTask, taskPath, taskRef, writeTasks, type TaskWrite, type TaskWriteResult } from '../tasks/store.js';
import type { ExistingMode, ImportReport, JobStatus } from './schemas.js';
import { IMPORT_JOBS } from '../lib/collections.js';
import { DocumentStore } from '../lib/document-store.js';
import { readObject } from '../lib/storage-reads.js';

export const sourceKey = (jobId: string) => `imports/${jobId}/source.csv`;

/**
 * Writes one chunk's tasks (at most 500) in one atomic commit. A chunk of new tasks (a first import)
 * is committed as JSON through Firestore's REST API (`lib/firestore-rest.ts`): the Firestore
 * client's validation and encoding were most of an import's CPU. A chunk that updates tasks is one
 * WriteBatch of the client (which encodes deletes and field masks). Either fails whole when one
 * create finds its task created, or one update finds it deleted, since the chunk was read: then
 * nothing of it was written, and the same writes go through `writeTasks`, which lands the others
 * and says which failed. Any other failure is thrown: the commit wrote nothing, or (a WriteBatch's
 * lost answer) all of it; a REST commit whose answer was lost finds out which on its retry.
 */
export async function writeChunkTasks(db: Firestore, writes: readonly TaskWrite[], options: { actor: string; bulkId: string | null }): Promise<TaskWriteResult[]> {
  if (writes.length === 0) return [];
  try {
    await commitChunk(db, writes, options);
  } catch (err) {
    if (!hasCode(err, 'ALREADY_EXISTS') && !hasCode(err, 'NOT_FOUND')) throw err;
    return writeTasks(db, writes, options);
  }
  return writes.map((w) => ({ id: w.kind === 'create' ? w.task.id : w.id, ok: true }));
}

const isCreate = (w: TaskWrite): w is Extract<TaskWrite, { kind: 'create' }> => w.kind === 'create';

async function commitChunk(db: Firestore, writes: readonly TaskWrite[], options: { actor: string; bulkId: string | null }): Promise<void> {
  if (writes.every(isCreate)) {
    return commitCreates(db, writes.map((w) => ({ path: taskPath(w.task.project_id, w.task.id), data: storedNewTask(w.task, w.config, options.actor, options.bulkId) })));
  }
  const batch = db.batch();
  for (const w of writes) {
    if (w.kind === 'create') batch.create(taskRef(db, w.task.project_id, w.task.id), storedNewTask(w.task, w.config, options.actor, options.bulkId));
    else batch.update(taskRef(db, w.projectId, w.id), storedChanges(w.current, w.changes, w.config, options.actor, options.bulkId));
  }
  await batch.commit();
}

/** A job still `processing` with no update for this long lost its run (the trigger's timeout is 9 minutes). */
export const STALE_AFTER_MS = 10 * 60 * 1000;

export interface NewJob {
  project_id: string;
  created_by: string;
  existing: ExistingMode;
  naming_pattern: string | null;
  file_name: string;
  size_bytes: number;
}

/** What a claimed job needs to run. */
export interface ClaimedJob extends NewJob {
  storage_key: string;
  attempts: number;
}

/**
 * The report's lists and counters as the job document stores them. `error_count` is what the
 * feed's import_completed event reports (the errors list itself is bounded).
 */
function reportFields(report: ImportReport) {
  const { total_rows, processed_rows, valid_tasks, invalid_tasks, created_tasks, updated_tasks, skipped_tasks, errors, errors_truncated, warnings, unknown_columns, written_rows, written_rows_truncated } =
    report;
  return {
    total_rows,
    processed_rows,
    valid_tasks,
    invalid_tasks,
    error_count: invalid_tasks,
    created_tasks,
    updated_tasks,
    skipped_tasks,
    errors,
    errors_truncated,
    warnings,
    unknown_columns,
    written_rows,
    written_rows_truncated,
  };
}

/** Progress in whole percent; 100 only once the job has completed. */
export const percentOf = (report: ImportReport) => (report.total_rows === 0 ? 0 : Math.min(99, Math.floor((report.processed_rows * 100) / report.total_rows)));

export class ImportJobStore extends DocumentStore {
  /** `storage.bucket` is read on first use: a cold start that imports nothing never loads the Storage client. */
  constructor(
    db: Firestore,
    private readonly storage: { readonly bucket: Bucket },
  ) {
    super(db, IMPORT_JOBS);
  }

  private get bucket(): Bucket {
    return this.storage.bucket;
  }

  newId(): string {
    return this.newRef().id;
  }

  async saveSource(jobId: string, data: Buffer, metadata: Record<string, string>): Promise<string> {
    const key = sourceKey(jobId);
    await this.bucket.file(key).save(data, { resumable: false, contentType: 'text/csv; charset=utf-8', metadata: { metadata } });
    return key;
  }

  openSource(key: string): Readable {
    return readObject(this.bucket, key);
  }

  /** Creates the pending job; its creation starts the processing trigger. */
  async create(id: string, job: NewJob, storageKey: string): Promise<void> {
    const now = FieldValue.serverTimestamp();
    await this.ref(id).create({
      ...job,
      storage_key: storageKey,
      status: 'pending' satisfies JobStatus,
      progress_percent: 0,
      total_rows: 0,
      processed_rows: 0,
      valid_tasks: 0,
      invalid_tasks: 0,
      error_count: 0,
      created_tasks: 0,
      updated_tasks: 0,
      skipped_tasks: 0,
      errors: [],
      errors_truncated: false,
      warnings: [],
      unknown_columns: [],
      written_rows: [],
      written_rows_truncated: false,
      error: null,
      results: null,
      attempts: 0,
      updated_by: job.created_by,
      created_at: now,
      updated_at: now,
      started_at: null,
      finished_at: null,
    });
  }

  /**
   * Takes a pending job (or one whose run died) for processing, exactly once across redelivered
   * trigger events; null when there is nothing to do.
   */
  async claim(id: string, now: Date): Promise<ClaimedJob | null> {
    return runTransaction(this.db, `Import job ${id}`, async (tx) => {
      const snap = await tx.get(this.ref(id));
      if (!snap.exists) return null;
      const data = snap.data() as DocumentData;
      const heartbeat = data.updated_at instanceof Timestamp ? data.updated_at.toMillis() : 0;
      const abandoned = data.status === 'processing' && now.getTime() - heartbeat > STALE_AFTER_MS;
      if (data.status !== 'pending' && !abandoned) return null;
      tx.update(snap.ref, { status: 'processing' satisfies JobStatus, attempts: FieldValue.increment(1), started_at: FieldValue.serverTimestamp(), updated_at: FieldValue.serverTimestamp() });
      return { ...(data as ClaimedJob), attempts: (data.attempts ?? 0) + 1 };
    });
  }

  async progress(id: string, report: ImportReport): Promise<void> {
    await this.ref(id).update({ ...reportFields(report), progress_percent: percentOf(report), updated_at: FieldValue.serverTimestamp() });
  }

  async complete(id: string, report: ImportReport): Promise<void> {
    const { errors: _e, warnings: _w, written_rows: _r, written_rows_truncated: _t, ...results } = report;
    await this.ref(id).update({
      ...reportFields(report),
      status: 'completed' satisfies JobStatus,
      progress_percent: 100,
      results,
      updated_at: FieldValue.serverTimestamp(),
      finished_at: FieldValue.serverTimestamp(),
    });
  }

  /** Marks the job failed with the reason and, when writing had started, what was written. */
  async fail(id: string, error: string, report: ImportReport | undefined): Promise<void> {
    await this.ref(id).update({
      ...(report ? { ...reportFields(report), progress_percent: percentOf(report) } : {}),
      status: 'failed' satisfies JobStatus,
      error,
      updated_at: FieldValue.serverTimestamp(),
      finished_at: FieldValue.serverTimestamp(),
    });
  }
}
