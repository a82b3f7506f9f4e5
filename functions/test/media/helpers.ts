// Arrangement shared by the media tests: a project with members and tasks, image fixtures made
// with sharp, uploads through the API, and the Storage trigger invoked as Cloud Functions would.
import { deflateSync, crc32 } from 'node:zlib';
import { FieldValue } from 'firebase-admin/firestore';
import sharp from 'sharp';
import { handleObjectDeleted, handleObjectFinalized } from '../../src/media/storage-events.js';
import type { ThumbnailSettings } from '../../src/media/settings.js';
import { THUMBNAIL_SETTINGS } from '../../src/media/settings.js';
import type { TestContext, TestUser } from '../support/context.js';

export interface Studio {
  projectId: string;
  /** write on the project */
  artist: TestUser;
  /** review on the project: approves or rejects others' uploads */
  supervisor: TestUser;
  /** read only */
  viewer: TestUser;
  /** not a member */
  outsider: TestUser;
}

export async function seedStudio(ctx: TestContext, projectId: string): Promise<Studio> {
  await ctx.seedProject(projectId);
  const [artist, supervisor, viewer, outsider] = await Promise.all([ctx.createUser({ name: 'artist' }), ctx.createUser({ name: 'supervisor' }), ctx.createUser({ name: 'viewer' }), ctx.createUser({ name: 'outsider' })]);
  await Promise.all([ctx.addMember(projectId, artist, ['write']), ctx.addMember(projectId, supervisor, ['review']), ctx.addMember(projectId, viewer, ['read'])]);
  return { projectId, artist, supervisor, viewer, outsider };
}

/** Writes a task document directly (test arrangement). */
export async function seedTask(ctx: TestContext, projectId: string, id: string, status = 'in_progress'): Promise<void> {
  await ctx.taskDoc(projectId, id).set({
    id,
    project_id: projectId,
    task: id.split('_').pop(),
    status,
    priority: 'medium',
    archived: status === 'archived',
    frame_range: { start: 1001, end: 1100 },
    updated_by: 'seed',
    created_at: FieldValue.serverTimestamp(),
    updated_at: FieldValue.serverTimestamp(),
  });
}

// --- fixtures -----------------------------------------------------------------------------------

const gradient = (width: number, height: number, channels: 3 | 4) => {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      data[i] = (x * 255) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = 128;
      if (channels === 4) data[i + 3] = x < width / 2 ? 255 : 64;
    }
  }
  return sharp(data, { raw: { width, height, channels } });
};

export const fixtures = {
  png: (width = 1024, height = 768) => gradient(width, height, 3).png().toBuffer(),
  pngWithAlpha: (width = 800, height = 600) => gradient(width, height, 4).png().toBuffer(),
  jpeg: (width = 1920, height = 1080) => gradient(width, height, 3).jpeg({ quality: 90 }).toBuffer(),
  tiff: (width = 640, height = 480) => gradient(width, height, 3).tiff().toBuffer(),
  png16: (width = 300, height = 200) => gradient(width, height, 3).toColourspace('rgb16').png().toBuffer(),
  /** A JPEG cut off after its header: the dimensions read fine, the pixels do not. */
  corruptJpeg: async () => {
    const whole = await gradient(640, 480, 3).jpeg().toBuffer();
    return whole.subarray(0, Math.floor(whole.length / 3));
  },
  /**
   * A decompression bomb: a valid 1-bit PNG of 20000x20000 pixels (400 MP) that is about 50 KB on
   * disk and would decode to over a gigabyte. Written by hand: sharp itself would have to hold it.
   */
  hugePng: (side = 20000) => {
    const chunk = (type: string, data: Buffer) => {
      const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
      const out = Buffer.alloc(12 + data.length);
      out.writeUInt32BE(data.length, 0);
      body.copy(out, 4);
      out.writeUInt32BE(crc32(body), 8 + data.length);
      return out;
    };
    const header = Buffer.alloc(13);
    header.writeUInt32BE(side, 0);
    header.writeUInt32BE(side, 4);
    header[8] = 1; // bit depth
    header[9] = 0; // greyscale
    const rowBytes = 1 + Math.ceil(side / 8);
    const pixels = deflateSync(Buffer.alloc(rowBytes * side), { level: 9 });
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
  },
};

// --- the API and the trigger ---------------------------------------------------------------------

export function upload(ctx: TestContext, user: TestUser, file: { name: string; data: Buffer }, fields: Record<string, string> = {}) {
  let req = ctx.http().post('/api/v1/media').set('Authorization', user.bearer);
  for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
  return req.attach('file', file.data, file.name);
}

/**
 * The CloudEvent Cloud Storage sends when `key` (as stored now) is finalized: its data is the
 * object resource, generation and size as strings.
 */
export async function finalizedEvent(ctx: TestContext, key: string) {
  const [md] = await ctx.deps.bucket.file(key).getMetadata();
  return {
    specversion: '1.0',
    id: `${md.generation}-${key}`,
    type: 'google.cloud.storage.object.v1.finalized',
    source: `//storage.googleapis.com/projects/_/buckets/${md.bucket}`,
    subject: `objects/${key}`,
    time: md.updated,
    bucket: md.bucket,
    data: { ...md, bucket: md.bucket!, name: md.name!, generation: String(md.generation) },
  };
}

/** Delivers that event to the trigger's handler, as the `onObjectFinalized` export does. */
export async function finalize(ctx: TestContext, key: string, settings: ThumbnailSettings = THUMBNAIL_SETTINGS) {
  const event = await finalizedEvent(ctx, key);
  return handleObjectFinalized(ctx.deps, event.data, settings);
}

export async function objectDeleted(ctx: TestContext, key: string, generation = '1') {
  return handleObjectDeleted(ctx.deps, { bucket: ctx.deps.bucket.name, name: key, generation });
}

/** Every object under a prefix, sorted. */
export async function storedKeys(ctx: TestContext, prefix: string): Promise<string[]> {
  const [files] = await ctx.deps.bucket.getFiles({ prefix });
  return files.map((f) => f.name).sort();
}

/** Ids of media records linked to a task, whatever their status. */
export async function mediaOfTask(ctx: TestContext, taskId: string): Promise<string[]> {
  const snap = await ctx.db.collection('media').where('linked_task_id', '==', taskId).get();
  return snap.docs.map((d) => d.id).sort();
}

/** Supertest parser: the whole response body as a Buffer (supertest hands it the response stream). */
export function binary(res: unknown, callback: (err: Error | null, body: Buffer) => void) {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => callback(null, Buffer.concat(chunks)));
}
