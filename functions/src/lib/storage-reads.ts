// Reading Storage objects. The Storage client (8.x) pipes each download's HTTP body into its own
// checks and into teeny-request's stream at once: up to 12 'error' and 'close' listeners on that one
// body, and Node warns of a leak past 10 (MaxListenersExceededWarning, logged on every import and
// media download). They go with the body, the same number every time (googleapis/google-cloud-node#9185),
// so the limit is raised for that body alone when it arrives, never process-wide.
import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { Bucket } from '../config/deps.js';

type ReadOptions = Parameters<ReturnType<Bucket['file']>['createReadStream']>[0];

/** The listeners the client attaches to one download's body (12 measured), with room for a minor release. */
const BODY_LISTENERS = 20;

/** A stream of the object's bytes (`validation` and a byte range as the Storage client takes them). */
export function readObject(bucket: Bucket, key: string, options?: ReadOptions): Readable {
  const stream = bucket.file(key).createReadStream(options);
  // The client emits the body as 'response' before it pipes it anywhere.
  stream.once('response', (body: EventEmitter) => body.setMaxListeners(BODY_LISTENERS));
  return stream;
}

/** The whole object in memory (for thumbnails: sharp wants a buffer). */
export async function downloadObject(bucket: Bucket, key: string, options?: ReadOptions): Promise<Buffer> {
  return buffer(readObject(bucket, key, options));
}
