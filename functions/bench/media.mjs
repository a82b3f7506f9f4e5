// Media figures on the official emulators (Firestore; firebase-tools' Storage emulator, run in the
// benchmark stack's process). The Storage trigger on a 24-megapixel JPEG: both thumbnails (CPU),
// the whole handler, and the peak memory of the process running it (a child process, so its RSS is
// its own); beside it, in the same run, the bare clients doing the same I/O (stat, download, two
// thumbnail uploads, the two deletes of the other format's keys, the handler's Firestore reads and
// writes replayed) plus the thumbnails. Then POST /media with a 30 MiB file, from the request
// stream and from req.rawBody (as Cloud Functions hands it over), beside the bare Storage client
// saving the same bytes plus the request's Firestore reads and writes replayed.
//
// Run (from the repository root):
//   bash scripts/run.sh node functions/bench/media.mjs [trigger runs=5] [upload runs=5] [upload MiB=30]
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initializeApp } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { getFirestore } from 'firebase-admin/firestore';
import { getStorage } from 'firebase-admin/storage';
import { describePlan, record, replay } from './support/replay.mjs';
import { median, ms, paired, quantile, ratio, startReport } from './support/report.mjs';
import { PROJECT_ID, signedInUser, startBenchStack } from './support/stack.mjs';

// (The trigger child gets its own arguments: --trigger <fixture> <runs>.)
const [TRIGGER_RUNS, UPLOAD_RUNS, UPLOAD_MIB] = process.argv[2] === '--trigger' ? [] : [Number(process.argv[2] ?? 5), Number(process.argv[3] ?? 5), Number(process.argv[4] ?? 30)];
const DATA_PROJECT = 'demo-bench-media';
const BUCKET = `${DATA_PROJECT}.appspot.com`;
const TASK = 'ep00_sq0010_sh0020_comp';
const firebase = () => {
  const auth = initializeApp({ projectId: PROJECT_ID, storageBucket: BUCKET }, 'auth');
  const db = getFirestore(initializeApp({ projectId: DATA_PROJECT }, 'data'));
  db.settings({ ignoreUndefinedProperties: true });
  return { db, auth: getAuth(auth), bucket: getStorage(auth).bucket() };
};

if (process.argv[2] === '--trigger') {
  await triggerChild(process.argv[3], Number(process.argv[4]));
} else {
  await main();
}

/** The child: what one trigger instance does, measured from inside; the bare I/O in turn with it. */
async function triggerChild(fixturePath, runs) {
  const { makeThumbnails } = await import('../lib/media/thumbnails.js');
  const { handleObjectFinalized } = await import('../lib/media/storage-events.js');
  const { mediaIdFor, thumbnailKey, allThumbnailKeys } = await import('../lib/media/files.js');
  const { db, bucket } = firebase();
  const input = await readFile(fixturePath);
  const baselineMb = process.memoryUsage().rss / 2 ** 20;

  const sharpMs = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now();
    await makeThumbnails(input);
    sharpMs.push(performance.now() - t0);
  }
  const thumbs = await makeThumbnails(input);

  const upload = async (i) => {
    const key = `media/SWA/${TASK}/v${String(i + 1).padStart(3, '0')}/plate_24mp.jpg`;
    await bucket.file(key).save(input, { resumable: false, contentType: 'image/jpeg' });
    await db.doc(`media/${mediaIdFor(key)}`).set({ storage_key: key, file_extension: '.jpg', thumbnail_status: 'pending', file_generation: null, metadata: { color_space: null } });
    const [md] = await bucket.file(key).getMetadata();
    return { key, generation: md.generation };
  };
  const handle = async ({ key, generation }) => {
    const outcome = await handleObjectFinalized({ db, bucket, config: { maxFileSizeBytes: 2 ** 31 } }, { bucket: bucket.name, name: key, generation });
    if (outcome !== 'ready') throw new Error(`trigger answered ${outcome}`);
  };
  // The handler's Firestore reads and writes, once.
  const first = await upload(100);
  const { plan } = await record(db, () => handle(first));
  const objects = await Promise.all(Array.from({ length: runs + 1 }, (_, i) => upload(i)));
  const bareKey = objects[0].key;
  const bareIo = async () => {
    const file = bucket.file(bareKey);
    await file.getMetadata();
    await file.download({ validation: false });
    const large = thumbnailKey(bareKey, 'large', '.jpg');
    const small = thumbnailKey(bareKey, 'small', '.jpg');
    const options = { resumable: false, contentType: 'image/jpeg', metadata: { contentType: 'image/jpeg', cacheControl: 'private, max-age=3600', metadata: { source_generation: '1' } } };
    await Promise.all([bucket.file(large).save(thumbs.large, options), bucket.file(small).save(thumbs.small, options)]);
    await Promise.all(allThumbnailKeys(bareKey).filter((k) => k !== large && k !== small).map((k) => bucket.file(k).delete({ ignoreNotFound: true })));
    await replay(plan);
  };
  const r = await paired(runs, (i) => handle(objects[i]), bareIo);
  const facts = (await db.doc(`media/${mediaIdFor(objects[1].key)}`).get()).get('metadata');
  process.send({ sharpMs: sharpMs.slice(2), r, plan: describePlan(plan), baselineMb, peakMb: process.resourceUsage().maxRSS / 1024, width: facts.width, height: facts.height });
  process.exit(0);
}

async function main() {
  const report = startReport('Media', {
    command: `bash scripts/run.sh node functions/bench/media.mjs ${TRIGGER_RUNS} ${UPLOAD_RUNS} ${UPLOAD_MIB}`,
    about: `Storage trigger handler called directly in a child process, ${TRIGGER_RUNS} runs; POST /media through the app in this process, ${UPLOAD_RUNS} runs per way; medians, product and baseline in turn.`,
  });
  const stack = await startBenchStack({ name: 'media', projects: [DATA_PROJECT] });
  const dir = await mkdtemp(join(tmpdir(), 'media-bench-'));
  try {
    await triggerFigures(report, dir);
    await uploadFigures(report);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await stack.stop();
  }
  report.finish({ stack: `${stack.firestore}; Storage: firebase-tools' emulator in the stack's process, no rules` });
  process.exit(0);
}

async function triggerFigures(report, dir) {
  const { default: sharp } = await import('sharp');
  // Noise, softened: compresses like a photograph rather than a flat test card.
  const jpeg = await sharp({ create: { width: 6000, height: 4000, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .blur(1.5)
    .jpeg({ quality: 90 })
    .toBuffer();
  const fixture = join(dir, 'plate_24mp.jpg');
  await writeFile(fixture, jpeg);
  const child = fork(new URL(import.meta.url).pathname, ['--trigger', fixture, String(TRIGGER_RUNS)], { env: process.env });
  const result = await new Promise((resolve, reject) => {
    child.on('message', resolve);
    child.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`trigger child exited with ${code}`))));
  });
  const { r, sharpMs } = result;
  const thumbs = median(sharpMs);
  report.row({
    figure: `both thumbnails of a 24 MP JPEG (${result.width}x${result.height}, ${(jpeg.length / 2 ** 20).toFixed(1)} MiB): decode + 512 px + 128 px (CPU)`,
    product: `${ms(thumbs)} (min ${ms(Math.min(...sharpMs))}, max ${ms(Math.max(...sharpMs))})`,
    note: 'sharp/libvips CPU: the same on production per CPU (a 2nd-gen function gets what it is configured with)',
  });
  report.row({
    figure: 'whole Storage trigger handler, p50 (p95)',
    product: `${ms(r.p50)} (${ms(r.p95)})`,
    baseline: `${ms(r.bare50 + thumbs)}: bare I/O ${ms(r.bare50)} (stat, download, 2 uploads, 2 deletes; ${result.plan}) + the thumbnails ${ms(thumbs)}`,
    ratio: ratio(r.p50, r.bare50 + thumbs),
    note: 'Storage is the emulator in a Node process on this machine (no network, no rules); production Storage is a network away: more latency per call, more bandwidth',
  });
  report.row({
    figure: 'trigger process peak RSS',
    product: `${result.peakMb.toFixed(0)} MiB (after start-up ${result.baselineMb.toFixed(0)} MiB)`,
  });
}

async function uploadFigures(report) {
  const { createApp } = await import('../lib/app.js');
  const { defaultConfig } = await import('../lib/config/app-config.js');
  const { taskRef } = await import('../lib/tasks/store.js');
  const { db, auth, bucket } = firebase();
  const app = createApp({ db, auth, bucket, clock: () => new Date(), config: defaultConfig({ projectId: PROJECT_ID, rateLimitPerMinute: 1e9 }) });

  await db.doc('projects/SWA').set({ name: 'SWA', status: 'active' });
  await taskRef(db, 'SWA', TASK).set({ id: TASK, project_id: 'SWA', status: 'in_progress' });
  const user = await signedInUser(auth, 'bench@studio.test');
  await db.doc(`projects/SWA/members/${user.uid}`).set({ uid: user.uid, project_id: 'SWA', permissions: ['read', 'write'] });

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
  const size = UPLOAD_MIB * 2 ** 20;
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);

  for (const [label, server] of [
    ['request stream', streaming],
    ['req.rawBody', buffered],
  ]) {
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${server.address().port}/api/v1/media`;
    let n = 0;
    const upload = async () => {
      const form = new FormData();
      form.append('task_id', TASK);
      form.append('version', `v${String(++n).padStart(3, '0')}`);
      form.append('file', new Blob([data]), `plate_${label.replace(/\W/g, '')}_${n}.mov`);
      const res = await fetch(base, { method: 'POST', headers: { Authorization: user.bearer }, body: form });
      const body = await res.json();
      if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${JSON.stringify(body)}`);
      if (body.metadata.file_size !== size) throw new Error('size mismatch');
      return body.id;
    };
    // The request's Firestore reads and writes, recorded once; the bare side saves the same bytes too.
    const { plan } = await record(db, upload);
    let b = 0;
    const bare = async () => {
      const key = `bench/bare_${label.replace(/\W/g, '')}_${++b}.mov`;
      await bucket.file(key).save(data, { resumable: false, validation: 'md5', contentType: 'video/quicktime' });
      await replay(plan);
    };
    const r = await paired(UPLOAD_RUNS, upload, bare);
    await new Promise((resolve) => server.close(resolve));
    const mibs = (t) => `${(UPLOAD_MIB / (t / 1000)).toFixed(0)} MiB/s`;
    report.row({
      figure: `POST /media, ${UPLOAD_MIB} MiB file, ${label}, p50 (p95)`,
      product: `${ms(r.p50)} (${ms(quantile(r.product, 0.95))}) = ${mibs(r.p50)}`,
      baseline: `${ms(r.bare50)} = ${mibs(r.bare50)}: bare Storage save of the same bytes (md5 checked) + bare client: ${describePlan(plan)}`,
      ratio: ratio(r.p50, r.bare50),
      note: 'Into the Storage emulator on this machine; production puts the bytes across a network (and caps a request at 32 MB: larger files take the signed upload URL)',
    });
  }
}
