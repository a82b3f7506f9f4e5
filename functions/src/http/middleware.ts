// The shared request pipeline: request ids, CORS, JSON bodies, the error envelope for every failure.
import { randomBytes } from 'node:crypto';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { logger } from 'firebase-functions';
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
 * express.json() leaves it alone. Elsewhere (tests, scripts) it parses here.
 */
export function jsonBody(limit = '10mb'): RequestHandler {
  return express.json({ limit, strict: true });
}

export function errorEnvelope(req: Request, code: keyof typeof ERROR_STATUS, message: string, details?: unknown) {
  return {
    error: {
      code,
      message,
      ...(details === undefined ? {} : { details }),
      timestamp: new Date().toISOString(),
      request_id: req.requestId ?? 'req_unknown',
    },
  };
}

export function sendError(req: Request, res: Response, err: ApiError): void {
  res.status(err.status).json(errorEnvelope(req, err.code, err.message, err.details));
}

/** Unknown paths get 404; known paths with another method get 405 with Allow. */
export function unknownRoute(allowedMethods: (path: string) => string[]): RequestHandler {
  return (req, res) => {
    const allowed = allowedMethods(req.path);
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
  const e = (err ?? {}) as HttpishError;
  if (e.type === 'entity.parse.failed') return sendError(req, res, new ApiError('VALIDATION_ERROR', `Malformed JSON body: ${e.message ?? 'could not parse'}`));
  if (e.type === 'entity.too.large') return sendError(req, res, new ApiError('PAYLOAD_TOO_LARGE', 'Request body is too large'));
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') return sendError(req, res, new ApiError('VALIDATION_ERROR', e.message ?? 'Unsupported body encoding'));
  const status = e.status ?? e.statusCode;
  if (status && status >= 400 && status < 500 && e.expose) return sendError(req, res, new ApiError('VALIDATION_ERROR', e.message ?? 'Bad request'));
  logger.error('Unhandled error', { requestId: req.requestId, path: req.path, error: err instanceof Error ? err.stack : String(err) });
  sendError(req, res, new ApiError('INTERNAL', 'Internal server error'));
};
