// The fetch core against the served stack: envelope errors, ID-token refresh, pagination over
// next_page_token, both upload paths with progress, and the served document behind the types.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../functions/src/app.js';
import { defaultConfig } from '../../functions/src/config/app-config.js';
import { servedDocument, typesOf, TYPES_FILE } from '../scripts/openapi-types.mjs';
import { MontuApiError, MontuClient, MontuNetworkError, type Progress } from '../src/index.js';
import { createUser, loggedIn, newEmail, newEpisode, stack, studioAdmin, unique } from './support/stack.js';

describe('types generated from the API', () => {
  it('the committed types are what the generator writes from the document the app serves', async () => {
    const document = await servedDocument(createApp, defaultConfig);
    expect(await typesOf(document), 'run `npm run generate -w @montu/client` after building functions').toBe(readFileSync(TYPES_FILE, 'utf8'));
    // And the served stack serves that same document.
    expect(await (await fetch(`${stack.baseUrl}/openapi.json`)).json()).toEqual(document);
  });
});

describe('errors', () => {
  it('carry the envelope of an API failure', async () => {
    const anonymous = new MontuClient({ baseUrl: stack.baseUrl });
    const error = await anonymous.getTasks().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MontuApiError);
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect((error as MontuApiError).envelope?.error).toEqual({
      code: 'UNAUTHENTICATED',
      message: expect.any(String),
      details: null,
      timestamp: expect.any(String),
      request_id: expect.any(String),
    });

    const admin = await studioAdmin();
    const invalid = await admin.createTask({} as never).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_ERROR', details: expect.any(Object), requestId: expect.any(String) });
  });

  it('are network errors when nothing answers', async () => {
    const client = new MontuClient({ baseUrl: 'http://127.0.0.1:9/api/v1' });
    await expect(client.getTasks()).rejects.toBeInstanceOf(MontuNetworkError);
  });
});

describe('ID tokens', () => {
  it('are refreshed through POST /auth/refresh before they expire, and after a 401', async () => {
    const email = newEmail('refresh');
    await createUser(email);
    const sessions: unknown[] = [];
    const client = await loggedIn(email, { onSession: (s) => sessions.push(s) });
    const first = client.currentSession!;

    // A session about to expire is refreshed before the request goes out.
    const resumed = new MontuClient({ baseUrl: stack.baseUrl, session: { ...first, expires_at: Date.now() + 1000 } });
    const refreshing = vi.spyOn(resumed, 'refresh');
    expect((await resumed.me()).user_id).toBe(first.user_id);
    expect(refreshing).toHaveBeenCalledTimes(1);
    expect(resumed.currentSession!.expires_at).toBeGreaterThan(Date.now() + 30 * 60_000);

    // A token the API refuses (here a forged one) is refreshed once and the request retried.
    const forged = new MontuClient({ baseUrl: stack.baseUrl, session: { ...first, access_token: 'not-a-token' } });
    expect((await forged.me()).user_id).toBe(first.user_id);
    expect(forged.currentSession!.access_token).not.toBe('not-a-token');
    expect(sessions).toHaveLength(1);
  });
});

describe('pagination', () => {
  it('walks every page through next_page_token', async () => {
    const admin = await studioAdmin();
    const project = await admin.createProject({ id: unique('PAGE'), name: 'Paging' });
    const episode = newEpisode();
    const shots = Array.from({ length: 7 }, (_, i) => `sh${String(i + 1).padStart(4, '0')}`);
    for (const shot of shots) await admin.createTask({ project_id: project.id, episode, sequence: 'sq0010', shot, task: 'comp' });

    const seen: string[] = [];
    for await (const task of admin.tasks({ project_id: project.id, page_size: 3, sort: 'created_at', order: 'asc' })) seen.push(task.shot);
    expect(seen.map((s) => s.toLowerCase())).toEqual(shots);
  });
});

describe('a task id two projects use', () => {
  it('is ambiguous without a project (409 naming both), and project_id picks one for reads, updates and uploads', async () => {
    const admin = await studioAdmin();
    const [first, second] = await Promise.all([admin.createProject({ id: unique('ONE'), name: 'One' }), admin.createProject({ id: unique('TWO'), name: 'Two' })]);
    const shot = { episode: newEpisode(), sequence: 'sq0010', shot: 'sh0010', task: 'comp' };
    const { id } = await admin.createTask({ project_id: first.id, ...shot });
    expect((await admin.createTask({ project_id: second.id, ...shot })).id).toBe(id);

    const ambiguous = await admin.getTask(id).catch((e: unknown) => e);
    expect(ambiguous).toMatchObject({ status: 409, code: 'CONFLICT' });
    expect((ambiguous as MontuApiError).message).toContain([first.id, second.id].sort().join(', '));

    await admin.updateTask(id, { description: 'second only' }, { project_id: second.id });
    expect(await admin.getTask(id, { project_id: second.id })).toMatchObject({ project_id: second.id, description: 'second only' });
    const { task: untouched } = await admin.getTaskVersioned(id, { project_id: first.id });
    expect(untouched.project_id).toBe(first.id);
    expect(untouched.description).not.toBe('second only');

    const media = await admin.uploadMedia(new File([new Uint8Array(64)], 'comp_v001.mov', { type: 'video/quicktime' }), id, { project_id: first.id });
    expect(media).toMatchObject({ linked_task_id: id, project_id: first.id });
  });
});

describe('uploads', () => {
  let admin: MontuClient;
  let taskId: string;
  const bytes = new Uint8Array(1024 * 1024).map((_, i) => i % 251);

  beforeAll(async () => {
    admin = await studioAdmin();
    const project = await admin.createProject({ id: unique('UPLOAD'), name: 'Uploads' });
    taskId = (await admin.createTask({ project_id: project.id, episode: newEpisode(), sequence: 'sq0010', shot: 'sh0010', task: 'comp' })).id;
  });

  it('multipart POST /media reports progress up to the whole request', async () => {
    const progress: Progress[] = [];
    const media = await admin.uploadMedia(new File([bytes], 'comp_v001.mov', { type: 'video/quicktime' }), taskId, { onProgress: (p) => progress.push(p) });
    expect(media).toMatchObject({ linked_task_id: taskId, file_name: 'comp_v001.mov' });
    expect(progress.at(-1)!.loaded).toBe(progress.at(-1)!.total);
    expect(progress.at(-1)!.total).toBeGreaterThan(bytes.length);
    expect(progress.length).toBeGreaterThan(2);
  });

  it('the upload-url path sends the bytes to Storage with progress, and the trigger completes the record', async () => {
    const progress: Progress[] = [];
    const reply = await admin.uploadLargeMedia(new File([bytes], 'comp_v002.mov', { type: 'video/quicktime' }), taskId, { version: 'v002', onProgress: (p) => progress.push(p) });
    expect(reply.upload_headers['Content-Type'] ?? reply.upload_headers['content-type']).toBe('video/quicktime');
    expect(progress.at(-1)).toEqual({ loaded: bytes.length, total: bytes.length });
    expect(progress.length).toBeGreaterThan(2);
    await vi.waitFor(async () => expect((await admin.getMedia(reply.media.id)).status).toBe('active'), { timeout: 20_000, interval: 200 });
    const download = await fetch(admin.url(`/media/${reply.media.id}/download`), { headers: { authorization: `Bearer ${admin.currentSession!.access_token}` } });
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);
  });
});
