// The served stack end to end: `node stack/serve.mjs` (what `npm run serve` runs after
// building) on free ports, driven over HTTP at its Hosting URL with ID tokens from its Auth
// emulator. Audit entries, feed events and thumbnails come from the emulated functions' own
// triggers, fired by the stack; the test never calls a handler. A web page using the Firebase web
// SDK, in headless Chromium, listens to the same stack as a browser front end does (web-page.ts).
// Needs functions/lib built and /usr/bin/chromium (`npm test` does both first).
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { getFirestore, type DocumentData, type Firestore } from 'firebase-admin/firestore';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, onTestFailed, vi } from 'vitest';
import { freePorts, PROJECT_ID, type Ports } from '../../../stack/emulators.mjs';
import { startServedStack, type ServedStack } from '../../../stack/served.mjs';
import { signIn, uniqueName } from '../support/context.js';
import { openWebPage, type WebPage } from './web-page.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const soon = { timeout: 15_000, interval: 100 };
/** The served stack's output, to read when a test fails. */
const LOG_FILE = path.join(tmpdir(), `montu-served-stack-${process.pid}.log`);

let served: ServedStack | undefined;
let ports: Ports;
let admin: App;
let db: Firestore;
let bearer: string;
const EMULATOR_VARIABLES = ['FIRESTORE_EMULATOR_HOST', 'FIREBASE_AUTH_EMULATOR_HOST', 'FIREBASE_STORAGE_EMULATOR_HOST', 'STORAGE_EMULATOR_HOST'] as const;
const savedEnv = Object.fromEntries(EMULATOR_VARIABLES.map((name) => [name, process.env[name]]));

/** A call to the served API (through Hosting's /api rewrite) as the seeded studio admin. */
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: DocumentData; headers: Headers }> {
  const headers: Record<string, string> = { authorization: bearer };
  let payload: FormData | string | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`http://127.0.0.1:${ports.hosting}/api/v1${path}`, { method, headers, body: payload });
  const text = await res.text();
  return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text, headers: res.headers };
}

async function createProject(): Promise<string> {
  const id = uniqueName('E2E').toUpperCase().replace(/-/g, '_');
  const res = await api('POST', '/projects', { id, name: `End to end ${id}` });
  expect(res.status).toBe(201);
  return id;
}

async function createTask(projectId: string, shot: string): Promise<string> {
  const res = await api('POST', '/tasks', { project_id: projectId, episode: 'Ep01', sequence: 'sq0010', shot, task: 'comp' });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

beforeAll(async () => {
  expect(existsSync(`${ROOT}functions/lib/index.js`), 'functions/lib is not built: run npm run build').toBe(true);
  ports = await freePorts();
  console.log(`[e2e] the served stack logs to ${LOG_FILE}`);
  // No demo data: the test makes what it needs, and the seed's own trigger work stays out of it.
  served = await startServedStack({ ports, logFile: LOG_FILE });
  // This file's clients read the served stack (each test file runs in its own process).
  process.env.FIRESTORE_EMULATOR_HOST = `127.0.0.1:${ports.firestore}`;
  process.env.FIREBASE_AUTH_EMULATOR_HOST = `127.0.0.1:${ports.auth}`;
  admin = initializeApp({ projectId: PROJECT_ID }, uniqueName('served'));
  db = getFirestore(admin);
  // A studio admin in the served Auth emulator, signed in there for a real ID token.
  const email = `${uniqueName('admin')}@studio.test`;
  const { uid } = await getAuth(admin).createUser({ email, password: 'e2e-password' });
  await getAuth(admin).setCustomUserClaims(uid, { admin: true });
  bearer = `Bearer ${(await signIn(email, 'e2e-password')).idToken}`;
}, 95_000);

afterAll(async () => {
  if (admin) await deleteApp(admin);
  await served?.stop();
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('the served stack', () => {
  it('says it serves with the official Firestore emulator', () => {
    expect(served!.output()).toMatch(/Firestore {4}: the official Cloud Firestore emulator on 127\.0\.0\.1:\d+ \(Java \d+/);
  });

  it("applies the app's CORS allow-list to preflights, which the Functions emulator would otherwise answer for any origin", async () => {
    const preflight = (origin: string) =>
      fetch(`http://127.0.0.1:${ports.hosting}/api/v1/tasks`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization,content-type' } });
    const allowed = await preflight('http://localhost:5173');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const refused = await preflight('https://evil.example');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a malformed JSON body, which the Functions runtime parses before the app, without a stack trace or file paths', async () => {
    const res = await fetch(`http://127.0.0.1:${ports.hosting}/api/v1/tasks`, { method: 'POST', headers: { authorization: bearer, 'content-type': 'application/json' }, body: '{"project_id": "SWA",' });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).not.toMatch(/\s+at |node_modules|\.[jt]s:\d+|SyntaxError:/);
  });
});

describe('what the platform does before the app, on the served stack', () => {
  it('refuses a form-urlencoded PATCH (the Functions runtime parses it before the app) with 415, changing nothing', async () => {
    const taskId = await createTask(await createProject(), 'SH0070');
    const res = await fetch(`http://127.0.0.1:${ports.hosting}/api/v1/tasks/${taskId}`, {
      method: 'PATCH',
      headers: { authorization: bearer, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'status=approved&priority=urgent',
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as DocumentData).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await api('GET', `/tasks/${taskId}`)).body).toMatchObject({ status: 'not_started', priority: 'medium' });
  });

  it('keys the sign-in brake on the address the platform saw, never on a client-written X-Forwarded-For', async () => {
    const email = `${uniqueName('victim')}@studio.test`.toLowerCase();
    await getAuth(admin).createUser({ email, password: 'right-password' });
    const login = (password: string, forwardedFor: string) =>
      fetch(`http://127.0.0.1:${ports.hosting}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
        body: JSON.stringify({ email, password }),
      });
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) statuses.push((await login('wrong-password', `203.0.113.${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });
});

describe('the served stack fires the triggers', () => {
  it('a task PATCHed over HTTP gets its audit entries and its feed event', async () => {
    const projectId = await createProject();
    const taskId = await createTask(projectId, 'SH0010');
    const patched = await api('PATCH', `/tasks/${taskId}`, { status: 'in_progress' });
    expect(patched.status).toBe(200);
    const uid = patched.body.updated_by as string;

    await vi.waitFor(async () => {
      const history = await api('GET', `/tasks/${taskId}/history`);
      expect(history.body.items.map((e: DocumentData) => e.action)).toEqual(['update', 'create']);
    }, soon);
    const [update] = (await api('GET', `/tasks/${taskId}/history`)).body.items;
    expect(update).toMatchObject({
      collection: 'tasks',
      document_id: taskId,
      document_path: `tasks/${taskId}`,
      project_id: projectId,
      action: 'update',
      changes: { status: { old: 'not_started', new: 'in_progress' } },
      actor: uid,
      bulk_id: null,
    });

    await vi.waitFor(async () => {
      const events = await db.collection(`projects/${projectId}/events`).where('type', '==', 'task_updated').get();
      expect(events.docs.map((d) => d.get('data'))).toEqual([{ task_id: taskId, changes: { status: 'in_progress' }, user: uid, timestamp: update.time }]);
    }, soon);
  });

  it('a media upload over HTTP gets its thumbnails and image facts', async () => {
    const projectId = await createProject();
    const taskId = await createTask(projectId, 'SH0020');
    const png = await sharp({ create: { width: 640, height: 360, channels: 3, background: { r: 200, g: 90, b: 30 } } }).png().toBuffer();
    const form = new FormData();
    form.set('task_id', taskId);
    form.set('version', 'v001');
    form.set('file', new Blob([png], { type: 'image/png' }), 'comp_v001.png');
    const uploaded = await api('POST', '/media', form);
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.thumbnail_status).toBe('pending');
    const mediaId = uploaded.body.id as string;

    await vi.waitFor(async () => expect((await api('GET', `/media/${mediaId}`)).body.thumbnail_status).toBe('ready'), soon);
    const media = (await api('GET', `/media/${mediaId}`)).body;
    expect(media).toMatchObject({
      thumbnail_key: `thumbnails/${taskId}/v001/comp_v001.png_thumb.jpg`,
      thumbnail_small_key: `thumbnails/${taskId}/v001/comp_v001.png_thumb_small.jpg`,
      metadata: { width: 640, height: 360, format: 'png' },
    });
    const thumb = await fetch(`http://127.0.0.1:${ports.hosting}/api/v1/media/${mediaId}/thumbnail`, { headers: { authorization: bearer } });
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    expect((await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).format).toBe('jpeg');
  });

  it('a listener on the project feed receives task messages as the API creates, updates and bulk-updates tasks', async () => {
    const projectId = await createProject();
    const received: DocumentData[] = [];
    const stop = db
      .collection(`projects/${projectId}/events`)
      .orderBy('created_at')
      .onSnapshot((snap) => {
        for (const change of snap.docChanges()) if (change.type === 'added') received.push(change.doc.data());
      });

    const a = await createTask(projectId, 'SH0030');
    const b = await createTask(projectId, 'SH0040');
    const patched = await api('PATCH', `/tasks/${a}`, { status: 'in_progress' });
    expect(patched.status).toBe(200);
    const bulk = await api('PATCH', '/tasks/bulk-update', [
      { task_id: a, updates: { priority: 'high' } },
      { task_id: b, updates: { priority: 'high' } },
    ]);
    expect(bulk.body).toMatchObject({ updated_count: 2, updated_tasks: [a, b] });

    const summary = (m: DocumentData) => {
      const d = m.data as DocumentData;
      if (m.type === 'task_created') return `created ${d.task.id}`;
      if (m.type === 'task_updated') return `updated ${d.task_id} ${JSON.stringify(d.changes)}${d.part_of ? ' (bulk)' : ''}`;
      return `${m.type} ${d.task_ids.join(',')} ${JSON.stringify(d.changes)}`;
    };
    const expected = [
      `created ${a}`,
      `created ${b}`,
      `updated ${a} {"status":"in_progress"}`,
      `tasks_bulk_updated ${a},${b} {"priority":"high"}`,
      `updated ${a} {"priority":"high"} (bulk)`,
      `updated ${b} {"priority":"high"} (bulk)`,
    ];
    await vi.waitFor(() => expect(received.map(summary).sort()).toEqual([...expected].sort()), soon);
    stop();
    const arrived = received.map(summary);
    // The triggers write the task messages in commit order; the bulk endpoint writes its own event
    // at once, so it comes before the messages that are part of it.
    expect(arrived.filter((m) => !m.startsWith('tasks_bulk_updated'))).toEqual(expected.filter((m) => !m.startsWith('tasks_bulk_updated')));
    expect(arrived.indexOf(expected[3]!)).toBeLessThan(arrived.indexOf(expected[4]!));
    // Each message's timestamp is its write's time: in that order, the messages follow the calls.
    expect([...received].sort((x, y) => x.data.timestamp.localeCompare(y.data.timestamp)).map(summary)).toEqual(expected);
    const bulkId = (await db.doc(`tasks/${a}`).get()).get('bulk_id');
    expect(received.filter((m) => m.data.part_of).map((m) => m.data.part_of)).toEqual([bulkId, bulkId]);
    expect(new Set(received.map((m) => m.data.user))).toEqual(new Set([patched.body.updated_by]));
  });
});

describe('a browser page with the Firebase web SDK on the served stack', () => {
  // The web SDK's Firestore transport in a browser is WebChannel over HTTP/1.1 (Node's is gRPC):
  // only a real browser shows that browsers can listen to the served stack.
  let web: WebPage;

  beforeAll(async () => {
    web = await openWebPage();
  });

  afterAll(async () => {
    await web?.close();
  });

  it('signs in through the Auth emulator, sees a task change made through the API in its listener, and is refused on a project it is not a member of', async () => {
    onTestFailed(() => console.log(`[e2e] the page's console:\n${web.console.join('\n')}\nits requests:\n${web.requests.join('\n')}`));
    const { page } = web;
    // An artist with read access to one project, added through the API by the studio admin.
    const email = `${uniqueName('artist')}@studio.test`.toLowerCase();
    const password = 'artist-password';
    const { uid } = await getAuth(admin).createUser({ email, password });
    const mine = await createProject();
    const taskId = await createTask(mine, 'SH0050');
    const added = await api('POST', `/projects/${mine}/users`, [{ email, permissions: ['read'] }]);
    expect(added.body).toMatchObject({ added: [{ user_id: uid, permissions: ['read'] }], errors: [] });
    const theirs = await createProject();
    const theirTask = await createTask(theirs, 'SH0060');

    await page.goto(`${web.url}#projectId=${PROJECT_ID}&auth=http://127.0.0.1:${ports.auth}&firestore=127.0.0.1:${ports.firestore}`);
    await page.fill('#sign-in [name=email]', email);
    await page.fill('#sign-in [name=password]', password);
    await page.click('#sign-in button');
    await page.waitForSelector('#who[data-uid], #who[data-error]', { timeout: soon.timeout });
    expect(await page.getAttribute('#who', 'data-uid')).toBe(uid);
    expect(await page.textContent('#who')).toBe(`Signed in as ${email} (${uid})`);

    // Their own project: the project reads, the channel goes live with its task.
    const own = `article[data-project="${mine}"]`;
    await page.fill('#open [name=project]', mine);
    await page.click('#open button');
    await page.waitForSelector(`${own}[data-read="ok"][data-listen="live"] li[data-task-id="${taskId}"]`, { timeout: soon.timeout });
    expect(await page.textContent(`${own} h2`)).toBe(`End to end ${mine} (${mine})`);
    expect(await page.getAttribute(`${own} li[data-task-id="${taskId}"]`, 'data-status')).toBe('not_started');

    // Someone else's project: the rules refuse both the read and the listener.
    const other = `article[data-project="${theirs}"]`;
    await page.fill('#open [name=project]', theirs);
    await page.click('#open button');
    await page.waitForSelector(`${other}:not([data-read="loading"]):not([data-listen="connecting"])`, { timeout: soon.timeout });
    expect(await page.getAttribute(other, 'data-read')).toBe('permission-denied');
    expect(await page.getAttribute(other, 'data-listen')).toBe('permission-denied');

    // The studio admin changes the artist's task through the served API; the page's listeners see it.
    const patched = await api('PATCH', `/tasks/${taskId}`, { status: 'in_progress' });
    expect(patched.status).toBe(200);
    await page.waitForSelector(`${own} li[data-task-id="${taskId}"][data-status="in_progress"]`, { timeout: soon.timeout });
    const message = `${own} li[data-type="task_updated"][data-task-id="${taskId}"]`;
    await page.waitForSelector(message, { timeout: soon.timeout });
    expect(await page.textContent(message)).toBe(`task_updated ${taskId} {"status":"in_progress"} by ${patched.body.updated_by}`);
    // Nothing of the other project reached the page.
    expect(await page.locator(`${other} li`).count()).toBe(0);
    expect(await page.content()).not.toContain(theirTask);

    // The listeners ran over the web SDK's browser transport, and the page used nothing off this machine.
    expect(web.requests.some((url) => url.startsWith(`http://127.0.0.1:${ports.firestore}/google.firestore.v1.Firestore/Listen/channel`))).toBe(true);
    expect(web.requests.filter((url) => !/^(http:\/\/127\.0\.0\.1:\d+\/|data:)/.test(url))).toEqual([]);
  });
});

describe('the interactive docs in a real browser', () => {
  // Every HTTP-level check of these pages passed while ReDoc showed only an error: only a browser tells.
  let web: WebPage;
  let operations: number;

  beforeAll(async () => {
    web = await openWebPage();
    const doc = (await api('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    operations = Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
  });

  afterAll(async () => {
    await web?.close();
  });

  // What the browser refuses by the pages' Content-Security-Policy (it says so on the console) never
  // leaves the machine.
  const refusedByPolicy = (url: string) => web.console.some((line) => line.includes(`'${url}' violates the following Content Security Policy`) && line.includes('has been blocked'));
  const offMachine = () => web.requests.filter((url) => !refusedByPolicy(url) && !/^(http:\/\/(127\.0\.0\.1|localhost):\d+\/|data:|blob:)/.test(url));

  it('ReDoc renders every operation and no error', async () => {
    onTestFailed(() => console.log(`[e2e] the page's console:\n${web.console.join('\n')}`));
    const { page } = web;
    const response = await page.goto(`http://127.0.0.1:${ports.hosting}/redoc`);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.waitForSelector('[data-section-id^="operation/"], h1:has-text("Something went wrong")', { timeout: soon.timeout });
    expect(await page.locator('text=Something went wrong').count()).toBe(0);
    expect(await page.locator('[data-section-id^="operation/"]').count()).toBe(operations);
    expect(offMachine()).toEqual([]);
  });

  it('Swagger UI lists every operation, and "Try it out" on GET /tasks with a token answers 200', async () => {
    onTestFailed(() => console.log(`[e2e] the page's console:\n${web.console.join('\n')}`));
    const { page } = web;
    await page.goto(`http://127.0.0.1:${ports.hosting}/docs`);
    await page.waitForSelector('.opblock', { timeout: soon.timeout });
    expect(await page.locator('.opblock').count()).toBe(operations);

    await page.click('.auth-wrapper .authorize');
    await page.fill('.auth-container input', bearer.replace(/^Bearer /, ''));
    await page.click('.auth-btn-wrapper .authorize');
    await page.click('.btn-done');
    const listTasks = page.locator('.opblock-get', { has: page.locator('.opblock-summary-path[data-path="/api/v1/tasks"]') });
    await listTasks.locator('.opblock-summary').click();
    await listTasks.locator('.try-out__btn').click();
    await listTasks.locator('.execute').click();
    const status = listTasks.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor({ timeout: soon.timeout });
    expect((await status.textContent())?.trim()).toBe('200');
    expect(offMachine()).toEqual([]);
  });
});

describe('task dependencies on the served stack', () => {
  it('an upstream task completed over HTTP makes its downstream task ready within seconds, and listeners see it', async () => {
    const projectId = await createProject();
    const task = async (taskType: string, extra: Record<string, unknown> = {}) => {
      const res = await api('POST', '/tasks', { project_id: projectId, episode: 'Ep09', sequence: 'sq0010', shot: 'SH0900', task: taskType, ...extra });
      expect(res.status).toBe(201);
      return res.body;
    };
    const animation = await task('animation');
    const lighting = await task('lighting', { depends_on: [animation.id] });
    expect(lighting).toMatchObject({ blocked_by: [animation.id], ready: false });

    const readiness: boolean[] = [];
    const messages: DocumentData[] = [];
    const stopTask = db.doc(`tasks/${lighting.id}`).onSnapshot((snap) => readiness.push(snap.get('ready') as boolean));
    const stopFeed = db
      .collection(`projects/${projectId}/events`)
      .where('type', '==', 'task_ready')
      .onSnapshot((snap) => {
        for (const change of snap.docChanges()) if (change.type === 'added') messages.push(change.doc.get('data'));
      });
    await vi.waitFor(() => expect(readiness).toEqual([false]), soon);

    const started = Date.now();
    expect((await api('PATCH', `/tasks/${animation.id}`, { status: 'completed' })).status).toBe(200);
    await vi.waitFor(() => expect(readiness.at(-1)).toBe(true), soon);
    const seconds = (Date.now() - started) / 1000;
    await vi.waitFor(() => expect(messages).toEqual([expect.objectContaining({ task_id: lighting.id, blocked_by: [], user: 'system' })]), soon);
    stopTask();
    stopFeed();
    expect(seconds).toBeLessThan(10);

    const queue = await api('GET', `/tasks?project_id=${projectId}&ready=true`);
    expect(queue.body.items.map((t: DocumentData) => t.id)).toEqual([lighting.id]);
    const dependencies = await api('GET', `/tasks/${lighting.id}/dependencies`);
    expect(dependencies.body.upstream).toEqual([expect.objectContaining({ id: animation.id, status: 'completed', blocking: false })]);
  });
});
