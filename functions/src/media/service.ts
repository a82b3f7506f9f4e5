// Media records: listing, reading, editing and deleting them, and how a review moves the linked task
// (the spec's Media Review Workflow). Adding files is uploads.ts, serving them download.ts.
import type { z } from 'zod';
import { FieldValue, Timestamp, type DocumentSnapshot } from 'firebase-admin/firestore';
import { AnnotationStore } from '../annotations/store.js';
import type { Caller } from '../auth/caller.js';
import { forbidden, notFound, preconditionFailed, unprocessable, validationError } from '../http/errors.js';
import { emptyPage, paginate, type Page } from '../http/pagination.js';
import { assertIfMatch, etagOf, ifMatchPrecondition, isStaleWrite } from '../lib/etag.js';
import { runTransaction } from '../lib/transaction.js';
import { MAX_DISJUNCTIONS, TaskStore } from '../tasks/store.js';
import { MediaAccess } from './access.js';
import { allThumbnailKeys } from './files.js';
import { toMedia, versionedMedia, type MediaJson } from './record.js';
import type { approveBody, listQuery, updateBody } from './schemas.js';
import { MAX_APPROVAL_HISTORY } from './settings.js';
import { MediaObjects, MediaStore, type ApprovalEntry } from './store.js';
import { hasCode } from '../lib/firestore-errors.js';
import type { AccessControl } from '../auth/access.js';
import type { AppDeps } from '../config/deps.js';
import { DomainService } from '../lib/domain-service.js';

/** Where the spec's Media Review Workflow moves a task after a review, or null when it stays. */
function taskStatusAfterReview(decision: ApprovalEntry['approval_status'], taskStatus: string | null): string | null {
  if (taskStatus === null || taskStatus === 'archived') return null;
  if (decision === 'approved') return taskStatus === 'pending_review' ? 'approved' : null;
  return taskStatus === 'needs_revision' ? null : 'needs_revision';
}

export class MediaService extends DomainService {
  private readonly annotations = new AnnotationStore(this.deps.db);
  private readonly store = new MediaStore(this.deps.db);
  private readonly tasks = new TaskStore(this.deps.db);
  private readonly objects = new MediaObjects(this.deps);

  constructor(
    deps: AppDeps,
    access: AccessControl,
    private readonly checks: MediaAccess = new MediaAccess(deps.db, access),
  ) {
    super(deps, access);
  }

  async list(caller: Caller, query: z.output<typeof listQuery>): Promise<Page<MediaJson>> {
    let projectIds: string[] | 'all';
    // A named project is checked while the page is read; the readable ones must be known before it.
    let allowed: Promise<unknown> = Promise.resolve();
    if (query.project_id) {
      allowed = this.access.require(caller, query.project_id, 'read');
      projectIds = [query.project_id];
    } else {
      projectIds = await this.access.readableProjects(caller);
      if (projectIds !== 'all' && projectIds.length === 0) {
        return emptyPage(query);
      }
    }
    const projectCount = projectIds === 'all' ? 1 : projectIds.length;
    if (projectCount * (query.tags?.length ?? 1) > MAX_DISJUNCTIONS) {
      await allowed;
      throw validationError(`You belong to ${projectCount} projects; give project_id to filter${query.tags ? ' by tags' : ''}`, { field: 'project_id', issue: 'required' });
    }
    const filters = {
      projectIds,
      status: query.status,
      taskId: query.task_id,
      fileExtension: query.file_type,
      mediaType: query.media_type,
      author: query.author,
      approvalStatus: query.approval_status,
      tags: query.tags,
      version: query.version,
    };
    return paginate(this.store.query(filters), query, {
      orderBy: [{ field: 'created_at', direction: 'desc' }],
      fingerprint: ['media', filters],
      map: toMedia,
      alongside: allowed,
    });
  }

  async get(caller: Caller, id: string) {
    return versionedMedia(await this.checks.readable(caller, id));
  }

  async update(caller: Caller, id: string, body: z.output<typeof updateBody>, ifMatch: string | undefined) {
    const precondition = ifMatchPrecondition(ifMatch);
    await this.checks.writable(caller, id);
    const changes: Record<string, unknown> = { updated_by: caller.uid, updated_at: FieldValue.serverTimestamp() };
    if (body.description !== undefined) changes.description = body.description;
    if (body.tags !== undefined) changes.tags = body.tags;
    for (const [field, value] of Object.entries(body.metadata ?? {})) {
      if (value === undefined) continue;
      changes[`metadata.${field}`] = field === 'creation_date' && value !== null ? Timestamp.fromDate(new Date(value as string)) : value;
    }
    try {
      await this.store.ref(id).update(changes, precondition);
    } catch (err) {
      if (isStaleWrite(err)) throw preconditionFailed(`Media ${id} changed since ETag ${ifMatch}; reload it and retry`);
      if (hasCode(err, 'NOT_FOUND')) throw notFound(`Media ${id}`);
      throw err;
    }
    return versionedMedia(await this.store.ref(id).get());
  }

  /**
   * Removes the file, its thumbnails, the record and the annotations made on it. The uploader or a
   * project admin may; an uploader who is not an admin only while every annotation on it is theirs,
   * since deleting the media deletes others' review notes with it.
   */
  async remove(caller: Caller, id: string): Promise<void> {
    const snap = await this.checks.writable(caller, id);
    const projectId = snap.get('project_id') as string;
    const admin = (await this.access.permissions(caller, projectId)).includes('admin');
    if (!admin && snap.get('author') !== caller.uid) throw forbidden(`Only the uploader or a project admin may delete media ${id}`);
    const othersNotes = (count: number) => forbidden(`Media ${id} carries ${count} annotation${count === 1 ? '' : 's'} by other users; only a project admin may delete it with them`);
    if (!admin) {
      const others = await this.annotations.countByOthers(id, caller.uid);
      if (others > 0) throw othersNotes(others);
    }
    const key = snap.get('storage_key') as string;
    // Marked first, so a thumbnail the trigger is making right now is dropped rather than left
    // behind; annotations next (the step that may still be refused); then files; the record last,
    // so a failed delete can simply be retried.
    const mark = (deleting: boolean) => this.store.ref(id).update({ deleting, updated_by: caller.uid, updated_at: FieldValue.serverTimestamp() });
    await mark(true);
    const now = this.deps.clock();
    if (!(await this.annotations.deleteOnMedia(id, caller.uid, now, admin ? undefined : caller.uid))) {
      await mark(false);
      throw othersNotes(await this.annotations.countByOthers(id, caller.uid));
    }
    await this.objects.delete([key, ...allThumbnailKeys(key)]);
    await this.store.deleteRecord(id, caller.uid, now);
  }

  /** `POST /media/{id}/approve`: records the review and moves the linked task per the workflow. */
  async review(caller: Caller, id: string, body: z.output<typeof approveBody>, ifMatch: string | undefined) {
    if (body.reviewer !== undefined && body.reviewer !== caller.uid && body.reviewer !== caller.email) {
      throw validationError('reviewer is always the caller; omit it or send your own uid', { field: 'reviewer', issue: 'not the caller' });
    }
    const before = await this.checks.reviewable(caller, id);
    if (before.get('status') !== 'active') throw unprocessable(`Media ${id} has not finished uploading (status ${before.get('status')}); it cannot be reviewed yet`);
    const taskId = before.get('linked_task_id') as string;
    const projectId = before.get('project_id') as string;

    const linkedTask = await runTransaction(this.deps.db, `Media ${id}`, async (tx) => {
      const [media, task, project] = (await tx.getAll(this.store.ref(id), this.tasks.ref(projectId, taskId), this.projects.ref(projectId))) as [DocumentSnapshot, DocumentSnapshot, DocumentSnapshot];
      if (!media.exists) throw notFound(`Media ${id}`);
      assertIfMatch(media, ifMatch);
      const entry: ApprovalEntry = {
        approval_status: body.approval_status,
        reviewer: caller.uid,
        review_notes: body.review_notes,
        reviewed_at: Timestamp.fromDate(this.deps.clock()),
      };
      const history = [...((media.get('approval_history') as ApprovalEntry[] | undefined) ?? []), entry].slice(-MAX_APPROVAL_HISTORY);
      tx.update(media.ref, { approval_status: body.approval_status, approval_history: history, updated_by: caller.uid, updated_at: FieldValue.serverTimestamp() });

      const previous = task.exists ? ((task.get('status') as string | undefined) ?? null) : null;
      const next = taskStatusAfterReview(body.approval_status, previous);
      if (next) this.tasks.reviewMovedStatus(tx, task, project, next, caller.uid);
      return task.exists ? { id: taskId, previous_status: previous, status: next ?? previous } : null;
    });
    const snap = await this.store.ref(id).get();
    return { media: { ...toMedia(snap), linked_task: linkedTask }, etag: etagOf(snap) };
  }
}
