// Adding media: a file sent inline (multipart, up to MAX_INLINE_FILE_BYTES) is stored with its
// record at once; a larger one gets a pending record and a resumable upload session, and the
// Storage trigger completes the record when the file lands (storage-events.ts).
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { FieldValue } from 'firebase-admin/firestore';
import * as logger from 'firebase-functions/logger';
import type { Caller } from '../auth/caller.js';
import type { AppDeps } from '../config/deps.js';
import { conflict, payloadTooLarge, validationError } from '../http/errors.js';
import type { MultipartLimits } from '../http/multipart.js';
import { hasCode } from '../lib/firestore-errors.js';
import type { MediaAccess } from './access.js';
import { allThumbnailKeys, contentTypeOf, fileExtension, mediaIdFor, mediaStorageKey, noThumbnailReason, pictureSize } from './files.js';
import { newRecord, toMedia, type MediaJson, type NewFile } from './record.js';
import { fileNameSchema, type uploadFields, type uploadUrlBody } from './schemas.js';
import { MAX_INLINE_FILE_BYTES, UPLOAD_SESSION_SECONDS } from './settings.js';
import { MediaObjects, MediaStore, type MediaRecord } from './store.js';

/** What `POST /media` reads: one file of at most MAX_FILE_SIZE and MAX_INLINE_FILE_BYTES, and its fields. */
export function inlineUploadLimits(config: Pick<AppDeps['config'], 'maxFileSizeBytes'>): MultipartLimits {
  const limit = Math.min(config.maxFileSizeBytes, MAX_INLINE_FILE_BYTES);
  const hint = limit < config.maxFileSizeBytes ? '; upload larger files with POST /media/upload-url' : '';
  return { maxFileBytes: limit, maxFields: 10, tooLarge: `The file is larger than the ${limit}-byte limit of this endpoint${hint}` };
}

export class MediaUploads {
  constructor(
    private readonly deps: AppDeps,
    private readonly checks: MediaAccess,
    private readonly store = new MediaStore(deps.db),
    private readonly objects = new MediaObjects(deps),
  ) {}

  /** `POST /media`: one file, stored under the spec's key with its record. */
  async upload(caller: Caller, fields: z.output<typeof uploadFields>, file: { fileName: string; data: Buffer }): Promise<MediaJson> {
    this.checkFile(file.fileName, file.data.length);
    const { projectId } = await this.checks.uploadTarget(caller, fields.task_id, fields.project_id);

    const checksum = createHash('md5').update(file.data).digest('hex');
    // Known at once, so annotations made before the Storage trigger runs are checked against it.
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
    return toMedia(await this.store.ref(id).get());
  }

  /** `POST /media/upload-url`: a pending record and a resumable upload session for a large file. */
  async uploadUrl(caller: Caller, body: z.output<typeof uploadUrlBody>, origin: string | undefined) {
    this.checkFile(body.file_name, body.file_size);
    const expected = contentTypeOf(fileExtension(body.file_name));
    const given = body.content_type?.toLowerCase();
    if (given && given !== expected && given !== 'application/octet-stream') {
      throw validationError(`content_type ${given} does not match ${body.file_name}: its type is ${expected}`, { field: 'content_type', issue: `expected ${expected}` });
    }
    const { projectId } = await this.checks.uploadTarget(caller, body.task_id, body.project_id);
    const { id, record } = await this.reserve(caller, projectId, body.task_id, { ...body, fileName: body.file_name, size: body.file_size, checksum: null });
    const corsOrigin = origin && (this.deps.config.corsOrigins.includes(origin) || this.deps.config.corsOrigins.includes('*')) ? origin : undefined;
    let uploadUrl: string;
    try {
      uploadUrl = await this.objects.uploadSession(record.storage_key, record.content_type, { media_id: id, uploaded_by: caller.uid }, corsOrigin);
    } catch (err) {
      await this.store.deleteRecord(id, caller.uid, this.deps.clock()).catch((e: unknown) => logger.warn('Upload URL clean-up left the record', { id, error: String(e) }));
      throw err;
    }
    return {
      media: toMedia(await this.store.ref(id).get()),
      upload_url: uploadUrl,
      upload_method: 'PUT' as const,
      upload_headers: { 'Content-Type': record.content_type },
      expires_at: new Date(this.deps.clock().getTime() + UPLOAD_SESSION_SECONDS * 1000).toISOString(),
    };
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

  /** Creates the record that reserves a storage key; a second upload to the same key is a conflict. */
  private async reserve(caller: Caller, projectId: string, taskId: string, file: NewFile): Promise<{ id: string; record: MediaRecord }> {
    const key = mediaStorageKey(projectId, taskId, file.version, file.fileName);
    const id = mediaIdFor(key);
    const record = newRecord(caller, projectId, taskId, id, file, this.deps.clock());
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
}
