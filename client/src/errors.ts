// Failures as typed objects. An answer from the API carries the spec's envelope
// {error: {code, message, details, timestamp, request_id}}; a request that got no answer at all
// (offline, DNS, refused connection) is a MontuNetworkError, which is what the offline client
// waits out.
import type { components } from './generated/openapi.js';

export type ErrorEnvelope = components['schemas']['ErrorEnvelope'];
export type ErrorCode = ErrorEnvelope['error']['code'];

export class MontuApiError extends Error {
  override readonly name = 'MontuApiError';
  /** The envelope's code; `HTTP_<status>` when the answer had no envelope (a proxy, an emulator page). */
  readonly code: ErrorCode | `HTTP_${number}`;
  readonly details: unknown;
  readonly timestamp: string | null;
  readonly requestId: string | null;

  constructor(
    readonly status: number,
    /** The answer's envelope as sent, or null when it had none. */
    readonly envelope: ErrorEnvelope | null,
    readonly headers: Headers,
    fallbackMessage: string,
  ) {
    super(envelope?.error.message ?? fallbackMessage);
    this.code = envelope?.error.code ?? `HTTP_${status}`;
    this.details = envelope?.error.details;
    this.timestamp = envelope?.error.timestamp ?? null;
    this.requestId = envelope?.error.request_id ?? null;
  }

  static async from(res: Response): Promise<MontuApiError> {
    const text = await res.text();
    let envelope: ErrorEnvelope | null = null;
    try {
      const parsed: unknown = JSON.parse(text);
      if (isEnvelope(parsed)) envelope = parsed;
    } catch {
      // Not JSON: kept as the message below.
    }
    return new MontuApiError(res.status, envelope, res.headers, `${res.status} ${res.statusText}: ${text.slice(0, 200)}`);
  }
}

function isEnvelope(value: unknown): value is ErrorEnvelope {
  const error = (value as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

export class MontuNetworkError extends Error {
  override readonly name = 'MontuNetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** True for a request that never got an answer: queue the write, serve the read from cache. */
export function isOffline(error: unknown): error is MontuNetworkError {
  return error instanceof MontuNetworkError;
}
