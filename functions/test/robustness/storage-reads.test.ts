// Every Storage download the functions make (an import's source, a media download, a thumbnail's
// original) must log no MaxListenersExceededWarning: operators read it as a leak.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadObject, readObject } from '../../src/lib/storage-reads.js';
import { createTestContext } from '../support/context.js';

const ctx = createTestContext('storage-reads');
const KEY = 'storage-reads/source.csv';
const SIZE = 4 << 20;

const leakWarnings: string[] = [];
const onWarning = (warning: Error) => {
  if (warning.name === 'MaxListenersExceededWarning') leakWarnings.push(warning.message);
};

beforeAll(async () => {
  await ctx.deps.bucket.file(KEY).save(Buffer.alloc(SIZE, 'shot,task\n'), { resumable: false });
  process.on('warning', onWarning);
});
afterAll(() => {
  process.off('warning', onWarning);
});

/** The warnings `read` caused (Node emits them on a later tick). */
async function warningsOf(read: () => Promise<number>) {
  leakWarnings.length = 0;
  const bytes = await read();
  await new Promise((resolve) => setImmediate(resolve));
  return { bytes, warnings: [...leakWarnings] };
}

const streamed = async (stream: NodeJS.ReadableStream) => {
  let bytes = 0;
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  return bytes;
};

describe('Storage reads', () => {
  it('the bare client still puts more than 10 listeners on a download (when this fails, upstream fixed it: storage-reads.ts can go)', async () => {
    const stream = ctx.deps.bucket.file(KEY).createReadStream();
    let body: NodeJS.EventEmitter | undefined;
    let most = 0;
    // Unlimited for this body, so the control itself prints no warning.
    stream.once('response', (b: NodeJS.EventEmitter) => (body = b.setMaxListeners(0)));
    for await (const _chunk of stream) most = Math.max(most, body?.listenerCount('error') ?? 0, body?.listenerCount('close') ?? 0);
    expect(most).toBeGreaterThan(10);
  });

  it('reads whole objects, checksummed or not, and byte ranges without the warning', async () => {
    for (const options of [undefined, { validation: false as const }, { validation: false as const, start: 10, end: 1_000_009 }]) {
      const { bytes, warnings } = await warningsOf(() => streamed(readObject(ctx.deps.bucket, KEY, options)));
      expect(bytes).toBe(options?.end ? 1_000_000 : SIZE);
      expect(warnings).toEqual([]);
    }
  });

  it('downloads an object into memory without the warning, and fails as the client does for a missing one', async () => {
    const { bytes, warnings } = await warningsOf(async () => (await downloadObject(ctx.deps.bucket, KEY, { validation: false })).length);
    expect(bytes).toBe(SIZE);
    expect(warnings).toEqual([]);
    await expect(downloadObject(ctx.deps.bucket, 'storage-reads/missing.csv')).rejects.toMatchObject({ code: 404 });
  });
});
