// The Storage object events of media files. When a file lands under media/ (`onObjectFinalized`) it
// completes the record (status, size, checksum, image metadata) and makes a 512 px and a 128 px
// thumbnail under thumbnails/ (thumbnails.ts), recording why when it cannot. When one is removed
// outside the API (`onObjectDeleted`) its thumbnails go and its record is archived. Modelled on
// firebase/extensions storage-resize-images: its own output (thumbnails/) never re-processed,
// redelivered events recognised by object generation, and bad files recorded on the record, never
// thrown (a throw would only be retried into a crash loop). Only infrastructure errors are thrown.
import type { Firestore } from 'firebase-admin/firestore';
import { FieldValue } from 'firebase-admin/firestore';
import * as logger from 'firebase-functions/logger';
import type { Bucket } from '../config/deps.js';
import { MEDIA } from '../lib/collections.js';
import { runTransaction } from '../lib/transaction.js';
import { allThumbnailKeys, MEDIA_PREFIX, mediaIdFor, noThumbnailReason, thumbnailKey } from './files.js';
import { THUMBNAIL_SETTINGS, type ThumbnailSettings } from './settings.js';
import { MediaObjects, type MediaRecord } from './store.js';
import { makeThumbnails, ThumbnailError, type ImageFacts } from './thumbnails.js';

export interface TriggerDeps {
  db: Firestore;
  bucket: Bucket;
  config: { maxFileSizeBytes: number };
}

/**
 * The parts of a Storage CloudEvent's data the trigger reads (`generation` arrives as a string or a
 * number). Size and checksum are read from the object itself, which is also how stale events show.
 */
export interface StorageObject {
  bucket: string;
  name: string;
  generation: string | number;
}

export type FinalizeOutcome =
  | 'ignored' // not a media file of this bucket (thumbnails/ included)
  | 'orphan' // no record owns this key, or it was deleted meanwhile
  | 'stale' // an older generation than the object now stored
  | 'duplicate' // this generation was already processed
  | 'rejected' // larger than MAX_FILE_SIZE: deleted again
  | 'ready'
  | 'unsupported'
  | 'failed';

const ownsKey = (bucket: Bucket, object: StorageObject) => object.bucket === bucket.name && object.name.startsWith(MEDIA_PREFIX);

/** `onObjectFinalized` for media files. */
export async function handleObjectFinalized(deps: TriggerDeps, object: StorageObject, settings: ThumbnailSettings = THUMBNAIL_SETTINGS): Promise<FinalizeOutcome> {
  // Thumbnails live under thumbnails/, so the trigger's own writes end here.
  if (!ownsKey(deps.bucket, object)) return 'ignored';
  const key = object.name;
  const generation = String(object.generation);
  const ref = deps.db.collection(MEDIA).doc(mediaIdFor(key));
  const snap = await ref.get();
  const record = snap.data() as MediaRecord | undefined;
  if (!record || record.storage_key !== key) {
    logger.warn('Media file without a media record; left alone', { key });
    return 'orphan';
  }
  if (record.file_generation === generation && record.thumbnail_status !== 'pending') return 'duplicate';

  const objects = new MediaObjects(deps);
  const current = await objects.stat(key);
  if (!current || current.generation !== generation) return 'stale';

  if (current.size > deps.config.maxFileSizeBytes) {
    await objects.delete([key]);
    await ref.update({ file_error: `The uploaded file is ${current.size} bytes, larger than the ${deps.config.maxFileSizeBytes}-byte limit; it was deleted`, updated_at: FieldValue.serverTimestamp() });
    return 'rejected';
  }

  const fileFacts = {
    status: 'active',
    file_error: null,
    file_generation: generation,
    'metadata.file_size': current.size,
    'metadata.checksum': current.md5Hex,
    updated_at: FieldValue.serverTimestamp(),
  };

  let result: { outcome: FinalizeOutcome; fields: Record<string, unknown>; written: string[] };
  const unsupported = noThumbnailReason(record.file_extension);
  if (unsupported) {
    result = { outcome: 'unsupported', fields: { thumbnail_status: 'unsupported', thumbnail_error: unsupported }, written: [] };
  } else if (current.size > settings.maxInputBytes) {
    result = { outcome: 'unsupported', fields: { thumbnail_status: 'unsupported', thumbnail_error: `The file is too large to make thumbnails from (${current.size} bytes; the limit is ${settings.maxInputBytes})` }, written: [] };
  } else {
    result = await thumbnailsFor(objects, key, generation, record, settings);
  }

  // The record may have been deleted while the thumbnails were made: then they go too.
  const kept = await runTransaction(deps.db, `Media ${ref.id}`, async (tx) => {
    const latest = await tx.get(ref);
    if (!latest.exists || latest.get('deleting') === true) return false;
    tx.update(ref, { ...fileFacts, ...result.fields });
    return true;
  });
  if (!kept) {
    await objects.delete(result.written);
    return 'orphan';
  }
  return result.outcome;
}

async function thumbnailsFor(objects: MediaObjects, key: string, generation: string, record: MediaRecord, settings: ThumbnailSettings) {
  const imageFields = (facts: Partial<ImageFacts>) => {
    const fields: Record<string, unknown> = {};
    for (const name of ['width', 'height', 'format', 'has_alpha', 'bit_depth'] as const) if (facts[name] !== undefined) fields[`metadata.${name}`] = facts[name];
    // A color space a user set (e.g. ACEScg) is kept over what the file header says.
    if (facts.color_space !== undefined && record.metadata.color_space === null) fields['metadata.color_space'] = facts.color_space;
    return fields;
  };
  try {
    const thumbs = await makeThumbnails(await objects.download(key), settings);
    const large = thumbnailKey(key, 'large', thumbs.extension);
    const small = thumbnailKey(key, 'small', thumbs.extension);
    const metadata = { source_generation: generation };
    await Promise.all([objects.saveThumbnail(large, thumbs.large, thumbs.contentType, metadata), objects.saveThumbnail(small, thumbs.small, thumbs.contentType, metadata)]);
    // A re-upload may change the format (alpha or not): the other format's thumbnails must not linger.
    await objects.delete(allThumbnailKeys(key).filter((k) => k !== large && k !== small));
    return {
      outcome: 'ready' as const,
      fields: { ...imageFields(thumbs.facts), thumbnail_status: 'ready', thumbnail_error: null, thumbnail_key: large, thumbnail_small_key: small },
      written: [large, small],
    };
  } catch (err) {
    if (!(err instanceof ThumbnailError)) throw err;
    logger.info('No thumbnail for media file', { key, status: err.status, reason: err.message });
    return {
      outcome: err.status,
      fields: { ...imageFields(err.known), thumbnail_status: err.status, thumbnail_error: err.message, thumbnail_key: null, thumbnail_small_key: null },
      written: [],
    };
  }
}

/**
 * `onObjectDeleted` for media files. Deleting through the API removes everything itself; this
 * covers a file removed any other way (console, lifecycle rule): its thumbnails go, and a record
 * that still points at it is archived. An overwrite also reports the old generation as deleted;
 * then the object still exists and nothing is done.
 */
export async function handleObjectDeleted(deps: TriggerDeps, object: StorageObject): Promise<'ignored' | 'archived' | 'cleaned'> {
  if (!ownsKey(deps.bucket, object)) return 'ignored';
  const objects = new MediaObjects(deps);
  if (await objects.exists(object.name)) return 'ignored';
  await objects.delete(allThumbnailKeys(object.name));
  const ref = deps.db.collection(MEDIA).doc(mediaIdFor(object.name));
  const archived = await runTransaction(deps.db, `Media ${ref.id}`, async (tx) => {
    const snap = await tx.get(ref);
    if (!snap.exists || snap.get('storage_key') !== object.name || snap.get('status') !== 'active' || snap.get('deleting') === true) return false;
    tx.update(ref, {
      status: 'archived',
      thumbnail_key: null,
      thumbnail_small_key: null,
      file_error: 'The file was deleted from Storage outside the API',
      updated_at: FieldValue.serverTimestamp(),
    });
    return true;
  });
  return archived ? 'archived' : 'cleaned';
}
