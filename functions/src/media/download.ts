// Serving media files and thumbnails: streamed from Storage with Content-Type, Content-Length,
// Content-Disposition, ETag (conditional GET) and single byte ranges for video scrubbing (206, or
// 416 when unsatisfiable), or a redirect to a short-lived signed URL. The router writes the reply.
import type { AppDeps } from '../config/deps.js';
import type { Caller } from '../auth/caller.js';
import { ApiError, notFound } from '../http/errors.js';
import type { Reply } from '../http/reply.js';
import type { MediaAccess } from './access.js';
import type { ThumbnailSize } from './files.js';
import { SIGNED_URL_SECONDS } from './settings.js';
import { MediaObjects } from './store.js';

type ByteRange = { start: number; end: number };

/** The request headers a file answer depends on. */
export interface FileConditions {
  range?: string | undefined;
  ifRange?: string | undefined;
  ifNoneMatch?: string | undefined;
}

interface ServedFile {
  fileName: string;
  disposition: 'inline' | 'attachment';
  /** Names the file in a 404, e.g. `media m1`. */
  what: string;
}

/**
 * Reads a `Range` header against an object of `size` bytes. Several ranges are not supported and,
 * as HTTP allows, answered with the whole object; a malformed or unsatisfiable one is an error.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'whole' | { error: string } {
  if (header === undefined) return 'whole';
  const m = /^bytes=(.*)$/.exec(header.trim());
  if (!m) return { error: `Range must be in bytes, e.g. bytes=0-1023 (got ${header.slice(0, 100)})` };
  const specs = m[1]!.split(',').map((s) => s.trim());
  if (specs.length > 1) return 'whole';
  const spec = /^(\d*)-(\d*)$/.exec(specs[0]!);
  if (!spec || (spec[1] === '' && spec[2] === '')) return { error: `Range ${header.slice(0, 100)} is malformed` };
  if (spec[1] === '') {
    const suffix = Number(spec[2]);
    if (suffix === 0 || size === 0) return { error: `Range ${header} selects no bytes of a ${size}-byte file` };
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(spec[1]);
  const end = spec[2] === '' ? size - 1 : Math.min(Number(spec[2]), size - 1);
  if (spec[2] !== '' && Number(spec[2]) < start) return { error: `Range ${header} ends before it starts` };
  if (start >= size) return { error: `Range ${header} starts beyond the end of a ${size}-byte file` };
  return { start, end };
}

/** `If-None-Match` / `If-Range` comparison (weak comparison, as GET allows). */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** The answer to a GET of a Storage object: 304, 200 or 206 with the bytes to stream, or 416 thrown. */
export async function objectReply(objects: MediaObjects, key: string, conditions: FileConditions, file: ServedFile): Promise<Reply> {
  const stat = await objects.stat(key);
  if (!stat) throw notFound(`File of ${file.what}`);
  const etag = `"${stat.md5Hex ?? stat.generation}"`;
  const validators = { ETag: etag, 'Accept-Ranges': 'bytes', 'Cache-Control': 'private, max-age=300' };
  if (etagMatches(conditions.ifNoneMatch, etag)) return { status: 304, headers: validators };

  const range = conditions.ifRange !== undefined && !etagMatches(conditions.ifRange, etag) ? 'whole' : parseRange(conditions.range, stat.size);
  if (typeof range === 'object' && 'error' in range) {
    throw new ApiError('RANGE_NOT_SATISFIABLE', range.error, { field: 'Range', issue: 'not satisfiable' }, { headers: { ...validators, 'Content-Range': `bytes */${stat.size}` } });
  }
  const headers = {
    ...validators,
    'Content-Type': stat.contentType,
    'Content-Disposition': `${file.disposition}; filename="${file.fileName}"`,
    ...(stat.updated ? { 'Last-Modified': new Date(stat.updated).toUTCString() } : {}),
  };
  const reply: Reply =
    range === 'whole'
      ? { status: 200, headers: { ...headers, 'Content-Length': String(stat.size) } }
      : { status: 206, headers: { ...headers, 'Content-Length': String(range.end - range.start + 1), 'Content-Range': `bytes ${range.start}-${range.end}/${stat.size}` } };
  if (stat.size > 0) reply.stream = () => objects.read(key, range === 'whole' ? undefined : range);
  return reply;
}

/** `GET /media/{id}/download` and `/thumbnail`. */
export class MediaFiles {
  constructor(
    deps: AppDeps,
    private readonly checks: MediaAccess,
    private readonly objects = new MediaObjects(deps),
  ) {}

  async download(caller: Caller, id: string, redirect: boolean, conditions: FileConditions): Promise<Reply> {
    const snap = await this.checks.withFile(caller, id);
    const fileName = snap.get('file_name') as string;
    return this.serve(snap.get('storage_key') as string, redirect, conditions, { fileName, disposition: 'attachment', what: `media ${id}` });
  }

  async thumbnail(caller: Caller, id: string, size: ThumbnailSize, redirect: boolean, conditions: FileConditions): Promise<Reply> {
    const snap = await this.checks.withFile(caller, id);
    const key = snap.get(size === 'small' ? 'thumbnail_small_key' : 'thumbnail_key') as string | null;
    if (snap.get('thumbnail_status') !== 'ready' || !key) {
      const reason = snap.get('thumbnail_error') as string | null;
      throw new ApiError('NOT_FOUND', `Media ${id} has no thumbnail (thumbnail_status ${snap.get('thumbnail_status')}${reason ? `: ${reason}` : ''})`);
    }
    return this.serve(key, redirect, conditions, { fileName: key.split('/').pop()!, disposition: 'inline', what: `the thumbnail of media ${id}` });
  }

  private async serve(key: string, redirect: boolean, conditions: FileConditions, file: ServedFile): Promise<Reply> {
    if (!redirect) return objectReply(this.objects, key, conditions, file);
    const stat = await this.objects.stat(key);
    if (!stat) throw notFound(`File of ${file.what}`);
    const url = await this.objects.readUrl(key, SIGNED_URL_SECONDS, `${file.disposition}; filename="${file.fileName}"`, stat.contentType);
    return { status: 302, headers: { Location: url, 'Cache-Control': 'no-store' } };
  }
}
