// The shared request pipeline: request ids, CORS, JSON bodies, the error envelope for every failure.
import { randomBytes } from 'node:crypto';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import * as logger from 'firebase-functions/logger';
import { retryLaterError } from '../lib/transaction.js';
import { ApiError, ERROR_STATUS } from './errors.js';

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
    rawBody?: Buffer;
  }
}

const REQUEST_ID = /^[\w.-]{1,64}$/;

/** Every request gets an id (the caller's X-Request-Id if sane), returned in a header and in errors. */
export const requestId: RequestHandler = (req, res, next) => {
  const given = req.get('x-request-id');
  req.requestId = given && REQUEST_ID.test(given) ? given : `req_${randomBytes(8).toString('hex')}`;
  res.set('X-Request-Id', req.requestId);
  next();
};

/** Browsers must take every answer as the type it declares: uploaded media never get sniffed into HTML or script. */
export const noSniff: RequestHandler = (_req, res, next) => {
  res.set('X-Content-Type-Options', 'nosniff');
  next();
};

export function cors(origins: string[]): RequestHandler {
  const any = origins.includes('*');
  return (req, res, next) => {
    const origin = req.get('origin');
    if (origin && (any || origins.includes(origin))) {
      res.set('Access-Control-Allow-Origin', any ? '*' : origin);
      res.set('Vary', 'Origin');
      res.set('Access-Control-Expose-Headers', 'ETag, X-Request-Id, Retry-After, Content-Disposition');
      if (req.method === 'OPTIONS') {
        res.set('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
        res.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, If-Match, X-Request-Id, Range');
        res.set('Access-Control-Max-Age', '3600');
        res.status(204).end();
        return;
      }
    }
    next();
  };
}

/**
 * JSON bodies. In Cloud Functions (and its emulator) the body was already read and parsed; then
 * express.json() leaves it alone. Elsewhere (tests, scripts) it parses here. Either way the parsed
 * body is then checked for what no route can take (see `jsonBodyProblem`).
 */
export function jsonBody(limit = '10mb'): RequestHandler {
  const parse = express.json({ limit, strict: true });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (err) return next(err);
      next(req.body === undefined ? undefined : jsonBodyProblem(req.body));
    });
  };
}

/** Firestore stores 20 levels; deeper JSON is never legitimate and would exhaust recursive validators' stacks. */
export const MAX_JSON_DEPTH = 64;

/**
 * Walks a parsed body without recursion: refuses nesting deeper than MAX_JSON_DEPTH, keys named
 * `__proto__` (copied by assignment, as validators do, they set a prototype instead of a field),
 * and strings or keys that are not well-formed Unicode (a lone surrogate such as `"\ud800"` parses,
 * but Firestore cannot encode it).
 */
export function jsonBodyProblem(body: unknown): ApiError | undefined {
  const stack: { value: unknown; depth: number; path: string[] }[] = [{ value: body, depth: 0, path: [] }];
  const field = (path: string[]) => path.join('.') || 'body';
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (!value.isWellFormed()) return new ApiError('VALIDATION_ERROR', `${field(path)}: text is not valid Unicode (it holds a lone surrogate)`, { field: field(path), issue: 'not valid Unicode' });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) return new ApiError('VALIDATION_ERROR', `JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`, { field: field(path), issue: 'nested too deep' });
    for (const [key, child] of Object.entries(value)) {
      if (key === '__proto__') return new ApiError('VALIDATION_ERROR', `${field(path)}: a field may not be named __proto__`, { field: field([...path, key]), issue: 'reserved name' });
      if (!key.isWellFormed()) return new ApiError('VALIDATION_ERROR', `${field(path)}: a field name is not valid Unicode (it holds a lone surrogate)`, { field: field(path), issue: 'not valid Unicode' });
      stack.push({ value: child, depth: depth + 1, path: [...path, key] });
    }
  }
  return undefined;
}

/** The spec's envelope; `details` is always there: null where there is nothing to add. */
export function errorEnvelope(req: Request, code: keyof typeof ERROR_STATUS, message: string, details?: unknown) {
  return {
    error: {
      code,
      message,
      details: details ?? null,
      timestamp: new Date().toISOString(),
      request_id: req.requestId ?? 'req_unknown',
    },
  };
}

export function sendError(req: Request, res: Response, err: ApiError): void {
  if (err.headers) res.set(err.headers);
  if (err.retryAfterSeconds !== undefined) res.set('Retry-After', String(err.retryAfterSeconds));
  res.status(err.status).json(errorEnvelope(req, err.code, err.message, err.details));
}

/** Unknown paths get 404; known paths with another method get 405 with Allow. */
export function unknownRoute(allowedMethods: (path: string) => Promise<string[]>): RequestHandler {
  return async (req, res) => {
    const allowed = await allowedMethods(req.path);
    if (allowed.length > 0) {
      res.set('Allow', allowed.join(', ').toUpperCase());
      sendError(req, res, new ApiError('METHOD_NOT_ALLOWED', `Method ${req.method} is not allowed on ${req.path}; allowed: ${allowed.join(', ').toUpperCase()}`));
      return;
    }
    sendError(req, res, new ApiError('NOT_FOUND', `No route for ${req.method} ${req.path}`));
  };
}

interface HttpishError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
}

/** The last middleware: every failure leaves as the spec's envelope, never a stack trace. */
export const errorHandler: ErrorRequestHandler = (err: unknown, req: Request, res: Response, _next: NextFunction) => {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof ApiError) return sendError(req, res, err);
  // A Firestore call outside a transaction that lost a race or found the database unavailable.
  const transient = retryLaterError(err, 'What this request changes');
  if (transient) return sendError(req, res, transient);
  const e = (err ?? {}) as HttpishError;
  if (e.type === 'entity.parse.failed') return sendError(req, res, new ApiError('VALIDATION_ERROR', `Malformed JSON body: ${e.message ?? 'could not parse'}`));
  if (e.type === 'entity.too.large') return sendError(req, res, new ApiError('PAYLOAD_TOO_LARGE', 'Request body is too large'));
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') return sendError(req, res, new ApiError('VALIDATION_ERROR', e.message ?? 'Unsupported body encoding'));
  // The router could not percent-decode a path parameter (e.g. `/tasks/%E0%A4%A`).
  if (err instanceof URIError) return sendError(req, res, new ApiError('VALIDATION_ERROR', 'The URL path holds malformed percent-encoding', { field: 'path', issue: 'malformed percent-encoding' }));
  const status = e.status ?? e.statusCode;
  if (status && status >= 400 && status < 500 && e.expose) return sendError(req, res, new ApiError('VALIDATION_ERROR', e.message ?? 'Bad request'));
  logger.error('Unhandled error', { requestId: req.requestId, path: req.path, error: err instanceof Error ? err.stack : String(err) });
  sendError(req, res, new ApiError('INTERNAL', 'Internal server error'));
};
