// Task API figures: median and p95 latency of list, filter, search, get and 500-task bulk updates
// (and the media, annotation and audit lists) through the real app over HTTP (ID-token verification
// included), with the median of each step the app timed (its Server-Timing header, config.serverTiming),
// each beside the bare Firestore
// client doing the same reads and writes in the same run (support/replay.mjs: the reads and writes
// the request made, recorded on its warm-up and replayed without the API), and the documents each
// request reads (what Firestore bills; count aggregations apart). For the token page also where its
// time goes outside the handler: the HTTP hop beside a plain node:http server answering the same
// body, and the garbage collector's pauses in each side's calls.
//
// Run (from the repository root):
//   bash scripts/run.sh node functions/bench/tasks.mjs [tasks=1000] [runs=10]
// Issue 21's size is 10,000 tasks: `... tasks.mjs 10000 30` (an hour or more: the emulator scans for
// every query, and takes seconds for each array-contains search at that size).
import { once } from 'node:events';
import http from 'node:http';
import { PerformanceObserver } from 'node:perf_hooks';
import { initializeApp } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { getFirestore, Timestamp } from 'firebase-admin/firestore';
import { getStorage } from 'firebase-admin/storage';
import { counting, describePlan, record, replay } from './support/replay.mjs';
import { int, median, ms, paired, ratio, startReport, timed } from './support/report.mjs';
import { PROJECT_ID, signedInUser, runOnBenchStack } from './support/stack.mjs';

const TASKS = Number(process.argv[2] ?? 1000);
const RUNS = Number(process.argv[3] ?? 10);
// Lists, filters and gets answer in tens of milliseconds, where another engineer's test suite on the
// shared cores moves a median of 10 by a fifth: they take three times the runs (a few seconds more).
const LIST_RUNS = RUNS * 3;
// The emulator takes seconds per search query (see the README): fewer runs for those.
const SEARCH_RUNS = Math.max(3, Math.round(RUNS / 5));
const DATA_PROJECT = 'demo-bench-tasks';
const PROJECTS = ['SWA', 'RFX', 'KOI', 'ORB', 'ZEN'];
const STATUSES = ['not_started', 'in_progress', 'pending_review', 'needs_revision', 'approved', 'completed', 'on_hold'];
const TYPES = ['modeling', 'rigging', 'animation', 'layout', 'lighting', 'comp', 'fx', 'lookdev'];
const ARTISTS = ['alice', 'bob', 'carol', 'dan', 'erin', 'farid', 'gus', 'hana', 'ivan', 'june', 'Unassigned'];
const PRIORITIES = ['low', 'medium', 'high', 'urgent'];
const BULK = Math.min(500, Math.floor(TASKS / 2));

const report = startReport('Tasks', {
  command: `bash scripts/run.sh node functions/bench/tasks.mjs ${TASKS} ${RUNS}`,
  about: `${TASKS.toLocaleString('en-US')} tasks over 5 projects; the app in this process over HTTP; a global admin, and a lead who is a member of 3 projects. Medians of ${LIST_RUNS} runs for lists, filters and gets (searches ${SEARCH_RUNS}, bulk calls fewer), product and baseline in turn, each recorded request being its warm-up.`,
});
await runOnBenchStack({ name: 'tasks', projects: [DATA_PROJECT] }, report, run);

async function run() {
  const { createApp } = await import('../lib/app.js');
  const { defaultConfig } = await import('../lib/config/app-config.js');
  const { taskConfigOf } = await import('../lib/tasks/project-config.js');
  const { checkNewTaskInput } = await import('../lib/tasks/validation.js');
  const { storedNewTask, writeTasks } = await import('../lib/tasks/store.js');

  const authApp = initializeApp({ projectId: PROJECT_ID, storageBucket: `${DATA_PROJECT}.appspot.com` }, 'auth');
  const db = getFirestore(initializeApp({ projectId: DATA_PROJECT }, 'data'));
  db.settings({ ignoreUndefinedProperties: true });
  const auth = getAuth(authApp);
  const app = createApp({ db, auth, bucket: getStorage(authApp).bucket(), clock: () => new Date(), config: defaultConfig({ projectId: PROJECT_ID, rateLimitPerMinute: 1e9, serverTiming: true }) });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${server.address().port}/api/v1`;

  const admin = await signedInUser(auth, 'admin@studio.test', { admin: true });
  const lead = await signedInUser(auth, 'lead@studio.test');
  for (const p of PROJECTS) await db.doc(`projects/${p}`).set({ name: p, status: 'active', task_types: TYPES, milestones: ['not_started', 'final_render', 'approved'], priority_levels: PRIORITIES });
  for (const p of PROJECTS.slice(0, 3)) await db.doc(`projects/${p}/members/${lead.uid}`).set({ uid: lead.uid, project_id: p, permissions: ['read', 'write'] });

  // 5 projects x 4 episodes x 10 sequences x shots, 8 task types spread over shots.
  const config = taskConfigOf({ task_types: TYPES, priority_levels: PRIORITIES, milestones: ['not_started', 'final_render', 'approved'] });
  const writes = [];
  for (let i = 0; i < TASKS; i++) {
    const input = {
      project_id: PROJECTS[i % 5],
      episode: `Ep${String((i >> 3) % 4).padStart(2, '0')}`,
      sequence: `sq${String((((i >> 5) % 10) + 1) * 10).padStart(4, '0')}`,
      shot: `SH${String(Math.floor(i / 8)).padStart(4, '0')}`,
      task: TYPES[i % 8],
      artist: ARTISTS[(i * 7) % ARTISTS.length],
      status: STATUSES[(i * 3) % STATUSES.length],
      priority: PRIORITIES[(i * 5) % 4],
      deadline: i % 5 === 0 ? null : `2025-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
      name: `${TYPES[i % 8]} for shot ${Math.floor(i / 8)}`,
      description: i % 10 === 0 ? 'Explosion plate needs cleanup and roto' : 'Standard shot work',
    };
    const checked = checkNewTaskInput(input, config);
    if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
    writes.push({ kind: 'create', task: checked.value, config });
  }
  // Seeded through writeTasks (the importer's path: a BulkWriter per 500); the imports benchmark
  // compares that path with a bare BulkWriter.
  const seeded = await timed(async () => {
    for (let i = 0; i < writes.length; i += 500) {
      const results = await writeTasks(db, writes.slice(i, i + 500), { actor: admin.uid });
      if (results.some((r) => !r.ok)) throw new Error('writeTasks failed');
    }
  });
  report.note(`Seeding ${int(TASKS)} tasks through writeTasks took ${(seeded.ms / 1000).toFixed(1)} s (${int(TASKS / (seeded.ms / 1000))} tasks/s, the emulator cold).`);

  const reads = counting(db);
  // Each API answer's Server-Timing steps (`auth;dur=0.31, page;dur=12.5`), for the figure being measured.
  let steps = [];
  const call = async (user, method, path, body) => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: user.bearer, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
    steps.push(Object.fromEntries((res.headers.get('server-timing') ?? '').split(', ').filter(Boolean).map((e) => [e.split(';')[0], Number(e.split('dur=')[1])])));
    return json;
  };
  /** Median per step over the figure's API runs; a step missing from a run counts as 0 there. */
  const stepMedians = () => {
    const names = [...new Set(steps.flatMap((s) => Object.keys(s)))];
    return names.map((n) => `${n} ${ms(median(steps.map((s) => s[n] ?? 0)))}`).join(', ');
  };

  /**
   * One API figure: the request recorded once (its reads and writes become the baseline), then
   * product and bare replay in turn. `request(i)` makes the i-th request (0 = warm-up).
   */
  async function figure(label, runs, request, note, { transaction = false } = {}) {
    reads.reset();
    const { plan, result } = await record(db, () => request(0));
    const billed = reads.read();
    steps = [];
    const r = await paired(runs, (i) => request(i), () => replay(plan), { warmProduct: false, also: transaction ? [() => replay(plan, { transaction: true })] : [] });
    report.row({
      figure: `${label}, p50 (p95)`,
      product: `${ms(r.p50)} (${ms(r.p95)}); ${billed.docs} doc${billed.docs === 1 ? '' : 's'}${billed.aggregations ? ` + ${billed.aggregations} count` : ''} read${result?.items ? `, ${result.items.length} items` : ''}; steps (p50): ${stepMedians()}`,
      baseline: `${ms(r.bare50)} (${ms(r.bare95)}): bare client: ${describePlan(plan)}${transaction ? `; **or** ${ms(r.others[0].p50)} (${ms(r.others[0].p95)}): one bare transaction with those reads and writes` : ''}`,
      ratio: `${ratio(r.p50, r.bare50)}${transaction ? `; ${ratio(r.p50, r.others[0].p50)} the transaction` : ''}`,
      note,
    });
    return plan;
  }

  // Where a list's time goes outside its handler (which Server-Timing covers): the server's time
  // from the request's arrival to its last byte, the HTTP hop and the client's parse of the same
  // body served by a plain node:http server, and the garbage collector's pauses in each side's calls.
  const gcPauses = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push([e.startTime, e.startTime + e.duration]);
  }).observe({ entryTypes: ['gc'] });
  const gcDuring = ([from, to]) => gcPauses.reduce((t, [a, b]) => t + Math.max(0, Math.min(b, to) - Math.max(a, from)), 0);
  const arrivals = new Map();
  server.prependListener('request', (req, res) => {
    const seen = arrivals.get(req.headers['x-bench-request']);
    if (!seen) return;
    seen.arrived = performance.now();
    res.once('finish', () => (seen.finished = performance.now()));
  });
  async function outsideHandler(label, runs, user, path, plan) {
    const body = await (await fetch(`${base}${path}`, { headers: { authorization: user.bearer } })).text();
    const plain = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body));
    await once(plain.listen(0, '127.0.0.1'), 'listening');
    const plainUrl = `http://127.0.0.1:${plain.address().port}/`;
    const spans = { api: [], bare: [], hop: [] };
    const sides = {
      api: async (i) => {
        const seen = { started: performance.now() };
        arrivals.set(String(i), seen);
        await (await fetch(`${base}${path}`, { headers: { authorization: user.bearer, 'x-bench-request': String(i) } })).json();
        seen.done = performance.now();
        spans.api.push(seen);
      },
      bare: async () => {
        const started = performance.now();
        await replay(plan);
        spans.bare.push({ started, done: performance.now() });
      },
      hop: async () => {
        const started = performance.now();
        await (await fetch(plainUrl)).json();
        spans.hop.push({ started, done: performance.now() });
      },
    };
    const order = Object.keys(sides);
    for (let i = 0; i <= runs; i++) for (let k = 0; k < order.length; k++) await sides[order[(k + i) % order.length]](i);
    plain.close();
    await new Promise((r) => setImmediate(r)); // the observer's last entries
    const [api, bare, hop] = order.map((k) => spans[k].slice(1));
    const meanGc = (xs) => xs.reduce((t, s) => t + gcDuring([s.started, s.done]), 0) / xs.length;
    report.row({
      figure: `${label}: outside the handler, p50`,
      product: `${ms(median(api.map((s) => s.done - s.started)))} end to end, of which the server ${ms(median(api.map((s) => s.finished - s.arrived)))} from the request's arrival to its last byte; GC pauses ${ms(meanGc(api))} a call (mean); ${int(Buffer.byteLength(body) / 1024)} KB of JSON`,
      baseline: `the same body from a plain node:http server, fetched and parsed: ${ms(median(hop.map((s) => s.done - s.started)))}, GC pauses ${ms(meanGc(hop))} a call (mean); GC pauses ${ms(meanGc(bare))} a call of the bare replay (mean)`,
      ratio: '—',
      note: `${runs} runs of each in turn; client, server and bare client share this process, as in every figure above`,
    });
  }

  const ids = writes.map((w) => w.task.id);
  const scan = 'The emulator has no indexes: it evaluates a query by scanning the collection, so both sides grow with the collection; production serves it from an index (and refuses a query whose composite index is missing, which the emulator never does: the index tests check firestore.indexes.json)';
  await figure('list, admin, page 1 (50)', LIST_RUNS, () => call(admin, 'GET', '/tasks?page_size=50'), scan);
  await figure('list, member of 3 projects (project_id in)', LIST_RUNS, () => call(lead, 'GET', '/tasks?page_size=50'), 'Same as above');
  await figure(`list, page ${Math.max(2, Math.floor(TASKS / 250))} by offset (50)`, LIST_RUNS, () => call(admin, 'GET', `/tasks?page_size=50&page=${Math.max(2, Math.floor(TASKS / 250))}`), 'Production bills every skipped document as a read; the emulator skips them in its scan');
  // Every request of this figure follows a token, the recorded one too (so the baseline replays a
  // page after a cursor): from page 2 on, back to page 2 after the last page.
  const tokenPages = '/tasks?page_size=100&sort=deadline&order=asc';
  const pageTwo = (await call(admin, 'GET', tokenPages)).next_page_token;
  let cursor = pageTwo;
  const tokenPlan = await figure('list, next page by token (100)', LIST_RUNS, async () => {
    const r = await call(admin, 'GET', `${tokenPages}&page_token=${cursor}`);
    cursor = r.next_page_token ?? pageTwo;
    return r;
  });
  await outsideHandler('list, page 2 by token (100)', LIST_RUNS, admin, `${tokenPages}&page_token=${pageTwo}`, tokenPlan);
  await figure('filter: project + 2 statuses + artist, sort priority', LIST_RUNS, () => call(admin, 'GET', '/tasks?project_id=SWA&status=in_progress,not_started&artist=ALICE&sort=priority'));
  await figure('filter: episode + sequence + 2 task types, sort deadline (member)', LIST_RUNS, () => call(lead, 'GET', '/tasks?episode=ep01&sequence=SQ0030&task_type=comp,fx&sort=deadline&order=asc'));
  await figure('search a word ("explosion")', SEARCH_RUNS, () => call(admin, 'GET', '/tasks?search=explosion'));
  await figure('search an id run ("sq0030_sh03") in 2 projects', SEARCH_RUNS, () => call(admin, 'GET', '/tasks?search=sq0030_sh03&project_id=SWA,RFX'));
  // Every fifth task is in SWA, which the lead can read.
  const swa = ids.filter((_, i) => i % 5 === 0);
  await figure('get one task (member)', LIST_RUNS, (i) => call(lead, 'GET', `/tasks/${swa[(i * 97) % swa.length]}`));

  // The other lists: 200 media records in SWA, 200 annotations on one of them, 200 audit entries of SWA.
  const at = (i) => Timestamp.fromMillis(Date.UTC(2026, 0, 1) + i * 60_000);
  const seed = db.batch();
  for (let i = 0; i < 200; i++) {
    seed.set(db.doc(`media/bench_m${i}`), { project_id: 'SWA', linked_task_id: swa[i % swa.length], linked_version: 'v001', author: lead.uid, file_name: `plate_${i}.exr`, media_type: 'image', file_extension: '.exr', status: 'active', approval_status: 'pending', tags: ['plate'], description: '', open_annotations: 0, total_annotations: 0, created_at: at(i), updated_at: at(i) });
    seed.set(db.doc(`annotations/bench_a${i}`), { media_id: 'bench_m0', project_id: 'SWA', author: lead.uid, annotation_type: 'note', frame_number: i % 24, status: 'active', text: `note ${i}`, created_at: at(i), updated_at: at(i) });
    seed.set(db.doc(`audit_logs/bench_l${i}`), { project_id: 'SWA', collection: 'tasks', document_id: swa[i % swa.length], actor: admin.uid, action: 'update', time: at(i) });
  }
  await seed.commit();
  await figure('list media of a project (50, member)', LIST_RUNS, () => call(lead, 'GET', '/media?project_id=SWA&page_size=50'));
  await figure('list annotations of a media (50, member)', LIST_RUNS, () => call(lead, 'GET', '/annotations?media_id=bench_m0&page_size=50'));
  await figure('list audit entries of a project (50, admin)', LIST_RUNS, () => call(admin, 'GET', '/audit?project_id=SWA&page_size=50'));
  // Bulk calls take consecutive slices of the first half (the legacy call the second), wrapping round.
  const half = Math.floor(TASKS / 2);
  const slice = (from, i) => Array.from({ length: BULK }, (_, k) => ids[from + ((i * BULK + k) % half)]);
  const bulkRuns = Math.max(5, Math.round(RUNS / 3));
  const bulkNote =
    'One writer at a time: no contention here (see annotations-contention for many). The replay drops the batch\'s update-time preconditions (stale by then); the emulator checks them as production does';
  await figure(`bulk-update ${BULK} tasks`, bulkRuns, (i) =>
    call(admin, 'PATCH', '/tasks/bulk-update', slice(0, i).map((task_id) => ({ task_id, updates: { status: 'in_progress', milestone_note: `bench ${i}` } }))),
    bulkNote, { transaction: true },
  );
  await figure(`legacy bulk ${BULK} tasks, atomic`, bulkRuns, (i) =>
    call(admin, 'POST', '/tasks/bulk', { task_ids: slice(half, i), operation: 'assign_artist', data: { artist: `artist${i}` }, atomic: true }),
    bulkNote, { transaction: true },
  );
  server.close();
}
