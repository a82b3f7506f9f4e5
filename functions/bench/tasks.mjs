// Task API figures on 10,000 tasks: median and p95 latency of list, filter, search, get and a
// 500-task bulk update through the real app over HTTP, and the Firestore documents each request
// reads. Reads are counted in the Firestore client (documents returned by gets, getAll and
// queries, inside transactions too; count aggregations separately), which is what Firestore bills.
// Run: npx tsc -p tsconfig.build.json && node bench/tasks.mjs
import { once } from 'node:events';
import { initializeApp } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { Firestore, Query, Transaction, getFirestore } from 'firebase-admin/firestore';
import { getStorage } from 'firebase-admin/storage';

const PROJECT = 'demo-montu';
const DATA_PROJECT = 'demo-bench-tasks';
const TASKS = 10_000; // plus 1,000 written through writeTasks
const PROJECTS = ['SWA', 'RFX', 'KOI', 'ORB', 'ZEN'];
const STATUSES = ['not_started', 'in_progress', 'pending_review', 'needs_revision', 'approved', 'completed', 'on_hold'];
const TYPES = ['modeling', 'rigging', 'animation', 'layout', 'lighting', 'comp', 'fx', 'lookdev'];
const ARTISTS = ['alice', 'bob', 'carol', 'dan', 'erin', 'farid', 'gus', 'hana', 'ivan', 'june', 'Unassigned'];
const PRIORITIES = ['low', 'medium', 'high', 'urgent'];

// ---- read counting ---------------------------------------------------------------------------
const counter = { docs: 0, aggregations: 0 };
function countReads(db) {
  const wrap = (proto, name, count) => {
    const original = proto[name];
    proto[name] = async function (...args) {
      const result = await original.apply(this, args);
      count(result, args, this);
      return result;
    };
  };
  const refsIn = (args) => args.filter((a) => a && typeof a === 'object' && 'path' in a && 'firestore' in a).length;
  wrap(Firestore.prototype, 'getAll', (_r, args) => (counter.docs += refsIn(args)));
  wrap(Transaction.prototype, 'getAll', (_r, args) => (counter.docs += refsIn(args)));
  // Transaction.get(query) goes through Query._get, counted below; a document get is one read.
  wrap(Transaction.prototype, 'get', (r) => (counter.docs += r && 'exists' in r && 'ref' in r ? 1 : 0));
  wrap(Query.prototype, '_get', (r) => (counter.docs += Math.max(1, r.result.size))); // an empty query still bills one read
  wrap(Object.getPrototypeOf(db.collection('tasks').count()), 'get', () => counter.aggregations++);
}

// ---- helpers -------------------------------------------------------------------------------
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const fmt = (ms) => `${ms.toFixed(1)} ms`;

async function main() {
  const { startOfflineStackOnFreePorts } = await import('../../stack/offline.mjs');
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  process.env.GCLOUD_PROJECT ??= PROJECT;
  const stack = await startOfflineStackOnFreePorts({ projectId: PROJECT });
  Object.assign(process.env, stack.env);
  try {
    await run();
  } finally {
    await stack.stop();
  }
}

async function run() {
  const { createApp } = await import('../lib/app.js');
  const { defaultConfig } = await import('../lib/config.js');
  const { checkNewTask, taskConfigOf } = await import('../lib/tasks/rules.js');
  const { storedNewTask, writeTasks } = await import('../lib/tasks/store.js');

  const authApp = initializeApp({ projectId: PROJECT, storageBucket: `${DATA_PROJECT}.appspot.com` }, 'auth');
  const db = getFirestore(initializeApp({ projectId: DATA_PROJECT }, 'data'));
  db.settings({ ignoreUndefinedProperties: true });
  const auth = getAuth(authApp);
  const app = createApp({ db, auth, bucket: getStorage(authApp).bucket(), clock: () => new Date(), config: defaultConfig({ projectId: PROJECT }) });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${server.address().port}/api/v1`;

  // Users: a global admin, and an artist lead who belongs to three of the five projects.
  const token = async (email, admin) => {
    const user = await auth.createUser({ email, password: 'bench-password' });
    if (admin) await auth.setCustomUserClaims(user.uid, { admin: true });
    const res = await fetch(`http://${process.env.FIREBASE_AUTH_EMULATOR_HOST}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=bench`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bench-password', returnSecureToken: true }),
    });
    return { uid: user.uid, bearer: `Bearer ${(await res.json()).idToken}` };
  };
  const admin = await token('admin@studio.test', true);
  const lead = await token('lead@studio.test', false);
  for (const p of PROJECTS) await db.doc(`projects/${p}`).set({ name: p, status: 'active', task_types: TYPES, milestones: ['not_started', 'final_render', 'approved'], priority_levels: PRIORITIES });
  for (const p of PROJECTS.slice(0, 3)) await db.doc(`projects/${p}/members/${lead.uid}`).set({ uid: lead.uid, project_id: p, permissions: ['read', 'write'] });

  // 10,000 tasks: 5 projects x 4 episodes x 10 sequences x 50 shots, 8 task types spread over shots.
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
    const checked = checkNewTask(input, config);
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    writes.push({ kind: 'create', task: checked.value, config });
  }
  // Seeded in 500-write batches (the stand-in commits them far faster than BulkWriter's ramp-up);
  // writeTasks, the importer's path, is timed separately on 1,000 more tasks.
  let t0 = performance.now();
  for (let i = 0; i < writes.length; i += 500) {
    const batch = db.batch();
    for (const w of writes.slice(i, i + 500)) batch.create(db.doc(`tasks/${w.task.id}`), storedNewTask(w.task, config, admin.uid));
    await batch.commit();
  }
  console.log(`seeded ${TASKS} tasks in 500-write batches in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const extra = writes.slice(0, 1000).map((w) => ({ ...w, task: { ...w.task, id: `${w.task.id}_extra`, project_id: 'ZEN', project: 'ZEN' } }));
  t0 = performance.now();
  const results = await writeTasks(db, extra, { actor: admin.uid });
  if (results.some((r) => !r.ok)) throw new Error('writeTasks failed');
  console.log(`writeTasks (BulkWriter) created 1,000 more tasks in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  countReads(db);
  const request = async (user, method, path, body) => {
    counter.docs = 0;
    counter.aggregations = 0;
    const start = performance.now();
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: user.bearer, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const json = await res.json();
    const ms = performance.now() - start;
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
    return { ms, docs: counter.docs, aggregations: counter.aggregations, json };
  };

  const rows = [];
  async function measure(label, runs, fn) {
    await fn(0); // warm-up
    const samples = [];
    for (let i = 1; i <= runs; i++) samples.push(await fn(i));
    const ms = samples.map((s) => s.ms);
    const docs = samples.map((s) => s.docs);
    rows.push({ label, runs, median: quantile(ms, 0.5), p95: quantile(ms, 0.95), docs: `${Math.min(...docs)}-${Math.max(...docs)}`, aggregations: Math.max(...samples.map((s) => s.aggregations)), items: samples[0].json.items?.length });
  }

  const ids = writes.map((w) => w.task.id);
  await measure('list, admin, page 1 (50)', 30, () => request(admin, 'GET', '/tasks?page_size=50'));
  await measure('list, member of 3 projects (project_id in)', 30, () => request(lead, 'GET', '/tasks?page_size=50'));
  await measure('list, page 40 by offset (50)', 20, () => request(admin, 'GET', '/tasks?page_size=50&page=40'));
  let cursor = null;
  await measure('list, next page by token (100)', 30, async () => {
    const r = await request(admin, 'GET', `/tasks?page_size=100&sort=deadline&order=asc${cursor ? `&page_token=${cursor}` : ''}`);
    cursor = r.json.next_page_token;
    return r;
  });
  await measure('filter: project+status(2)+artist, sort priority', 30, () => request(admin, 'GET', '/tasks?project_id=SWA&status=in_progress,not_started&artist=ALICE&sort=priority'));
  await measure('filter: episode+sequence+task_type, sort deadline', 30, () => request(lead, 'GET', '/tasks?episode=ep01&sequence=SQ0030&task_type=comp,fx&sort=deadline&order=asc'));
  await measure('search: word ("explosion")', 30, () => request(admin, 'GET', '/tasks?search=explosion'));
  await measure('search: id run ("sq0030_sh03") + project', 30, () => request(admin, 'GET', '/tasks?search=sq0030_sh03&project_id=SWA,RFX'));
  // Every fifth task is in SWA, which the lead can read.
  await measure('get one task (member)', 50, (i) => request(lead, 'GET', `/tasks/${ids[((i * 97) % 2000) * 5]}`));
  await measure('bulk-update 500 tasks (transaction)', 7, (i) =>
    request(admin, 'PATCH', '/tasks/bulk-update', ids.slice(i * 500, i * 500 + 500).map((task_id) => ({ task_id, updates: { status: 'in_progress', milestone_note: `bench ${i}` } }))),
  );
  await measure('bulk (legacy) 500 tasks, atomic', 5, (i) =>
    request(admin, 'POST', '/tasks/bulk', { task_ids: ids.slice(5000 + i * 500, 5500 + i * 500), operation: 'assign_artist', data: { artist: `artist${i}` }, atomic: true }),
  );

  // Baselines without the API: what the stand-in itself takes for the same list query and for a
  // plain 500-update batch, to separate its cost from the API's.
  const direct = async (fn) => {
    counter.docs = 0;
    counter.aggregations = 0;
    const start = performance.now();
    await fn();
    return { ms: performance.now() - start, docs: counter.docs, aggregations: counter.aggregations, json: {} };
  };
  await measure('baseline: the admin page-1 query + count, no API', 30, () =>
    direct(() => {
      const q = db.collection('tasks').where('archived', '==', false);
      return Promise.all([q.count().get(), q.orderBy('created_at', 'desc').orderBy('__name__', 'desc').limit(51).get()]);
    }),
  );
  await measure('baseline: batch of 500 updates, no API', 5, (i) =>
    direct(() => {
      const batch = db.batch();
      for (const id of ids.slice(7500 + i * 500, 8000 + i * 500)) batch.update(db.doc(`tasks/${id}`), { milestone_note: `baseline ${i}` });
      return batch.commit();
    }),
  );

  server.close();
  console.log(`\n${TASKS} tasks, offline stack (Firestore stand-in), Node ${process.version}; latency over HTTP incl. token verification`);
  console.log('| request | runs | median | p95 | docs read | count aggregations | items |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.label} | ${r.runs} | ${fmt(r.median)} | ${fmt(r.p95)} | ${r.docs} | ${r.aggregations} | ${r.items ?? ''} |`);
}

await main();
process.exit(0);
