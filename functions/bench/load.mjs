// Load on the API over the local offline stack: autocannon with 50 connections for 30 s on list
// tasks, get task and patch task (and /health: no token, one Firestore probe, for comparison). Prints
// requests per second, p50/p99 latency, errors (must be zero) and the serving process's RSS before
// and after (growth must stay under 20%). Three processes so each figure is its own: the stack
// (Firestore stand-in, Auth and Storage emulators), the API server, and this one driving the load.
// Run: npx tsc -p tsconfig.build.json && node bench/load.mjs
//   LOAD_SECONDS (30), LOAD_CONNECTIONS (50) and LOAD_WARMUP_SECONDS (5 per scenario) change the run.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const role = process.argv[2];

if (role === '--stack') {
  const { startOfflineStackOnFreePorts } = await import('../../stack/offline.mjs');
  const stack = await startOfflineStackOnFreePorts();
  process.send(stack.env);
  process.on('disconnect', async () => {
    await stack.stop();
    process.exit(0);
  });
} else if (role === '--serve') {
  // The API as Cloud Functions would run it, on a free port, with the per-user budget lifted: the
  // whole load comes from one user's token.
  const { initializeApp } = await import('firebase-admin/app');
  const { getAuth } = await import('firebase-admin/auth');
  const { getFirestore } = await import('firebase-admin/firestore');
  const { getStorage } = await import('firebase-admin/storage');
  const { createApp } = await import('../lib/app.js');
  const { defaultConfig } = await import('../lib/config.js');
  const app = initializeApp({ projectId: 'demo-montu', storageBucket: 'demo-montu.appspot.com' });
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  const deps = { db, auth: getAuth(app), bucket: getStorage(app).bucket(), clock: () => new Date(), config: defaultConfig({ projectId: 'demo-montu', rateLimitPerMinute: 1e9 }) };
  const server = createApp(deps).listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  // Memory on request: after a full GC for the before/after figures, as it stands for the samples.
  process.on('message', ({ id, gc }) => {
    if (gc) global.gc?.();
    process.send({ id, memory: process.memoryUsage() });
  });
  process.on('disconnect', () => server.close(() => process.exit(0)));
} else {
  const SECONDS = Number(process.env.LOAD_SECONDS ?? 30);
  const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 50);
  const WARMUP_SECONDS = Number(process.env.LOAD_WARMUP_SECONDS ?? 5);
  const TASKS = 200;
  const { default: autocannon } = await import('autocannon');
  const self = fileURLToPath(import.meta.url);

  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const stackProcess = fork(self, ['--stack'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const env = await new Promise((resolve) => stackProcess.once('message', resolve));
  Object.assign(process.env, env);
  const serverProcess = fork(self, ['--serve'], { env: process.env, execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const { port } = await new Promise((resolve) => serverProcess.once('message', resolve));
  const base = `http://127.0.0.1:${port}`;
  const pending = new Map();
  serverProcess.on('message', (m) => {
    pending.get(m.id)?.(m.memory);
    pending.delete(m.id);
  });
  let asked = 0;
  const memory = (gc = true) =>
    new Promise((resolve) => {
      pending.set(++asked, resolve);
      serverProcess.send({ id: asked, gc });
    });

  // Users from the Auth emulator, signed in through its REST API: a producer (global admin) who sets
  // up the project, and the artist whose token carries the load (a member, so permissions are checked).
  const { initializeApp } = await import('firebase-admin/app');
  const { getAuth } = await import('firebase-admin/auth');
  const auth = getAuth(initializeApp({ projectId: 'demo-montu' }, 'load'));
  const signIn = async (email, password) => {
    const res = await fetch(`http://${env.FIREBASE_AUTH_EMULATOR_HOST}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=load`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, returnSecureToken: true }),
    });
    return (await res.json()).idToken;
  };
  const producer = await auth.createUser({ email: 'producer@load.test', password: 'producer-pw', displayName: 'Producer' });
  await auth.setCustomUserClaims(producer.uid, { admin: true });
  const artist = await auth.createUser({ email: 'artist@load.test', password: 'artist-pw', displayName: 'Artist' });
  const producerBearer = `Bearer ${await signIn('producer@load.test', 'producer-pw')}`;
  const artistBearer = `Bearer ${await signIn('artist@load.test', 'artist-pw')}`;

  const call = async (method, path, body, bearer = producerBearer) => {
    const res = await fetch(`${base}/api/v1${path}`, { method, headers: { authorization: bearer, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  await call('POST', '/projects', { id: 'SWA', name: 'Sky Whale Armada' });
  await call('POST', '/projects/SWA/users', [{ user_id: artist.uid, permissions: ['write'] }]);
  const taskIds = [];
  for (let i = 0; i < TASKS; i++) {
    const sq = String(Math.floor(i / 20) * 10 + 10).padStart(4, '0');
    const sh = String((i % 20) * 10 + 10).padStart(4, '0');
    const task = await call('POST', '/tasks', { project_id: 'SWA', episode: 'ep01', sequence: `sq${sq}`, shot: `sh${sh}`, task: 'comp', artist: `artist${i % 7}`, frame_range: { start: 1001, end: 1100 } });
    taskIds.push(task.id);
  }

  const headers = { authorization: artistBearer };
  const random = () => taskIds[Math.floor(Math.random() * taskIds.length)];
  let connection = 0;
  /** Each connection updates its own 4 tasks in turn, as artists do, so writes never race each other. */
  const ownTasks = (client) => {
    const mine = taskIds.slice((connection % CONNECTIONS) * 4, (connection % CONNECTIONS) * 4 + 4);
    connection++;
    let pass = 0;
    client.setRequests(
      mine.map((id) => ({
        method: 'PATCH',
        path: `/api/v1/tasks/${id}`,
        setupRequest: (req) => ({ ...req, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ milestone_note: `pass ${++pass}`, actual_time_logged: pass }) }),
      })),
    );
  };
  const scenarios = [
    { name: 'GET /health (no auth; one Firestore probe)', requests: [{ method: 'GET', path: '/health' }] },
    { name: 'list tasks (GET /tasks?project_id=SWA, 50 a page)', requests: [{ method: 'GET', path: '/api/v1/tasks?project_id=SWA&page_size=50', headers }] },
    { name: 'get task (GET /tasks/{id}, random of 200)', requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/api/v1/tasks/${random()}`, headers }) }] },
    { name: 'patch task (PATCH /tasks/{id}, own tasks per connection)', requests: [{ method: 'PATCH', path: '/api/v1/tasks' }], setupClient: ownTasks },
  ];

  // Every scenario briefly at full load first, so "before" is a warmed-up server (code compiled,
  // sockets, buffers and allocator arenas sized) and growth afterwards means memory kept.
  for (const s of scenarios) await autocannon({ url: base, connections: CONNECTIONS, duration: WARMUP_SECONDS, requests: s.requests, setupClient: s.setupClient });
  const before = await memory();
  let peakRss = before.rss;
  const sampler = setInterval(async () => {
    peakRss = Math.max(peakRss, (await memory(false)).rss);
  }, 1000);

  const rows = [];
  for (const s of scenarios) {
    const result = await autocannon({ url: base, connections: CONNECTIONS, duration: SECONDS, requests: s.requests, setupClient: s.setupClient });
    rows.push({
      scenario: s.name,
      'req/s': Math.round(result.requests.average),
      'p50 ms': result.latency.p50,
      'p99 ms': result.latency.p99,
      requests: result.requests.total,
      errors: result.errors + result.timeouts + result.non2xx,
    });
  }
  clearInterval(sampler);
  const after = await memory();

  const mb = (n) => Math.round((n / 1024 / 1024) * 10) / 10;
  console.log(`\n${CONNECTIONS} connections, ${SECONDS} s per scenario, Node ${process.version}, one artist token, ${TASKS} tasks\n`);
  console.table(rows);
  const growth = (after.rss - before.rss) / before.rss;
  console.log(
    `API server RSS: ${mb(before.rss)} MB after warm-up, ${mb(after.rss)} MB after the run (${(growth * 100).toFixed(1)}%), peak ${mb(peakRss)} MB; ` +
      `V8 heap used ${mb(before.heapUsed)} → ${mb(after.heapUsed)} MB of ${mb(before.heapTotal)} → ${mb(after.heapTotal)} MB committed, external ${mb(before.external)} → ${mb(after.external)} MB (after a GC each time)`,
  );
  const errors = rows.reduce((n, r) => n + r.errors, 0);
  console.log(errors === 0 ? 'errors: none' : `ERRORS: ${errors}`);
  console.log(growth < 0.2 ? 'memory growth under 20%' : 'MEMORY GROWTH 20% OR MORE');

  serverProcess.disconnect();
  stackProcess.disconnect();
  process.exitCode = errors === 0 && growth < 0.2 ? 0 : 1;
}
