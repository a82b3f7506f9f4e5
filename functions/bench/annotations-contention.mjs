// Many reviewers annotating one media at once: every create is a transaction that reads the media
// and bumps its counters, so they contend. Prints latency per create and throughput for a few
// levels of concurrency, and checks the counters came out exact.
// Run: npx tsc -p tsconfig.build.json && node bench/annotations-contention.mjs
import { initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { startOfflineStackOnFreePorts } from '../../stack/offline.mjs';

process.env.METADATA_SERVER_DETECTION ??= 'none';
const stack = await startOfflineStackOnFreePorts();
Object.assign(process.env, stack.env);
// Loaded after the environment points at the stack.
const { AnnotationService } = await import('../lib/annotations/service.js');
const { defaultConfig } = await import('../lib/config.js');

const db = getFirestore(initializeApp({ projectId: 'demo-bench-annotations' }, 'bench'));
const service = new AnnotationService({ db, auth: undefined, bucket: undefined, clock: () => new Date(), config: defaultConfig({ projectId: 'demo-montu' }) });
// A global admin: the membership read is skipped, so the figures are the annotation path itself.
const caller = (uid) => ({ uid, email: null, displayName: uid, admin: true, token: {}, permissionsByProject: new Map() });

await db.doc('projects/SWA').set({ name: 'SWA', status: 'active' });
await db.doc('tasks/ep00_sq0010_sh0020_comp').set({ project_id: 'SWA', frame_range: { start: 1001, end: 1100 } });

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

for (const concurrency of [1, 10, 20, 50]) {
  const mediaId = `bench_${concurrency}`;
  await db.doc(`media/${mediaId}`).set({
    project_id: 'SWA',
    linked_task_id: 'ep00_sq0010_sh0020_comp',
    status: 'active',
    metadata: { width: 1920, height: 1080, frame_rate: 24 },
    open_annotations: 0,
    total_annotations: 0,
  });
  const rounds = concurrency === 1 ? 50 : 3;
  const latencies = [];
  let failures = 0;
  const started = performance.now();
  for (let round = 0; round < rounds; round++) {
    await Promise.all(
      Array.from({ length: concurrency }, async (_, i) => {
        const t0 = performance.now();
        try {
          await service.create(caller(`reviewer${i}`), { media_id: mediaId, annotation_type: 'note', content: `note ${round}.${i}`, frame_number: 1001 + (i % 100) });
          latencies.push(performance.now() - t0);
        } catch (err) {
          failures += 1;
          console.error(`create failed: ${err.message}`);
        }
      }),
    );
  }
  const elapsed = performance.now() - started;
  const media = await db.doc(`media/${mediaId}`).get();
  latencies.sort((a, b) => a - b);
  const made = rounds * concurrency - failures;
  console.log(
    `${String(concurrency).padStart(2)} concurrent x ${rounds} rounds: median ${percentile(latencies, 50).toFixed(1)} ms, ` +
      `p95 ${percentile(latencies, 95).toFixed(1)} ms, max ${latencies.at(-1).toFixed(1)} ms, ` +
      `${((made / elapsed) * 1000).toFixed(0)} creates/s, failures ${failures}, ` +
      `counters total=${media.get('total_annotations')} open=${media.get('open_annotations')} (expected ${made})`,
  );
}

await stack.stop();
process.exit(0);
