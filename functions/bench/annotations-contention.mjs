// Many reviewers annotating one media at once: every create is a transaction that reads the media
// (and its project and task) and bumps the media's counters, so they contend. For a few levels of
// concurrency: latency per create, creates per second, failures, transaction attempts per call,
// and whether the counters came out exact; beside it, in the same run, the bare Firestore client
// running the same transaction (the reads and writes of one create, recorded and replayed:
// support/replay.mjs) at the same concurrency on a twin media document.
//
// Run (from the repository root):
//   bash scripts/run.sh node functions/bench/annotations-contention.mjs [levels=1,10,20,50] [rounds=3]
// Larger: `... annotations-contention.mjs 1,10,20,50,100 10` (contended rounds can take seconds each).
import { initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { counting, describePlan, record, replay } from './support/replay.mjs';
import { int, median, ms, quantile, ratio, startReport } from './support/report.mjs';
import { runOnBenchStack } from './support/stack.mjs';

const LEVELS = (process.argv[2] ?? '1,10,20,50').split(',').map(Number);
const ROUNDS = Number(process.argv[3] ?? 3);
const DATA_PROJECT = 'demo-bench-annotations';

const report = startReport('Annotations under contention', {
  command: `bash scripts/run.sh node functions/bench/annotations-contention.mjs ${LEVELS.join(',')} ${ROUNDS}`,
  about: `AnnotationService.create called directly (no HTTP; a global admin, so no membership read), c at once on one media, ${ROUNDS} rounds per level (10× as many at c=1); product and bare rounds in turn.`,
});
await runOnBenchStack({ name: 'annotations', projects: [DATA_PROJECT] }, report, run);

async function run() {
  // Loaded after the environment points at the stack.
  const { AnnotationService } = await import('../lib/annotations/service.js');
  const { AccessControl } = await import('../lib/auth/access.js');
  const { defaultConfig } = await import('../lib/config/app-config.js');
  const { taskRef } = await import('../lib/tasks/store.js');
  const db = getFirestore(initializeApp({ projectId: DATA_PROJECT }, 'bench'));
  const service = new AnnotationService({ db, auth: undefined, bucket: undefined, clock: () => new Date(), config: defaultConfig({ projectId: 'demo-montu' }) }, new AccessControl(db));
  const caller = (uid) => ({ uid, email: null, displayName: uid, admin: true, token: {}, permissionsByProject: new Map() });
  const counts = counting(db);

  await db.doc('projects/SWA').set({ name: 'SWA', status: 'active' });
  await taskRef(db, 'SWA', 'ep00_sq0010_sh0020_comp').set({ id: 'ep00_sq0010_sh0020_comp', project_id: 'SWA', frame_range: { start: 1001, end: 1100 } });
  const newMedia = (id) =>
    db.doc(`media/${id}`).set({
      project_id: 'SWA',
      linked_task_id: 'ep00_sq0010_sh0020_comp',
      status: 'active',
      metadata: { width: 1920, height: 1080, frame_rate: 24 },
      open_annotations: 0,
      total_annotations: 0,
    });
  const create = (mediaId, i, round) => service.create(caller(`reviewer${i}`), { media_id: mediaId, annotation_type: 'note', content: `note ${round}.${i}`, frame_number: 1001 + (i % 100) });

  /** One round: `c` calls of `fn` at once; per-call latencies, failures and the counters' deltas. */
  async function round(c, fn) {
    counts.reset();
    const latencies = [];
    let failures = 0;
    const errors = new Set();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: c }, async (_, i) => {
        const s = performance.now();
        try {
          await fn(i);
          latencies.push(performance.now() - s);
        } catch (err) {
          failures++;
          errors.add(err.code ? `${err.code}: ${err.message}` : err.message);
        }
      }),
    );
    return { latencies, failures, errors, wall: performance.now() - t0, ...counts.read() };
  }
  const sum = (rounds) => ({
    latencies: rounds.flatMap((r) => r.latencies),
    failures: rounds.reduce((n, r) => n + r.failures, 0),
    errors: new Set(rounds.flatMap((r) => [...r.errors])),
    wall: rounds.reduce((n, r) => n + r.wall, 0),
    attempts: rounds.reduce((n, r) => n + r.attempts, 0),
    commits: rounds.reduce((n, r) => n + r.commits, 0),
  });

  for (const c of LEVELS) {
    const mediaId = `bench_${c}`;
    const twinId = `bare_${c}`;
    await newMedia(mediaId);
    await newMedia(twinId);
    // The bare transaction: what one create on the twin reads and writes.
    const { plan } = await record(db, () => create(twinId, 0, 'recorded'));
    const rounds = c === 1 ? ROUNDS * 10 : ROUNDS;
    const product = [];
    const bare = [];
    for (let r = 0; r < rounds; r++) {
      const p = () => round(c, (i) => create(mediaId, i, r)).then((x) => product.push(x));
      const b = () => round(c, () => replay(plan)).then((x) => bare.push(x));
      if (r % 2) await b().then(p);
      else await p().then(b);
    }
    const P = sum(product);
    const B = sum(bare);
    const made = rounds * c - P.failures;
    const media = (await db.doc(`media/${mediaId}`).get()).data();
    const exact = media.total_annotations === made && media.open_annotations === made;
    const rate = (s) => (s.latencies.length / s.wall) * 1000;
    const fmt = (s) => `${ms(median(s.latencies))} (p95 ${ms(quantile(s.latencies, 0.95))}); ${rate(s) < 10 ? rate(s).toFixed(1) : int(rate(s))} done/s; ${(s.attempts / (rounds * c)).toFixed(1)} attempts per call; ${s.failures} of ${rounds * c} failed${s.errors.size ? ` (${[...s.errors].join('; ').slice(0, 200)})` : ''}`;
    report.row({
      figure: `${c} at once × ${rounds} rounds: create latency p50`,
      product: `${fmt(P)}; counters ${exact ? 'exact' : `WRONG (total ${media.total_annotations}, open ${media.open_annotations}, expected ${made})`}`,
      baseline: `${fmt(B)}: bare client: ${describePlan(plan)}`,
      ratio: ratio(median(P.latencies), median(B.latencies)),
      note:
        c === 1
          ? 'No contention'
          : 'Contention is the emulator\'s: it locks what a transaction reads and aborts a waiting transaction at its lock timeout (ABORTED "Transaction lock timeout"), which the client retries (attempts per call, at most 5). Production also locks for server-client transactions, with its own timeouts and throughput per document: read the ratio, not the absolute figures',
    });
  }
}
