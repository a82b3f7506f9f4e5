// Media rules: who may upload, read, change, review and delete media; how a record and its file are
// kept together; and how a review moves the linked task (the spec's Media Review Workflow).
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { FieldValue, Timestamp, type DocumentSnapshot } from 'firebase-admin/firestore';
import { logger } from 'firebase-functions';
import { AccessControl } from '../auth/access.js';
import type { Caller } from '../auth/caller.js';
import type { AppDeps } from '../deps.js';
import { ApiError, conflict, forbidden, notFound, payloadTooLarge, preconditionFailed, unprocessable, validationError } from '../http/errors.js';
import { readMultipart } from '../http/multipart.js';
import { API_PREFIX } from '../http/openapi.js';
import { paginate, type Page } from '../http/pagination.js';
import { parseOrThrow } from '../http/validate.js';
import { assertIfMatch, etagOf, ifMatchPrecondition, isStaleWrite } from '../lib/etag.js';
import { docToJson } from '../lib/serialize.js';
import { runTransaction } from '../lib/transaction.js';
import { ProjectStore } from '../projects/store.js';
import { MAX_DISJUNCTIONS, TaskStore } from '../tasks/store.js';
import { sendObject } from './download.js';
import { allThumbnailKeys, contentTypeOf, fileExtension, mediaIdFor, mediaStorageKey, mediaTypeOf, noThumbnailReason, pictureSize } from './files.js';
import { fileNameSchema, uploadFields, type approveBody, type listQuery, type updateBody, type uploadUrlBody } from './schemas.js';
import { MAX_APPROVAL_HISTORY, MAX_INLINE_FILE_BYTES, SIGNED_URL_SECONDS, UPLOAD_SESSION_SECONDS } from './settings.js';
import { MediaObjects, MediaStore, type ApprovalEntry, type MediaRecord } from './store.js';
import { hasCode } from '../lib/firestore-errors.js';

export type MediaJson = Omit<MediaRecord, 'file_generation' | 'deleting'> & { id: string };

/** The API shape of a record (the trigger's bookkeeping stays inside). */
export function toMedia(snap: DocumentSnapshot): MediaJson {
  const { file_generation: _g, deleting: _d, ...media } = docToJson<MediaRecord>(snap);
  return media;
}


/** Where the spec's Media Review Workflow moves a task after a review, or null when it stays. */
function taskStatusAfterReview(decision: ApprovalEntry['approval_status'], taskStatus: string | null): string | null {
  if (taskStatus === null || taskStatus === 'archived') return null;
  if (decision === 'approved') return taskStatus === 'pending_review' ? 'approved' : null;
  return taskStatus === 'needs_revision' ? null : 'needs_revision';
}

interface NewFile {
  fileName: string;
  size: number;
  version: string;
  description: string;
  tags: string[];
  checksum: string | null;
  /** The image's size when the API has read it (multipart uploads of images). */
  picture?: { width: number; height: number } | null;
}

export class MediaService {
  private readonly access: AccessControl;
  private readonly projects: ProjectStore;
  private readonly store: MediaStore;
  private readonly tasks: TaskStore;
  private readonly objects: MediaObjects;

  constructor(private readonly deps: AppDeps) {
    this.access = new AccessControl(deps.db);
    this.projects = new ProjectStore(deps.db);
    this.store = new MediaStore(deps.db);
    this.tasks = new TaskStore(deps.db);
    this.objects = new MediaObjects(deps.bucket);
  }

  // --- permission and state checks -------------------------------------------------------------

  private async readable(caller: Caller, id: string): Promise<DocumentSnapshot> {
    const snap = await this.store.get(id);
    if (!snap) throw notFound(`Media ${id}`);
    await this.access.require(caller, snap.get('project_id') as string, 'read', `Media ${id}`);
    return snap;
  }

  /** The media and its open project, when the caller holds `permission` on it. */
  private async changeable(caller: Caller, id: string, permission: 'write' | 'review'): Promise<{ snap: DocumentSnapshot; project: DocumentSnapshot }> {
    const snap = await this.store.get(id);
    if (!snap) throw notFound(`Media ${id}`);
    const projectId = snap.get('project_id') as string;
    await this.access.require(caller, projectId, permission, `Media ${id}`);
    return { snap, project: await this.requireOpenProject(projectId) };
  }

  private async writable(caller: Caller, id: string): Promise<DocumentSnapshot> {
    return (await this.changeable(caller, id, 'write')).snap;
  }

  private async requireOpenProject(projectId: string): Promise<DocumentSnapshot> {
    const project = await this.projects.get(projectId);
    if (!project) throw notFound(`Project ${projectId}`);
    if (project.get('status') === 'archived') throw unprocessable(`Project ${projectId} is archived; its media are read-only`);
    return project;
  }

  /**
   * Approving or rejecting needs `review` (project admins have it), and never on one's own upload
   * unless the project allows it: an artist must not sign off their own work.
   */
  private async reviewable(caller: Caller, id: string): Promise<DocumentSnapshot> {
    const { snap, project } = await this.changeable(caller, id, 'review');
    if (snap.get('author') === caller.uid && project.get('allow_self_review') !== true) {
      throw forbidden(`You uploaded media ${id}; project ${project.id} does not allow reviewing one's own upload (allow_self_review)`);
    }
    return snap;
  }

  /** The task new media will link to, once the caller may write to its project. */
  private async uploadTarget(caller: Caller, taskId: string): Promise<{ projectId: string }> {
    const task = await this.tasks.get(taskId);
    if (!task) throw notFound(`Task ${taskId}`);
    const projectId = task.get('project_id') as string;
    await this.access.require(caller, projectId, 'write', `Task ${taskId}`);
    await this.requireOpenProject(projectId);
    if (task.get('status') === 'archived') throw unprocessable(`Task ${taskId} is archived; it takes no new media`);
    return { projectId };
  }

  /** Name, type and size rules for a file about to be stored. */
  private checkFile(fileName: string, size: number): void {
    const name = fileNameSchema.safeParse(fileName);
    if (!name.success) {
      const issue = name.error.issues[0]?.message ?? 'invalid';
      throw validationError(`Invalid file name ${JSON.stringify(fileName.slice(0, 200))}: ${issue}`, { field: 'file', issue });
    }
    const extension = fileExtension(fileName);
    const allowed = this.deps.config.allowedFileTypes;
    if (!allowed.includes(extension)) {
      throw validationError(`File type ${extension} is not allowed; allowed types: ${allowed.join(', ')}`, { field: 'file', issue: `type ${extension} not allowed` });
    }
    if (size === 0) throw validationError(`File ${fileName} is empty`, { field: 'file', issue: 'empty' });
    const max = this.deps.config.maxFileSizeBytes;
    if (size > max) throw payloadTooLarge(`File ${fileName} is ${size} bytes, larger than the ${max}-byte limit`);
  }

  private newRecord(caller: Caller, projectId: string, taskId: string, id: string, file: NewFile): MediaRecord {
    const extension = fileExtension(file.fileName);
    const mediaType = mediaTypeOf(extension);
    const noThumbnail = noThumbnailReason(extension);
    return {
      project_id: projectId,
      linked_task_id: taskId,
      linked_version: file.version,
      author: caller.uid,
      file_name: file.fileName,
      media_type: mediaType,
      file_extension: extension,
      content_type: contentTypeOf(extension),
      storage_key: mediaStorageKey(taskId, file.version, file.fileName),
      storage_url: `${API_PREFIX}/media/${id}/download`,
      thumbnail_key: null,
      thumbnail_small_key: null,
      thumbnail_status: noThumbnail ? 'unsupported' : 'pending',
      thumbnail_error: noThumbnail,
      file_generation: null,
      description: file.description,
      tags: file.tags,
      metadata: {
        file_size: file.size,
        width: file.picture?.width ?? null,
        height: file.picture?.height ?? null,
        format: extension.slice(1) || null,
        color_space: null,
        has_alpha: null,
        bit_depth: null,
        checksum: file.checksum,
        creation_date: Timestamp.fromDate(this.deps.clock()),
        frame_rate: null,
      },
      approval_status: 'pending',
      approval_history: [],
      status: 'pending_upload',
      file_error: null,
      open_annotations: 0,
      total_annotations: 0,
      updated_by: caller.uid,
      created_at: FieldValue.serverTimestamp(),
      updated_at: FieldValue.serverTimestamp(),
    };
  }

  /** Creates the record that reserves a storage key; a second upload to the same key is a conflict. */
  private async reserve(caller: Caller, projectId: string, taskId: string, file: NewFile): Promise<{ id: string; record: MediaRecord }> {
    const key = mediaStorageKey(taskId, file.version, file.fileName);
    const id = mediaIdFor(key);
    const record = this.newRecord(caller, projectId, taskId, id, file);
    try {
      await this.store.ref(id).create(record);
    } catch (err) {
      if (hasCode(err, 'ALREADY_EXISTS')) {
        throw conflict(`Media ${key} already exists (id ${id}); upload under another version or file name, or delete it first`, { field: 'file', issue: 'duplicate', media_id: id });
      }
      throw err;
    }
    return { id, record };
  }

  // --- operations -------------------------------------------------------------------------------

  /** `POST /media`: a multipart upload of one file, stored under the spec's key with its record. */
  async upload(caller: Caller, req: Request): Promise<{ media: MediaJson; id: string }> {
    const limit = Math.min(this.deps.config.maxFileSizeBytes, MAX_INLINE_FILE_BYTES);
    const form = await readMultipart(req, { maxFileBytes: limit, maxFields: 10 }).catch((err: unknown) => {
      if (err instanceof ApiError && err.code === 'PAYLOAD_TOO_LARGE') {
        const hint = limit < this.deps.config.maxFileSizeBytes ? '; upload larger files with POST /media/upload-url' : '';
        throw payloadTooLarge(`The file is larger than the ${limit}-byte limit of this endpoint${hint}`);
      }
      throw err;
    });
    const file = form.files.find((f) => f.field === 'file');
    if (!file) throw validationError('file is required (a multipart part named "file")', { field: 'file', issue: 'required' });
    const fields = parseOrThrow(uploadFields, form.fields, 'body');
    this.checkFile(file.fileName, file.data.length);
    const { projectId } = await this.uploadTarget(caller, fields.task_id);

    const checksum = createHash('md5').update(file.data).digest('hex');
    // Known at once, so annotations made before the thumbnail trigger runs are checked against it.
    const picture = noThumbnailReason(fileExtension(file.fileName)) ? null : await pictureSize(file.data);
    const { id, record } = await this.reserve(caller, projectId, fields.task_id, { ...fields, fileName: file.fileName, size: file.data.length, checksum, picture });
    try {
      await this.objects.save(record.storage_key, file.data, record.content_type, { media_id: id, uploaded_by: caller.uid });
      await this.store.ref(id).update({ status: 'active', updated_at: FieldValue.serverTimestamp() });
    } catch (err) {
      // Nothing half-written: the file (if it landed) and the record go together.
      await this.objects.delete([record.storage_key, ...allThumbnailKeys(record.storage_key)]).catch((e: unknown) => logger.warn('Media upload clean-up left files', { id, error: String(e) }));
      await this.store.deleteRecord(id, caller.uid, this.deps.clock()).catch((e: unknown) => logger.warn('Media upload clean-up left the record', { id, error: String(e) }));
      throw err;
    }
    const snap = await this.store.ref(id).get();
    return { media: toMedia(snap), id };
  }

  /** `POST /media/upload-url`: a pending record and a resumable upload session for a large file. */
  async uploadUrl(caller: Caller, body: z.output<typeof uploadUrlBody>, origin: string | undefined) {
    this.checkFile(body.file_name, body.file_size);
    const expected = contentTypeOf(fileExtension(body.file_name));
    const given = body.content_type?.toLowerCase();
    if (given && given !== expected && given !== 'application/octet-stream') {
      throw validationError(`content_type ${given} does not match ${body.file_name}: its type is ${expected}`, { field: 'content_type', issue: `expected ${expected}` });
    }
    const { projectId } = await this.uploadTarget(caller, body.task_id);
    const { id, record } = await this.reserve(caller, projectId, body.task_id, { ...body, fileName: body.file_name, size: body.file_size, checksum: null });
    const corsOrigin = origin && (this.deps.config.corsOrigins.includes(origin) || this.deps.config.corsOrigins.includes('*')) ? origin : undefined;
    let uploadUrl: string;
    try {
      uploadUrl = await this.objects.uploadSession(record.storage_key, record.content_type, { media_id: id, uploaded_by: caller.uid }, corsOrigin);
    } catch (err) {
      await this.store.deleteRecord(id, caller.uid, this.deps.clock()).catch((e: unknown) => logger.warn('Upload URL clean-up left the record', { id, error: String(e) }));
      throw err;
    }
    const snap = await this.store.ref(id).get();
    return {
      media: toMedia(snap),
      upload_url: uploadUrl,
      upload_method: 'PUT' as const,
      upload_headers: { 'Content-Type': record.content_type },
      expires_at: new Date(this.deps.clock().getTime() + UPLOAD_SESSION_SECONDS * 1000).toISOString(),
    };
  }

  async list(caller: Caller, query: z.output<typeof listQuery>): Promise<Page<MediaJson>> {
    let projectIds: string[] | 'all';
    if (query.project_id) {
      await this.access.require(caller, query.project_id, 'read');
      projectIds = [query.project_id];
    } else {
      projectIds = await this.access.readableProjects(caller);
      if (projectIds !== 'all' && projectIds.length === 0) {
        return { items: [], total: 0, page: query.page, page_size: query.page_size, total_pages: 0, next_page_token: null };
      }
    }
    const projectCount = projectIds === 'all' ? 1 : projectIds.length;
    if (projectCount * (query.tags?.length ?? 1) > MAX_DISJUNCTIONS) {
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
    });
  }

  async get(caller: Caller, id: string) {
    const snap = await this.readable(caller, id);
    return { media: toMedia(snap), etag: etagOf(snap) };
  }

  async update(caller: Caller, id: string, body: z.output<typeof updateBody>, ifMatch: string | undefined) {
    const precondition = ifMatchPrecondition(ifMatch);
    await this.writable(caller, id);
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
    const snap = await this.store.ref(id).get();
    return { media: toMedia(snap), etag: etagOf(snap) };
  }

  /**
   * Removes the file, its thumbnails, the record and the annotations made on it. The uploader or a
   * project admin may; an uploader who is not an admin only while every annotation on it is theirs,
   * since deleting the media deletes others' review notes with it.
   */
  async remove(caller: Caller, id: string): Promise<void> {
    const snap = await this.writable(caller, id);
    const projectId = snap.get('project_id') as string;
    const admin = (await this.access.permissions(caller, projectId)).includes('admin');
    if (!admin && snap.get('author') !== caller.uid) throw forbidden(`Only the uploader or a project admin may delete media ${id}`);
    const othersNotes = (count: number) => forbidden(`Media ${id} carries ${count} annotation${count === 1 ? '' : 's'} by other users; only a project admin may delete it with them`);
    if (!admin) {
      const others = await this.store.annotationsByOthers(id, caller.uid);
      if (others > 0) throw othersNotes(others);
    }
    const key = snap.get('storage_key') as string;
    // Marked first, so a thumbnail the trigger is making right now is dropped rather than left
    // behind; annotations next (the step that may still be refused); then files; the record last,
    // so a failed delete can simply be retried.
    const mark = (deleting: boolean) => this.store.ref(id).update({ deleting, updated_by: caller.uid, updated_at: FieldValue.serverTimestamp() });
    await mark(true);
    const now = this.deps.clock();
    if (!(await this.store.deleteAnnotations(id, caller.uid, now, admin ? undefined : caller.uid))) {
      await mark(false);
      throw othersNotes(await this.store.annotationsByOthers(id, caller.uid));
    }
    await this.objects.delete([key, ...allThumbnailKeys(key)]);
    await this.store.deleteRecord(id, caller.uid, now);
  }

  /** `POST /media/{id}/approve`: records the review and moves the linked task per the workflow. */
  async review(caller: Caller, id: string, body: z.output<typeof approveBody>, ifMatch: string | undefined) {
    if (body.reviewer !== undefined && body.reviewer !== caller.uid && body.reviewer !== caller.email) {
      throw validationError('reviewer is always the caller; omit it or send your own uid', { field: 'reviewer', issue: 'not the caller' });
    }
    const before = await this.reviewable(caller, id);
    if (before.get('status') !== 'active') throw unprocessable(`Media ${id} has not finished uploading (status ${before.get('status')}); it cannot be reviewed yet`);
    const taskId = before.get('linked_task_id') as string;
    const projectId = before.get('project_id') as string;

    const linkedTask = await runTransaction(this.deps.db, `Media ${id}`, async (tx) => {
      const [media, task, project] = (await tx.getAll(this.store.ref(id), this.tasks.ref(taskId), this.projects.ref(projectId))) as [DocumentSnapshot, DocumentSnapshot, DocumentSnapshot];
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

  private async fileOf(caller: Caller, id: string): Promise<DocumentSnapshot> {
    const snap = await this.readable(caller, id);
    const status = snap.get('status') as MediaRecord['status'];
    if (status === 'pending_upload') throw unprocessable(`Media ${id} has no file yet (status pending_upload)`);
    if (status !== 'active') throw unprocessable(`Media ${id} has no file (${(snap.get('file_error') as string | null) ?? `status ${status}`})`);
    return snap;
  }

  async download(caller: Caller, id: string, redirect: boolean, req: Request, res: Response) {
    const snap = await this.fileOf(caller, id);
    const fileName = snap.get('file_name') as string;
    return this.serve(snap.get('storage_key') as string, redirect, req, res, { fileName, disposition: 'attachment', what: `media ${id}` });
  }

  async thumbnail(caller: Caller, id: string, size: 'large' | 'small', redirect: boolean, req: Request, res: Response) {
    const snap = await this.fileOf(caller, id);
    const key = snap.get(size === 'small' ? 'thumbnail_small_key' : 'thumbnail_key') as string | null;
    if (snap.get('thumbnail_status') !== 'ready' || !key) {
      const reason = snap.get('thumbnail_error') as string | null;
      throw new ApiError('NOT_FOUND', `Media ${id} has no thumbnail (thumbnail_status ${snap.get('thumbnail_status')}${reason ? `: ${reason}` : ''})`);
    }
    return this.serve(key, redirect, req, res, { fileName: key.split('/').pop()!, disposition: 'inline', what: `the thumbnail of media ${id}` });
  }

  private async serve(key: string, redirect: boolean, req: Request, res: Response, options: { fileName: string; disposition: 'inline' | 'attachment'; what: string }) {
    if (!redirect) return sendObject(this.objects, key, req, res, options);
    const stat = await this.objects.stat(key);
    if (!stat) throw notFound(`File of ${options.what}`);
    const url = await this.objects.readUrl(key, SIGNED_URL_SECONDS, `${options.disposition}; filename="${options.fileName}"`, stat.contentType);
    return { status: 302, headers: { Location: url, 'Cache-Control': 'no-store' } };
  }
}
