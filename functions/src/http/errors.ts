// The spec's error codes and the one error type every layer throws; the error middleware turns it
// into the envelope.
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  readonly status: number;
  /** Sent as the Retry-After header: the request may succeed if made again after this long. */
  readonly retryAfterSeconds: number | undefined;
  /** More headers for the error response (e.g. Content-Range on a 416). */
  readonly headers: Record<string, string> | undefined;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options: { retryAfterSeconds?: number; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers;
  }
}

export const validationError = (message: string, details?: unknown) => new ApiError('VALIDATION_ERROR', message, details);
export const unauthenticated = (message: string) => new ApiError('UNAUTHENTICATED', message);
export const forbidden = (message: string) => new ApiError('PERMISSION_DENIED', message);
export const notFound = (what: string) => new ApiError('NOT_FOUND', `${what} not found`);
export const conflict = (message: string, details?: unknown) => new ApiError('CONFLICT', message, details);
export const preconditionFailed = (message: string) => new ApiError('PRECONDITION_FAILED', message);
export const unprocessable = (message: string, details?: unknown) => new ApiError('UNPROCESSABLE', message, details);
export const payloadTooLarge = (message: string) => new ApiError('PAYLOAD_TOO_LARGE', message);
