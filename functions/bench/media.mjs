// Media figures: the Storage trigger on a 24-megapixel JPEG (time for both thumbnails, whole
// handler time, peak memory of the process running it) and upload throughput through POST /media
// for a 30 MiB file. The trigger runs in a child process so its peak RSS is its own, not the
// emulators'. Run: npx tsc -p tsconfig.build.json && node bench/media.mjs
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initializeApp } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { getFirestore } from 'firebase-admin/firestore';
import { getStorage } from 'firebase-admin/storage';

const PROJECT = 'demo-montu';
const DATA_PROJECT = 'demo-bench-media';
const BUCKET = `${DATA_PROJECT}.appspot.com`;
const TASK = 'ep00_sq0010_sh0020_comp';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const firebase = () => {
  const auth = initializeApp({ projectId: PROJECT, storageBucket: BUCKET }, 'auth');
  const db = getFirestore(initializeApp({ projectId: DATA_PROJECT }, 'data'));
  db.settings({ ignoreUndefinedProperties: true });
  return { db, auth: getAuth(auth), bucket: getStorage(auth).bucket() };
};

if (process.argv[2] === '--trigger') {
  await triggerChild(process.argv[3]);
} else {
  await main();
}

/** The child: what one trigger instance does, measured from inside. */
async function triggerChild(fixturePath) {
  const { makeThumbnails, handleObjectFinalized } = await import('../lib/media/thumbnail-trigger.js');
  const { mediaIdFor } = await import('../lib/media/files.js');
  const { db, bucket } = firebase();
  const input = await readFile(fixturePath);
  const baselineMb = process.memoryUsage().rss / 2 ** 20;

  const sharpMs = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    await makeThumbnails(input);
    sharpMs.push(performance.now() - t0);
  }

  const handlerMs = [];
  for (let i = 0; i < 5; i++) {
    const key = `media/${TASK}/v00${i + 1}/plate_24mp.jpg`;
    const id = mediaIdFor(key);
    await bucket.file(key).save(input, { resumable: false, contentType: 'image/jpeg' });
    await db.doc(`media/${id}`).set({ storage_key: key, file_extension: '.jpg', thumbnail_status: 'pending', file_generation: null, metadata: { color_space: null } });
    const [md] = await bucket.file(key).getMetadata();
    const t0 = performance.now();
    const outcome = await handleObjectFinalized({ db, bucket, config: { maxFileSizeBytes: 2 ** 31 } }, { bucket: bucket.name, name: key, generation: md.generation });
    handlerMs.push(performance.now() - t0);
    if (outcome !== 'ready') throw new Error(`trigger answered ${outcome}`);
  }
  const facts = (await db.doc(`media/${mediaIdFor(`media/${TASK}/v001/plate_24mp.jpg`)}`).get()).get('metadata');
  process.send({ sharpMs, handlerMs, baselineMb, peakMb: process.resourceUsage().maxRSS / 1024, width: facts.width, height: facts.height });
  process.exit(0);
}

async function main() {
  const { startOfflineStackOnFreePorts } = await import('../../stack/offline.mjs');
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  process.env.GCLOUD_PROJECT ??= PROJECT;
  const stack = await startOfflineStackOnFreePorts({ projectId: PROJECT });
  Object.assign(process.env, stack.env);
  const dir = await mkdtemp(join(tmpdir(), 'media-bench-'));
  try {
    await triggerFigures(dir);
    await uploadFigures();
  } finally {
    await rm(dir, { recursive: true, force: true });
    await stack.stop();
  }
  process.exit(0);
}

async function triggerFigures(dir) {
  const { default: sharp } = await import('sharp');
  // Noise, softened: compresses like a photograph rather than a flat test card.
  const jpeg = await sharp({ create: { width: 6000, height: 4000, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .blur(1.5)
    .jpeg({ quality: 90 })
    .toBuffer();
  const fixture = join(dir, 'plate_24mp.jpg');
  await writeFile(fixture, jpeg);
  const child = fork(new URL(import.meta.url).pathname, ['--trigger', fixture], { env: process.env });
  const result = await new Promise((resolve, reject) => {
    child.on('message', resolve);
    child.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`trigger child exited with ${code}`))));
  });
  console.log(`24 MP JPEG (${result.width}x${result.height}, ${(jpeg.length / 2 ** 20).toFixed(1)} MiB):`);
  console.log(`  both thumbnails (decode + 512 px + 128 px): median ${median(result.sharpMs).toFixed(0)} ms of ${result.sharpMs.length} (min ${Math.min(...result.sharpMs).toFixed(0)}, max ${Math.max(...result.sharpMs).toFixed(0)})`);
  console.log(`  whole trigger handler (stat, download, thumbnails, 2 uploads, transaction): median ${median(result.handlerMs).toFixed(0)} ms of ${result.handlerMs.length}`);
  console.log(`  trigger process peak RSS: ${result.peakMb.toFixed(0)} MiB (after start-up: ${result.baselineMb.toFixed(0)} MiB)`);
}

async function uploadFigures() {
  const { createApp } = await import('../lib/app.js');
  const { defaultConfig } = await import('../lib/config.js');
  const { db, auth, bucket } = firebase();
  const app = createApp({ db, auth, bucket, clock: () => new Date(), config: defaultConfig({ projectId: PROJECT }) });

  await db.doc('projects/SWA').set({ name: 'SWA', status: 'active' });
  await db.doc(`tasks/${TASK}`).set({ id: TASK, project_id: 'SWA', status: 'in_progress' });
  const user = await auth.createUser({ email: 'bench@studio.test', password: 'bench-password' });
  await db.doc(`projects/SWA/members/${user.uid}`).set({ uid: user.uid, project_id: 'SWA', permissions: ['read', 'write'] });
  const signIn = await fetch(`http://${process.env.FIREBASE_AUTH_EMULATOR_HOST}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=bench`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@studio.test', password: 'bench-password', returnSecureToken: true }),
  });
  const { idToken } = await signIn.json();

  // Two servers: the app reading the request stream, and the app behind a Cloud Functions-like
  // front that buffers the body into req.rawBody first.
  const streaming = createServer(app);
  const buffered = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      req.rawBody = Buffer.concat(chunks);
      app(req, res);
    });
  });
  const size = 30 * 2 ** 20;
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);

  // The same bytes written straight to the emulator: the part of an upload that is Storage's.
  const direct = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await bucket.file(`bench/direct_${i}.mov`).save(data, { resumable: false, validation: 'md5', contentType: 'video/quicktime' });
    direct.push(performance.now() - t0);
    await bucket.file(`bench/direct_${i}.mov`).delete();
  }
  console.log(`Storage emulator alone, 30 MiB save: median ${median(direct).toFixed(0)} ms of ${direct.length}`);

  for (const [label, server] of [['request stream', streaming], ['req.rawBody', buffered]]) {
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${server.address().port}/api/v1/media`;
    const times = [];
    for (let i = 0; i < 5; i++) {
      const form = new FormData();
      form.append('task_id', TASK);
      form.append('version', 'v100');
      form.append('file', new Blob([data]), `plate_${label.replace(/\W/g, '')}_${i}.mov`);
      const t0 = performance.now();
      const res = await fetch(base, { method: 'POST', headers: { Authorization: `Bearer ${idToken}` }, body: form });
      const body = await res.json();
      times.push(performance.now() - t0);
      if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${JSON.stringify(body)}`);
      if (body.metadata.file_size !== size) throw new Error('size mismatch');
      await fetch(`${base}/${body.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${idToken}` } });
    }
    await new Promise((resolve) => server.close(resolve));
    const ms = median(times);
    console.log(`POST /media, 30 MiB file, ${label}: median ${ms.toFixed(0)} ms of ${times.length} = ${((size / 2 ** 20) / (ms / 1000)).toFixed(0)} MiB/s (into the in-process Storage emulator)`);
  }
}
