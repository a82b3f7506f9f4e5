// The media record: how a new one looks, and how a stored one is shown through the API.
import { FieldValue, Timestamp, type DocumentSnapshot } from 'firebase-admin/firestore';
import type { Caller } from '../auth/caller.js';
import { API_PREFIX } from '../lib/api-prefix.js';
import { etagOf } from '../lib/etag.js';
import { docToJson } from '../lib/serialize.js';
import { contentTypeOf, fileExtension, mediaStorageKey, mediaTypeOf, noThumbnailReason } from './files.js';
import type { MediaRecord } from './store.js';

export type MediaJson = Omit<MediaRecord, 'file_generation' | 'deleting'> & { id: string };

/** The trigger's bookkeeping, which stays inside. */
const INTERNAL_FIELDS: ReadonlySet<string> = new Set(['file_generation', 'deleting']);

/** The API shape of a record. */
export function toMedia(snap: DocumentSnapshot): MediaJson {
  return docToJson<MediaJson>(snap, INTERNAL_FIELDS);
}

/** A record as a response: its API shape and its ETag. */
export function versionedMedia(snap: DocumentSnapshot): { media: MediaJson; etag: string } {
  return { media: toMedia(snap), etag: etagOf(snap) };
}

/** A file about to be stored, as the upload routes describe it. */
export interface NewFile {
  fileName: string;
  size: number;
  version: string;
  description: string;
  tags: string[];
  checksum: string | null;
  /** The image's size when the API has read it (multipart uploads of images). */
  picture?: { width: number; height: number } | null;
}

/** The record that reserves a new file's storage key, pending until its file lands. */
export function newRecord(caller: Caller, projectId: string, taskId: string, id: string, file: NewFile, now: Date): MediaRecord {
  const extension = fileExtension(file.fileName);
  const noThumbnail = noThumbnailReason(extension);
  return {
    project_id: projectId,
    linked_task_id: taskId,
    linked_version: file.version,
    author: caller.uid,
    file_name: file.fileName,
    media_type: mediaTypeOf(extension),
    file_extension: extension,
    content_type: contentTypeOf(extension),
    storage_key: mediaStorageKey(projectId, taskId, file.version, file.fileName),
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
      creation_date: Timestamp.fromDate(now),
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
