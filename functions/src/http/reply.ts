// What a route handler (or a service answering with a file) returns; the router writes it. Kept
// apart from route.ts so services can build a reply without reaching for the HTTP framework.
import type { Readable } from 'node:stream';

export interface Reply {
  status: number;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** A body streamed as is (files), opened only when the response carries one (not for HEAD). */
  stream?: () => Readable;
}
