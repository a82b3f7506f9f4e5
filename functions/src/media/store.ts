// Firestore and Cloud Storage access for media: records in the top-level `media` collection, files
// and thumbnails in the default bucket.
import type { Readable } from 'node:stream';
import { AggregateField, type Firestore, type Query, type Timestamp } from 'firebase-admin/firestore';
import type { Bucket } from '../config/deps.js';
import { MEDIA } from '../lib/collections.js';
import { deleteAs } from '../lib/deletions.js';
import type { MediaType } from './files.js';
import { DocumentStore } from '../lib/document-store.js';
import { downloadObject, readObject } from '../lib/storage-reads.js';

export interface ApprovalEntry {
  approval_status: 'approved' | 'rejected';
  reviewer: string;
  review_notes: string;
  reviewed_at: Timestamp;
}

export interface MediaMetadata {
  file_size: number | null;
  width: number | null;
  height: number | null;
  format: string | null;
  color_space: string | null;
  has_alpha: boolean | null;
  bit_depth: number | null;
  checksum: string | null;
  creation_date: Timestamp | null;
  frame_rate: number | null;
}

/** A media document as stored (timestamps may still be server-timestamp sentinels when written). */
export interface MediaRecord {
  project_id: string;
  linked_task_id: string;
  linked_version: string;
  author: string;
  file_name: string;
  media_type: MediaType;
  file_extension: string;
  content_type: string;
  storage_key: string;
  storage_url: string;
  thumbnail_key: string | null;
  thumbnail_small_key: string | null;
  thumbnail_status: 'pending' | 'ready' | 'unsupported' | 'failed';
  thumbnail_error: string | null;
  /** Generation of the Storage object the metadata and thumbnails were made from (trigger idempotency). */
  file_generation: string | null;
  description: string;
  tags: string[];
  metadata: MediaMetadata;
  approval_status: 'pending' | 'approved' | 'rejected';
  approval_history: ApprovalEntry[];
  status: 'active' | 'pending_upload' | 'archived';
  /** Why the record has no usable file (too large when it landed, deleted outside the API). */
  file_error: string | null;
  /** Set while DELETE removes the files, so the trigger drops thumbnails it is still making. */
  deleting?: boolean;
  open_annotations: number;
  total_annotations: number;
  updated_by: string;
  created_at: unknown;
  updated_at: unknown;
}

export interface MediaFilters {
  projectIds: string[] | 'all';
  status: MediaRecord['status'];
  taskId?: string | undefined;
  fileExtension?: string | undefined;
  mediaType?: MediaType | undefined;
  author?: string | undefined;
  approvalStatus?: MediaRecord['approval_status'] | undefined;
  tags?: string[] | undefined;
  version?: string | undefined;
}

/** Firestore access for media records. */
export class MediaStore extends DocumentStore {
  constructor(db: Firestore) {
    super(db, MEDIA);
  }

  /** A project's media in one status, counted and their bytes summed by aggregation, never read (project stats). */
  async totals(projectId: string, status: string): Promise<{ count: number; bytes: number }> {
    const snap = await this.db
      .collection(MEDIA)
      .where('project_id', '==', projectId)
      .where('status', '==', status)
      .aggregate({ count: AggregateField.count(), bytes: AggregateField.sum('metadata.file_size') })
      .get();
    return { count: snap.data().count, bytes: snap.data().bytes ?? 0 };
  }

  /** The filtered query a list page runs (ordering is added by the paginator). */
  query(f: MediaFilters): Query {
    let q: Query = this.db.collection(MEDIA).where('status', '==', f.status);
    if (f.projectIds !== 'all') q = f.projectIds.length === 1 ? q.where('project_id', '==', f.projectIds[0]) : q.where('project_id', 'in', f.projectIds);
    if (f.taskId) q = q.where('linked_task_id', '==', f.taskId);
    if (f.version) q = q.where('linked_version', '==', f.version);
    if (f.fileExtension) q = q.where('file_extension', '==', f.fileExtension);
    if (f.mediaType) q = q.where('media_type', '==', f.mediaType);
    if (f.author) q = q.where('author', '==', f.author);
    if (f.approvalStatus) q = q.where('approval_status', '==', f.approvalStatus);
    if (f.tags) q = q.where('tags', 'array-contains-any', f.tags);
    return q;
  }

  /** Deletes the record, recorded as deleted by `actor`. */
  async deleteRecord(id: string, actor: string, now: Date): Promise<void> {
    const batch = this.db.batch();
    deleteAs(batch, this.ref(id), actor, now);
    await batch.commit();
  }
}

export interface StoredObject {
  size: number;
  contentType: string;
  md5Hex: string | null;
  generation: string;
  updated: string | null;
}

const isNotFound = (err: unknown) => (err as { code?: number }).code === 404;

/** Storage emulators cannot sign URLs without service-account credentials (and do not check signatures). */
function storageEmulated(): boolean {
  return Boolean(process.env.FIREBASE_STORAGE_EMULATOR_HOST || process.env.STORAGE_EMULATOR_HOST);
}

/** Cloud Storage access for media files and thumbnails. */
export class MediaObjects {
  /** `storage.bucket` is read on first use: a cold start that serves no file never loads the Storage client. */
  constructor(private readonly storage: { readonly bucket: Bucket }) {}

  private get bucket(): Bucket {
    return this.storage.bucket;
  }

  /** Uploads a whole file in one request; Storage verifies it against our MD5. */
  async save(key: string, data: Buffer, contentType: string, customMetadata: Record<string, string>): Promise<void> {
    await this.bucket.file(key).save(data, { resumable: false, validation: 'md5', contentType, metadata: { contentType, metadata: customMetadata } });
  }

  async saveThumbnail(key: string, data: Buffer, contentType: string, customMetadata: Record<string, string>): Promise<void> {
    await this.bucket.file(key).save(data, { resumable: false, contentType, metadata: { contentType, cacheControl: 'private, max-age=3600', metadata: customMetadata } });
  }

  /**
   * Starts a resumable upload session for `key` and returns its session URI. The URI is itself the
   * credential (valid a week, bound to this object name and content type), so it serves as the
   * "signed upload URL" both in production and in the Storage emulator, which cannot sign URLs.
   */
  async uploadSession(key: string, contentType: string, customMetadata: Record<string, string>, origin: string | undefined): Promise<string> {
    const [uri] = await this.bucket.file(key).createResumableUpload({ metadata: { contentType, metadata: customMetadata }, ...(origin ? { origin } : {}) });
    return uri;
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      const [md] = await this.bucket.file(key).getMetadata();
      return {
        size: Number(md.size ?? 0),
        contentType: md.contentType ?? 'application/octet-stream',
        md5Hex: md.md5Hash ? Buffer.from(md.md5Hash, 'base64').toString('hex') : null,
        generation: String(md.generation ?? ''),
        updated: md.updated ?? null,
      };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  read(key: string, range?: { start: number; end: number }): Readable {
    // Partial reads cannot be checksummed, and whole ones are verified by Storage on upload.
    return readObject(this.bucket, key, { validation: false, ...(range ?? {}) });
  }

  async download(key: string): Promise<Buffer> {
    return downloadObject(this.bucket, key, { validation: false });
  }

  /**
   * A short-lived read URL. Without signing credentials in the emulator, the emulator's own object
   * URL is returned instead (the emulator serves it without a signature).
   */
  async readUrl(key: string, seconds: number, disposition: string, contentType: string): Promise<string> {
    const file = this.bucket.file(key);
    try {
      const [url] = await file.getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + seconds * 1000, responseDisposition: disposition, responseType: contentType });
      return url;
    } catch (err) {
      if (storageEmulated()) return file.publicUrl();
      throw err;
    }
  }

  /** Deletes objects; ones already gone are fine (deletes are retried and redelivered). */
  async delete(keys: string[]): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        try {
          await this.bucket.file(key).delete();
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }),
    );
  }

  async exists(key: string): Promise<boolean> {
    const [exists] = await this.bucket.file(key).exists();
    return exists;
  }
}
