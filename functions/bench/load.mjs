// Load on the API over the official emulators: autocannon with 50 connections on /health, list
// tasks, get task and patch task, one member's token. Prints requests per second, p50/p99 latency,
// errors (must be zero) and the serving process's memory before and after (growth must stay under
// 20%). Beside each scenario, in the same run (API and bare in turn), the bare Firestore client doing
// the same reads and writes at the same concurrency for as long: 50 loops replaying
// what a request of the scenario read and wrote (support/replay.mjs; recorded from real requests,
// per task for get and patch); for /health, which reads nothing per request (its probe is reused
// 5 s), a bare node:http server answering the same JSON.
// Four processes so each figure is its own: the emulators (support/stack.mjs), the API server, its
// twin that records and replays the bare side, and this one driving the load.
//
// Run (from the repository root):
//   bash scripts/run.sh node functions/bench/load.mjs
//   LOAD_SECONDS (10), LOAD_CONNECTIONS (50) and LOAD_WARMUP_SECONDS (5 per scenario) change the run;
//   larger: `bash scripts/run.sh env LOAD_SECONDS=30 LOAD_WARMUP_SECONDS=10 node functions/bench/load.mjs`.
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const role = process.argv[2];
const SECONDS = Number(process.env.LOAD_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 50);
const WARMUP_SECONDS = Number(process.env.LOAD_WARMUP_SECONDS ?? 5);
const TASKS = 200;

if (role === '--serve') await serve();
else await drive();

/** The API as Cloud Functions would run it, on a free port, with the per-user budget lifted (the whole load is one user's). */
async function serve() {
  const { initializeApp } = await import('firebase-admin/app');
  const { getAuth } = await import('firebase-admin/auth');
  const { getFirestore } = await import('firebase-admin/firestore');
  const { getStorage } = await import('firebase-admin/storage');
  const { createApp } = await import('../lib/app.js');
  const { defaultConfig } = await import('../lib/config/app-config.js');
  const { describePlan, record, replay } = await import('./support/replay.mjs');
  const { quantile } = await import('./support/report.mjs');
  const app = initializeApp({ projectId: 'demo-montu', storageBucket: 'demo-montu.appspot.com' });
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  const deps = { db, auth: getAuth(app), bucket: getStorage(app).bucket(), clock: () => new Date(), config: defaultConfig({ projectId: 'demo-montu', rateLimitPerMinute: 1e9 }) };
  const server = createApp(deps).listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  const base = () => `http://127.0.0.1:${server.address().port}`;
  // The bare HTTP baseline of /health: node:http answering the same JSON.
  let healthBody = '{}';
  const bareHttp = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(healthBody);
  }).listen(0, '127.0.0.1');

  /** The reads and writes of each request, recorded as the API makes them. */
  const plansFor = async (requests) => {
    const plans = [];
    for (const r of requests) {
      const { plan, result } = await record(db, () => fetch(`${base()}${r.path}`, { method: r.method, headers: r.headers, body: r.body }).then(async (res) => ({ status: res.status, body: await res.text() })));
      if (result.status >= 300) throw new Error(`${r.method} ${r.path} answered ${result.status}: ${result.body}`);
      plans.push(plan);
    }
    return plans;
  };
  /** `connections` loops replaying their plans in turn for `seconds`. */
  const bareLoad = async (plansOf, connections, seconds) => {
    const latencies = [];
    let errors = 0;
    const end = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: connections }, async (_, w) => {
        const mine = plansOf(w);
        for (let k = 0; performance.now() < end; k++) {
          const t0 = performance.now();
          try {
            await replay(mine[k % mine.length]);
            latencies.push(performance.now() - t0);
          } catch {
            errors++;
          }
        }
      }),
    );
    return { rps: latencies.length / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), requests: latencies.length, errors };
  };
  const prepared = new Map();

  process.on('message', async (m) => {
    if (m.memory) {
      if (m.gc) global.gc?.();
      process.send({ id: m.id, memory: process.memoryUsage() });
    } else if (m.prepare) {
      // { prepare: name, requests: [[...one connection's requests], ...] }
      const perConnection = [];
      for (const requests of m.requests) perConnection.push(await plansFor(requests));
      prepared.set(m.prepare, perConnection);
      process.send({ id: m.id, plan: describePlan(perConnection[0][0]) });
    } else if (m.bare) {
      const perConnection = prepared.get(m.bare);
      process.send({ id: m.id, result: await bareLoad((w) => perConnection[w % perConnection.length], m.connections, m.seconds) });
    } else if (m.healthBody) {
      healthBody = m.healthBody;
      process.send({ id: m.id, port: bareHttp.address().port });
    }
  });
  process.on('disconnect', () => server.close(() => process.exit(0)));
}

async function drive() {
  const { default: autocannon } = await import('autocannon');
  const { int, startReport } = await import('./support/report.mjs');
  const { signedInUser, startBenchStack } = await import('./support/stack.mjs');
  const report = startReport('Load', {
    command: `bash scripts/run.sh env LOAD_SECONDS=${SECONDS} LOAD_CONNECTIONS=${CONNECTIONS} LOAD_WARMUP_SECONDS=${WARMUP_SECONDS} node functions/bench/load.mjs`,
    about: `autocannon, ${CONNECTIONS} connections, ${SECONDS} s per scenario after ${WARMUP_SECONDS} s of warm-up each; one member's token; ${TASKS} tasks. The emulators, the API server, its twin running the bare loops and this driver are four processes on the same 2 cores; API and bare runs alternate, scenario by scenario.`,
  });
  const stack = await startBenchStack({ name: 'load', projects: ['demo-montu'] });
  // The API server, and a twin of it that records each scenario's reads and writes through its own
  // copy of the app and replays them bare, so neither side's memory or CPU is the other's.
  const start = async () => {
    const child = fork(fileURLToPath(import.meta.url), ['--serve'], { env: process.env, execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const { port } = await new Promise((resolve) => child.once('message', resolve));
    const pending = new Map();
    child.on('message', (m) => {
      pending.get(m.id)?.(m);
      pending.delete(m.id);
    });
    let asked = 0;
    const ask = (message) =>
      new Promise((resolve) => {
        pending.set(++asked, resolve);
        child.send({ ...message, id: asked });
      });
    return { child, port, ask };
  };
  const apiServer = await start();
  const bareServer = await start();
  const base = `http://127.0.0.1:${apiServer.port}`;
  const memory = async (gc = true) => (await apiServer.ask({ memory: true, gc })).memory;

  try {
    // Users from the Auth emulator: a producer (global admin) who sets up the project, and the artist
    // whose token carries the load (a member, so permissions are checked).
    const { initializeApp } = await import('firebase-admin/app');
    const { getAuth } = await import('firebase-admin/auth');
    const auth = getAuth(initializeApp({ projectId: 'demo-montu' }, 'load'));
    const producer = await signedInUser(auth, 'producer@load.test', { admin: true });
    const artist = await signedInUser(auth, 'artist@load.test');
    const call = async (method, path, body, bearer = producer.bearer) => {
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

    const headers = { authorization: artist.bearer };
    const random = () => taskIds[Math.floor(Math.random() * taskIds.length)];
    const own = (c) => taskIds.slice((c % CONNECTIONS) * 4, (c % CONNECTIONS) * 4 + 4);
    let connection = 0;
    /** Each connection updates its own 4 tasks in turn, as artists do, so writes never race each other. */
    const ownTasks = (client) => {
      const mine = own(connection++);
      let pass = 0;
      client.setRequests(
        mine.map((id) => ({
          method: 'PATCH',
          path: `/api/v1/tasks/${id}`,
          setupRequest: (req) => ({ ...req, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ milestone_note: `pass ${++pass}`, actual_time_logged: pass }) }),
        })),
      );
    };
    const patch = (id, n) => ({ method: 'PATCH', path: `/api/v1/tasks/${id}`, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ milestone_note: `bare ${n}`, actual_time_logged: n }) });
    const scenarios = [
      { name: 'GET /health (no token)', health: true, requests: [{ method: 'GET', path: '/health' }] },
      {
        name: 'list tasks (GET /tasks?project_id=SWA, 50 a page)',
        requests: [{ method: 'GET', path: '/api/v1/tasks?project_id=SWA&page_size=50', headers }],
        bare: [[{ method: 'GET', path: '/api/v1/tasks?project_id=SWA&page_size=50', headers }]],
      },
      {
        name: `get task (GET /tasks/{id}, random of ${TASKS})`,
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/api/v1/tasks/${random()}`, headers }) }],
        bare: [taskIds.map((id) => ({ method: 'GET', path: `/api/v1/tasks/${id}`, headers }))],
      },
      {
        name: 'patch task (PATCH /tasks/{id}, own 4 tasks per connection)',
        requests: [{ method: 'PATCH', path: '/api/v1/tasks' }],
        setupClient: ownTasks,
        bare: Array.from({ length: CONNECTIONS }, (_, c) => own(c).map((id, k) => patch(id, k))),
      },
    ];

    // The bare side's plans, recorded from real requests to the twin (before the warm-up, which they warm too).
    for (const s of scenarios) {
      if (s.health) {
        const body = await (await fetch(`${base}/health`)).text();
        s.barePort = (await bareServer.ask({ healthBody: body })).port;
        s.plan = 'none per request: a node:http server answering the same JSON';
      } else {
        s.plan = (await bareServer.ask({ prepare: s.name, requests: s.bare })).plan;
      }
    }
    const runApi = (s, seconds) => autocannon({ url: base, connections: CONNECTIONS, duration: seconds, requests: s.requests, setupClient: s.setupClient });
    const runBare = (s, seconds) =>
      s.health
        ? autocannon({ url: `http://127.0.0.1:${s.barePort}`, connections: CONNECTIONS, duration: seconds, requests: s.requests }).then((r) => ({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx }))
        : bareServer.ask({ bare: s.name, connections: CONNECTIONS, seconds }).then((m) => m.result);
    // Every scenario briefly at full load first, so "before" is a warmed-up server (code compiled,
    // sockets, buffers and allocator arenas sized) and growth afterwards means memory kept.
    for (const s of scenarios) {
      await runApi(s, WARMUP_SECONDS);
      await runBare(s, WARMUP_SECONDS);
    }
    const before = await memory();
    let peakRss = before.rss;
    const sampler = setInterval(async () => {
      peakRss = Math.max(peakRss, (await memory(false)).rss);
    }, 1000);

    // API and bare in turn, scenario by scenario, the order alternating.
    let errors = 0;
    for (const [i, s] of scenarios.entries()) {
      if (i % 2) {
        s.bare = await runBare(s, SECONDS);
        s.result = await runApi(s, SECONDS);
      } else {
        s.result = await runApi(s, SECONDS);
        s.bare = await runBare(s, SECONDS);
      }
      errors += s.result.errors + s.result.timeouts + s.result.non2xx;
    }
    clearInterval(sampler);
    const after = await memory();
    for (const { name, result, bare, health, plan } of scenarios) {
      report.row({
        figure: `${name}: req/s, p50 / p99`,
        product: `${int(result.requests.average)} req/s, ${result.latency.p50} / ${result.latency.p99} ms; ${int(result.requests.total)} requests, ${result.errors + result.timeouts + result.non2xx} errors`,
        baseline: `${int(bare.rps)} /s, ${Math.round(bare.p50)} / ${Math.round(bare.p99)} ms${bare.errors ? `, ${bare.errors} errors` : ''}: ${health ? '' : `${CONNECTIONS} bare-client loops, each: `}${plan}`,
        ratio: `req/s ${(result.requests.average / bare.rps).toFixed(2)}× the bare; p50 ${(result.latency.p50 / Math.max(1, bare.p50)).toFixed(2)}×`,
        note: health
          ? 'No Firestore per request'
          : 'Every request also asks the Auth emulator for the user (revocation check); the emulator scans for queries (no indexes) and serves everything on the same 2 cores as the API',
      });
    }
    const mb = (n) => Math.round((n / 1024 / 1024) * 10) / 10;
    const growth = (after.rss - before.rss) / before.rss;
    report.row({
      figure: 'API server memory',
      product: `RSS ${mb(before.rss)} MB after warm-up → ${mb(after.rss)} MB after the run (${(growth * 100).toFixed(1)}%), peak ${mb(peakRss)} MB; V8 heap used ${mb(before.heapUsed)} → ${mb(after.heapUsed)} MB (after a GC each time)`,
      note: growth < 0.2 ? 'Under the 20% bound' : 'NOT under the 20% bound',
    });
    report.note(errors === 0 ? 'API errors: none.' : `API ERRORS: ${errors}.`);
    process.exitCode = errors === 0 && growth < 0.2 ? 0 : 1;
  } finally {
    apiServer.child.disconnect();
    bareServer.child.disconnect();
    await stack.stop();
  }
  report.finish({ stack: stack.firestore });
}
