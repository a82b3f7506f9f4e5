// Naming and typing rules for media files, shared by the API and the Storage trigger: where a file
// and its thumbnails live, which record owns a key, and what kind of file an extension is.
import { createHash } from 'node:crypto';
import { extname } from 'node:path';

export const MEDIA_PREFIX = 'media/';
export const THUMBNAILS_PREFIX = 'thumbnails/';

export const MEDIA_TYPES = ['image', 'video', 'audio', 'other'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

export const THUMBNAIL_SIZES = ['large', 'small'] as const;
export type ThumbnailSize = (typeof THUMBNAIL_SIZES)[number];

/**
 * `media/{project_id}/{task_id}/{version}/{file_name}`: the spec's layout under the project, since
 * task ids are per project (docs/task-ids.md); storage.rules read the project from the path.
 */
export function mediaStorageKey(projectId: string, taskId: string, version: string, fileName: string): string {
  return `${MEDIA_PREFIX}${projectId}/${taskId}/${version}/${fileName}`;
}

/**
 * A media record's id is derived from its storage key, so one key has at most one record (creating
 * the record is the lock on the key), the same task id in two projects gives two ids, and the
 * Storage trigger finds the record from the object name.
 */
export function mediaIdFor(storageKey: string): string {
  return `media_${createHash('sha256').update(storageKey).digest('hex').slice(0, 24)}`;
}

/**
 * `thumbnails/{project_id}/{task_id}/{version}/{file_name}_thumb.jpg` (and `_thumb_small`): the media layout,
 * keeping the source extension in the name so `a.png` and `a.tif` of one version do not collide.
 */
export function thumbnailKey(storageKey: string, size: ThumbnailSize, extension: '.jpg' | '.webp'): string {
  const rest = storageKey.slice(MEDIA_PREFIX.length);
  return `${THUMBNAILS_PREFIX}${rest}_thumb${size === 'small' ? '_small' : ''}${extension}`;
}

/** Every key a thumbnail of this file may have been written under (both sizes, both formats). */
export function allThumbnailKeys(storageKey: string): string[] {
  return THUMBNAIL_SIZES.flatMap((size) => [thumbnailKey(storageKey, size, '.jpg'), thumbnailKey(storageKey, size, '.webp')]);
}

/** Lower-case extension with its dot (`.exr`), or '' when the name has none. */
export function fileExtension(fileName: string): string {
  return extname(fileName).toLowerCase();
}

const TYPES: Record<string, { mediaType: MediaType; contentType: string }> = {
  '.jpg': { mediaType: 'image', contentType: 'image/jpeg' },
  '.jpeg': { mediaType: 'image', contentType: 'image/jpeg' },
  '.png': { mediaType: 'image', contentType: 'image/png' },
  '.tif': { mediaType: 'image', contentType: 'image/tiff' },
  '.tiff': { mediaType: 'image', contentType: 'image/tiff' },
  '.webp': { mediaType: 'image', contentType: 'image/webp' },
  '.gif': { mediaType: 'image', contentType: 'image/gif' },
  '.heic': { mediaType: 'image', contentType: 'image/heic' },
  '.avif': { mediaType: 'image', contentType: 'image/avif' },
  '.exr': { mediaType: 'image', contentType: 'image/x-exr' },
  '.dpx': { mediaType: 'image', contentType: 'image/x-dpx' },
  '.hdr': { mediaType: 'image', contentType: 'image/vnd.radiance' },
  '.tga': { mediaType: 'image', contentType: 'image/x-tga' },
  '.psd': { mediaType: 'image', contentType: 'image/vnd.adobe.photoshop' },
  '.mov': { mediaType: 'video', contentType: 'video/quicktime' },
  '.mp4': { mediaType: 'video', contentType: 'video/mp4' },
  '.m4v': { mediaType: 'video', contentType: 'video/x-m4v' },
  '.mxf': { mediaType: 'video', contentType: 'application/mxf' },
  '.webm': { mediaType: 'video', contentType: 'video/webm' },
  '.avi': { mediaType: 'video', contentType: 'video/x-msvideo' },
  '.mkv': { mediaType: 'video', contentType: 'video/x-matroska' },
  '.wav': { mediaType: 'audio', contentType: 'audio/wav' },
  '.aif': { mediaType: 'audio', contentType: 'audio/aiff' },
  '.aiff': { mediaType: 'audio', contentType: 'audio/aiff' },
  '.mp3': { mediaType: 'audio', contentType: 'audio/mpeg' },
  '.flac': { mediaType: 'audio', contentType: 'audio/flac' },
  '.m4a': { mediaType: 'audio', contentType: 'audio/mp4' },
  '.ogg': { mediaType: 'audio', contentType: 'audio/ogg' },
};

export function mediaTypeOf(extension: string): MediaType {
  return TYPES[extension]?.mediaType ?? 'other';
}

/** The Content-Type files are stored and served with; decided by extension, never by the client. */
export function contentTypeOf(extension: string): string {
  return TYPES[extension]?.contentType ?? 'application/octet-stream';
}

/** Formats the trigger can decode into thumbnails (what this sharp build reads; SVG is left out on purpose). */
const THUMBNAILABLE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp', '.gif', '.heic', '.avif']);

/**
 * An image's displayed size in pixels, read from its header only (orientation applied, as the
 * Storage trigger records it), or null for files sharp cannot read. Loads sharp on first use.
 */
export async function pictureSize(data: Buffer): Promise<{ width: number; height: number } | null> {
  const { default: sharp } = await import('sharp');
  try {
    const meta = await sharp(data, { limitInputPixels: false }).metadata();
    return { width: meta.autoOrient?.width ?? meta.width, height: meta.autoOrient?.height ?? meta.height };
  } catch {
    return null;
  }
}

/** Why files with this extension get no thumbnails (EXR, video, audio, scenes...), or null when they do. */
export function noThumbnailReason(extension: string): string | null {
  return THUMBNAILABLE_EXTENSIONS.has(extension) ? null : `No thumbnails are made for ${extension || 'extension-less'} files`;
}
