// Webhook delivery on the served stack (`node stack/serve.mjs`: the Firestore, Functions, Auth and
// Cloud Tasks emulators; functions/.env.demo-montu allows loopback receivers): three webhooks of one
// project subscribe to `task_updated` on a real receiver (a Node HTTP server on 127.0.0.1 in this
// process, checking every signature with the client package's verifyWebhookSignature), then N
// tasks are PATCHed through the API one after another, and the benchmark waits until the
// deliveries settle. Counted: deliveries expected (N × 3) and made, lost (the project's
// task_updated feed events a webhook never received), duplicates (arrivals of an event a webhook
// had already received), signature failures; timed: the PATCH's answer to the receiver's arrival.
// Baseline, in the same run: the same PATCHes in a project without webhooks, timed from the answer
// to the feed event's arrival at a Firestore listener (the trigger path that every delivery starts
// with). Product and baseline go in blocks, in turn, each block settled before the next.
//
// Run (from the repository root; needs functions/lib built, as `npm run bench` does first):
//   bash scripts/run.sh node functions/bench/webhooks.mjs [updates=200] [blocks=4]
import { createServer } from 'node:http';
import { verifyWebhookSignature } from '../../client/src/webhooks.ts';
import { int, median, ms, quantile, ratio, startReport } from './support/report.mjs';
import { servedSession, startServedStack, until } from './support/stack.mjs';

const N = Number(process.argv[2] ?? 200);
const BLOCKS = Number(process.argv[3] ?? 4);
const WEBHOOKS = ['/a', '/b', '/c'];
/** A block is given up on (its missing deliveries counted lost) after this long without an arrival. */
const STALL_MS = 120_000;
/** After the last block: how long to go on listening for late repeats. */
const QUIET_MS = 5_000;
/** Tasks are made this many at a time (set-up, not measured). */
const SEED_CONCURRENCY = 8;
/** Requests go round these many global admins: the API allows each user 600 a minute. */
const ADMINS = 8;

const report = startReport('Webhooks: delivery on the served stack', {
  command: `bash scripts/run.sh node functions/bench/webhooks.mjs ${N} ${BLOCKS}`,
  about: `\`node stack/serve.mjs\` on free ports, not seeded; ${WEBHOOKS.length} webhooks (events ["task_updated"]) on a node:http receiver on 127.0.0.1 in this process; ${int(N)} PATCH /tasks/{id} one at a time through the Hosting rewrite (the tokens of ${ADMINS} global admins in turn: the API allows a user 600 requests a minute), in ${BLOCKS} blocks, each beside a block of as many PATCHes in a project without webhooks, in turn.`,
});
const served = await startServedStack();
try {
  await run();
} finally {
  await served.stop();
}
report.finish({ stack: `the served stack (firebase emulators:start: Auth, Functions, Firestore, Hosting, Cloud Tasks); its log ${served.log}` });
process.exit(0);

/** Runs `fn` over `items`, `concurrency` at a time. */
async function inParallel(items, concurrency, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** The receiver: every arrival, with its signature checked against the secret of the webhook its path names. */
async function startReceiver(secrets) {
  const arrivals = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const body = Buffer.concat(chunks);
      const json = JSON.parse(body.toString('utf8'));
      const signed = verifyWebhookSignature(secrets.get(req.url) ?? '', req.headers['x-montu-signature'], body);
      arrivals.push({ hook: req.url, id: json.id, taskId: json.data?.task_id, delivery: req.headers['x-montu-delivery'], signed, at });
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, arrivals, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function run() {
  const { db, api } = await servedSession(served, 'webhooks-bench@studio.test', { admins: ADMINS });
  let calls = 0;
  const call = (...args) => api.as(calls++)(...args);
  const HOOKED = 'HOOKED';
  const BARE = 'BARE';
  const ids = { [HOOKED]: [], [BARE]: [] };
  for (const project of [HOOKED, BARE]) await api('POST', '/projects', { id: project, name: `Bench ${project}` });
  const shots = Array.from({ length: N }, (_, i) => i);
  await inParallel(
    [HOOKED, BARE].flatMap((project) => shots.map((i) => [project, i])),
    SEED_CONCURRENCY,
    async ([project, i]) => {
      ids[project][i] = (await call('POST', '/tasks', { project_id: project, episode: project === HOOKED ? 'Ep01' : 'Ep02', sequence: 'sq0010', shot: `SH${String(i).padStart(4, '0')}`, task: 'comp' })).id;
    },
  );
  const created = (project) => db.collection(`projects/${project}/events`).where('type', '==', 'task_created').count().get();
  await until(async () => (await Promise.all([created(HOOKED), created(BARE)])).every((c) => c.data().count >= N), 200);

  // Feed events as a Firestore listener hears them, in both projects: task id → time heard.
  const heard = { [HOOKED]: new Map(), [BARE]: new Map() };
  const stops = [HOOKED, BARE].map((project) =>
    db
      .collection(`projects/${project}/events`)
      .where('type', '==', 'task_updated')
      .onSnapshot((snap) => {
        const at = Date.now();
        for (const change of snap.docChanges()) if (change.type === 'added' && !heard[project].has(change.doc.get('data.task_id'))) heard[project].set(change.doc.get('data.task_id'), at);
      }),
  );

  const secrets = new Map();
  const receiver = await startReceiver(secrets);
  const hooks = [];
  for (const path of WEBHOOKS) {
    const hook = await api('POST', `/projects/${HOOKED}/webhooks`, { url: `${receiver.url}${path}`, events: ['task_updated'], description: `bench ${path}` });
    secrets.set(path, hook.secret);
    hooks.push({ path, id: hook.id });
  }

  const answers = { [HOOKED]: new Map(), [BARE]: new Map() };
  const answerMs = { [HOOKED]: [], [BARE]: [] };
  // Webhook path and task id → the first arrival's time.
  const firstArrival = new Map();
  let counted = 0;
  const arrivalsOf = (taskIds) => {
    for (; counted < receiver.arrivals.length; counted++) {
      const a = receiver.arrivals[counted];
      if (!firstArrival.has(`${a.hook} ${a.taskId}`)) firstArrival.set(`${a.hook} ${a.taskId}`, a.at);
    }
    return taskIds.reduce((n, id) => n + WEBHOOKS.filter((h) => firstArrival.has(`${h} ${id}`)).length, 0);
  };
  /** PATCHes the block's tasks one after another, then waits until they are heard (and delivered), or stall. */
  async function block(project, from, to) {
    const taskIds = ids[project].slice(from, to);
    const started = Date.now();
    for (const id of taskIds) {
      const t0 = Date.now();
      await call('PATCH', `/tasks/${id}`, { milestone_note: `bench ${id}` });
      answers[project].set(id, Date.now());
      answerMs[project].push(Date.now() - t0);
    }
    const expected = project === HOOKED ? taskIds.length * WEBHOOKS.length : taskIds.length;
    const done = () => (project === HOOKED ? arrivalsOf(taskIds) : taskIds.filter((id) => heard[project].has(id)).length);
    let last = { count: -1, at: Date.now() };
    await until(() => {
      const count = done();
      if (count !== last.count) last = { count, at: Date.now() };
      return (count >= expected && taskIds.every((id) => heard[project].has(id))) || Date.now() - last.at > STALL_MS;
    }, 50);
    return { ms: Date.now() - started, settled: done() >= expected };
  }
  const timings = { [HOOKED]: [], [BARE]: [] };
  const size = Math.ceil(N / BLOCKS);
  for (let b = 0; b < BLOCKS; b++) {
    const order = b % 2 ? [BARE, HOOKED] : [HOOKED, BARE];
    for (const project of order) timings[project].push(await block(project, b * size, Math.min(N, (b + 1) * size)));
  }
  await new Promise((r) => setTimeout(r, QUIET_MS));
  for (const stop of stops) stop();
  await receiver.close();
  arrivalsOf([]);

  // What should have arrived: the project's task_updated feed events, each at every webhook.
  const feed = await db.collection(`projects/${HOOKED}/events`).where('type', '==', 'task_updated').get();
  const expectedIds = feed.docs.map((d) => d.id);
  let lost = 0;
  let duplicates = 0;
  for (const { path } of hooks) {
    const got = receiver.arrivals.filter((a) => a.hook === path);
    const distinct = new Set(got.map((a) => a.id));
    duplicates += got.length - distinct.size;
    lost += expectedIds.filter((id) => !distinct.has(id)).length;
  }
  const signatureFailures = receiver.arrivals.filter((a) => !a.signed).length;
  const made = firstArrival.size;

  // The delivery records, for where the time went: made by the fan-out (created_at), attempted (first_attempt_at).
  const records = (await Promise.all(hooks.map(({ id }) => db.collection(`projects/${HOOKED}/webhooks/${id}/deliveries`).get()))).flatMap((s) => s.docs);
  const statuses = {};
  for (const r of records) statuses[r.get('status')] = (statuses[r.get('status')] ?? 0) + 1;
  const retried = records.filter((r) => r.get('attempts') > 1).length;
  const taskOf = new Map(feed.docs.map((d) => [d.id, d.get('data.task_id')]));
  const pathOf = new Map(hooks.map((h) => [h.id, h.path]));
  const stages = { fanOut: [], queue: [], attempt: [] };
  for (const r of records) {
    const taskId = taskOf.get(r.get('event_id'));
    const heardAt = heard[HOOKED].get(taskId);
    const arrived = firstArrival.get(`${pathOf.get(r.get('webhook_id'))} ${taskId}`);
    const createdAt = r.get('created_at')?.toMillis();
    const attemptAt = r.get('first_attempt_at')?.toMillis();
    if (heardAt === undefined || arrived === undefined || createdAt === undefined || attemptAt === undefined) continue;
    stages.fanOut.push(createdAt - heardAt);
    stages.queue.push(attemptAt - createdAt);
    stages.attempt.push(arrived - attemptAt);
  }

  const latency = [];
  for (const [key, at] of firstArrival) {
    const answered = answers[HOOKED].get(key.split(' ')[1]);
    if (answered !== undefined) latency.push(at - answered);
  }
  const heardAfter = (project) => [...answers[project]].filter(([id]) => heard[project].has(id)).map(([id, answered]) => heard[project].get(id) - answered);
  const bare = heardAfter(BARE);
  const hookedFeed = heardAfter(HOOKED);
  const p = (xs) => `${ms(median(xs))} (${ms(quantile(xs, 0.95))})`;
  const updatesMs = (project) => timings[project].reduce((s, t) => s + t.ms, 0);

  report.row({
    figure: `deliveries of ${int(N)} task updates to ${WEBHOOKS.length} webhooks`,
    product: `${int(made)} made of ${int(N * WEBHOOKS.length)} expected; **${int(lost)} lost**; ${int(duplicates)} duplicates received; ${int(receiver.arrivals.length - signatureFailures)} signatures verified, ${int(signatureFailures)} failed`,
    baseline: `${int(bare.length)} of ${int(N)} feed events heard by the listener (no webhook)`,
    note: `Lost: of the project's ${int(expectedIds.length)} task_updated feed events, those a webhook never received. Delivery records: ${Object.entries(statuses).map(([s, n]) => `${int(n)} ${s}`).join(', ')}; ${int(retried)} needed more than one attempt`,
  });
  report.row({
    figure: 'PATCH answer → arrival, p50 (p95)',
    product: `${p(latency)} at the receiver; max ${ms(Math.max(...latency))}`,
    baseline: `${p(bare)}: the feed event at a Firestore listener, in the project without webhooks`,
    ratio: ratio(median(latency), median(bare)),
    note: 'The trigger, the fan-out trigger and the queue function run in the Functions emulator (at most 8 calls at once here, FUNCTIONS_EMULATOR_PARALLEL), the queue in the Cloud Tasks emulator; production scales function instances out and dispatches through Cloud Tasks',
  });
  report.row({
    figure: 'of which: PATCH answer → feed event at the listener, p50 (p95)',
    product: `${p(hookedFeed)} (with the deliveries under way)`,
    baseline: p(bare),
    ratio: ratio(median(hookedFeed), median(bare)),
  });
  report.row({ figure: 'then feed event at the listener → delivery record made by the fan-out, p50 (p95)', product: p(stages.fanOut), note: 'Firestore timestamps (the emulator on this machine) against this process\'s clock' });
  report.row({ figure: 'then → the attempt starts (Cloud Tasks emulator dispatch), p50 (p95)', product: p(stages.queue) });
  report.row({ figure: 'then → the receiver has the request (one batched read, signing, the POST), p50 (p95)', product: p(stages.attempt) });
  report.row({
    figure: 'PATCH answer, p50; updates and deliveries per second',
    product: `${ms(median(answerMs[HOOKED]))}; ${(N / (updatesMs(HOOKED) / 1000)).toFixed(1)} updates/s and ${(made / (updatesMs(HOOKED) / 1000)).toFixed(1)} deliveries/s, from each block's first PATCH until it settled`,
    baseline: `${ms(median(answerMs[BARE]))}; ${(N / (updatesMs(BARE) / 1000)).toFixed(1)} updates/s until all were heard`,
    ratio: ratio(median(answerMs[HOOKED]), median(answerMs[BARE])),
  });
  if (timings[HOOKED].some((t) => !t.settled)) report.note(`A block did not settle: no delivery arrived for ${STALL_MS / 1000} s before all were made.`);
}
