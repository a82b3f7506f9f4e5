// Streams a Storage object as an HTTP response: Content-Type, Content-Length, Content-Disposition,
// ETag (conditional GET), and single byte ranges for video scrubbing (206, or 416 when unsatisfiable).
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { logger } from 'firebase-functions';
import { notFound } from '../http/errors.js';
import { errorEnvelope } from '../http/middleware.js';
import type { MediaObjects } from './store.js';

type ByteRange = { start: number; end: number };

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

export async function sendObject(
  objects: MediaObjects,
  key: string,
  req: Request,
  res: Response,
  options: { fileName: string; disposition: 'inline' | 'attachment'; what: string },
): Promise<undefined> {
  const stat = await objects.stat(key);
  if (!stat) throw notFound(`File of ${options.what}`);
  const etag = `"${stat.md5Hex ?? stat.generation}"`;
  res.set({ ETag: etag, 'Accept-Ranges': 'bytes', 'Cache-Control': 'private, max-age=300' });
  if (etagMatches(req.get('if-none-match'), etag)) {
    res.status(304).end();
    return undefined;
  }

  const ifRange = req.get('if-range');
  const range = ifRange !== undefined && !etagMatches(ifRange, etag) ? 'whole' : parseRange(req.get('range'), stat.size);
  if (typeof range === 'object' && 'error' in range) {
    res.set('Content-Range', `bytes */${stat.size}`);
    res.status(416).json(errorEnvelope(req, 'RANGE_NOT_SATISFIABLE', range.error, { field: 'Range', issue: 'not satisfiable' }));
    return undefined;
  }
  res.set({
    'Content-Type': stat.contentType,
    'Content-Disposition': `${options.disposition}; filename="${options.fileName}"`,
    ...(stat.updated ? { 'Last-Modified': new Date(stat.updated).toUTCString() } : {}),
  });
  if (range === 'whole') {
    res.status(200).set('Content-Length', String(stat.size));
  } else {
    res.status(206).set({ 'Content-Length': String(range.end - range.start + 1), 'Content-Range': `bytes ${range.start}-${range.end}/${stat.size}` });
  }
  if (req.method === 'HEAD' || stat.size === 0) {
    res.end();
    return undefined;
  }
  try {
    await pipeline(objects.read(key, range === 'whole' ? undefined : range), res);
  } catch (err) {
    // Headers are gone already; all that is left is to cut the connection so the client sees a short body.
    logger.warn('Media stream interrupted', { key, requestId: req.requestId, error: String(err) });
    res.destroy();
  }
  return undefined;
}
