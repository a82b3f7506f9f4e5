// The one multipart/form-data reader (media uploads, CSV imports). In Cloud Functions and its
// emulator the body has already been read into `req.rawBody`, so busboy is fed that buffer; in tests
// and scripts it reads the request stream. Files are held in memory: an HTTPS function's body is
// capped at 32 MB anyway, and larger media go straight to Storage through a signed upload URL.
import type { Request } from 'express';
import type { FileInfo } from 'busboy';
import type { z } from 'zod';
import { ApiError, payloadTooLarge, validationError } from './errors.js';
import { parseOrThrow } from './validate.js';

export interface MultipartLimits {
  /** Largest accepted file in bytes; a larger one is refused with 413. */
  maxFileBytes: number;
  /** Most files in one request (default 1). */
  maxFiles?: number;
  /** Most non-file fields (default 20). */
  maxFields?: number;
  /** Longest non-file field value in bytes (default 64 KiB). */
  maxFieldBytes?: number;
  /** The 413 message, where the route has a better hint than "File x is larger than the n-byte limit". */
  tooLarge?: string;
}

export interface MultipartFile {
  /** The form field the file came in (e.g. `file`). */
  field: string;
  /** The client's file name, without any directory part. */
  fileName: string;
  mimeType: string;
  data: Buffer;
}

export interface MultipartForm {
  /** Text fields; a field sent more than once becomes an array, in order. */
  fields: Record<string, string | string[]>;
  files: MultipartFile[];
}

const DEFAULTS = { maxFiles: 1, maxFields: 20, maxFieldBytes: 64 * 1024 };

/**
 * Reads a multipart/form-data request. Throws 400 for a request that is not multipart or is
 * malformed, truncated or over the field and file counts, and 413 for a file over `maxFileBytes`; it stops
 * keeping data as soon as a limit is crossed and drains the rest of the request.
 */
export async function readMultipart(req: Request, limits: MultipartLimits): Promise<MultipartForm> {
  const { maxFiles, maxFields, maxFieldBytes } = { ...DEFAULTS, ...limits };
  if (!req.is('multipart/form-data')) {
    throw validationError('Request body must be multipart/form-data', { field: 'Content-Type', issue: `got ${req.get('content-type') ?? 'none'}` });
  }
  const { default: busboy } = await import('busboy');
  let parser: ReturnType<typeof busboy>;
  try {
    parser = busboy({
      headers: req.headers,
      // busboy calls a value that reaches its limit truncated, so one byte over ours is where it stops.
      limits: { fileSize: limits.maxFileBytes + 1, files: maxFiles, fields: maxFields, fieldSize: maxFieldBytes + 1 },
    });
  } catch (err) {
    throw validationError(`Malformed multipart request: ${(err as Error).message}`);
  }

  return new Promise<MultipartForm>((resolve, reject) => {
    const fields: MultipartForm['fields'] = {};
    const files: MultipartFile[] = [];
    let settled = false;

    const fail = (err: ApiError) => {
      if (settled) return;
      settled = true;
      // Stop parsing; whatever the client still sends is read and dropped so it sees our answer.
      if (!req.rawBody) {
        req.unpipe(parser);
        req.resume();
      }
      parser.removeAllListeners();
      parser.on('error', () => undefined);
      reject(err);
    };

    parser.on('field', (name: string, value: string, info: { valueTruncated: boolean; nameTruncated: boolean }) => {
      if (info.valueTruncated || info.nameTruncated) return fail(validationError(`Form field ${name} is longer than ${maxFieldBytes} bytes`, { field: name, issue: 'too long' }));
      const previous = fields[name];
      fields[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
    });

    parser.on('file', (field: string, stream: NodeJS.ReadableStream & { truncated?: boolean }, info: FileInfo) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(payloadTooLarge(limits.tooLarge ?? `File ${info.filename ?? field} is larger than the ${limits.maxFileBytes}-byte limit`)));
      // A body cut off inside a file destroys the file stream with an error; unheard, it would crash the process.
      stream.on('error', (err: Error) => fail(validationError(`Malformed multipart request: ${err.message}`)));
      stream.on('end', () => {
        if (settled || stream.truncated) return;
        files.push({ field, fileName: baseName(info.filename ?? ''), mimeType: info.mimeType, data: Buffer.concat(chunks) });
      });
    });

    parser.on('filesLimit', () => fail(validationError(`At most ${maxFiles} file(s) may be uploaded in one request`, { field: 'file', issue: 'too many files' })));
    parser.on('fieldsLimit', () => fail(validationError(`At most ${maxFields} form fields may be sent`, { field: 'body', issue: 'too many fields' })));
    parser.on('error', (err: Error) => fail(validationError(`Malformed multipart request: ${err.message}`)));
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      resolve({ fields, files });
    });

    if (req.rawBody) {
      parser.end(req.rawBody);
    } else {
      req.on('close', () => {
        if (!req.complete) fail(validationError('The upload was interrupted before the request body was complete'));
      });
      req.pipe(parser);
    }
  });
}

/**
 * A route's multipart body (the `multipart` option of a route declaration): its text fields,
 * validated like a JSON body, and the one file part it requires. The OpenAPI document shows the
 * fields with the file part after them.
 */
export interface MultipartBody<F extends z.ZodObject = z.ZodObject> {
  fields: F;
  file: {
    /** The form field that carries the file, e.g. `file`. */
    name: string;
    description: string;
    /** The message when the request has no such file part. */
    missing: string;
  };
  limits: MultipartLimits;
}

/** What the handler of a multipart route receives: the validated fields and the file. */
export interface Form<F> {
  fields: F;
  file: MultipartFile;
}

/** Reads and checks a route's multipart body: a file sent as text, bad fields, then a missing file are refused with 400. */
export async function readForm<F extends z.ZodObject>(req: Request, body: MultipartBody<F>): Promise<Form<z.output<F>>> {
  const form = await readMultipart(req, body.limits);
  const name = body.file.name;
  if (name in form.fields) throw validationError(`${name} must be sent as a file part, not a text field`, { field: name, issue: 'not a file' });
  const fields = parseOrThrow(body.fields, form.fields, 'body');
  const file = form.files.find((f) => f.field === name);
  if (!file) throw validationError(body.file.missing, { field: name, issue: 'required' });
  return { fields, file };
}

/** Browsers on Windows may send `C:\\path\\file.png`; only the last segment is the name. */
function baseName(name: string): string {
  return name.split(/[\\/]/).pop() ?? '';
}
