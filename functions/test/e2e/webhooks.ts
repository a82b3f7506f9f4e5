// Webhooks on the served stack: changes made through the API reach a real receiver on loopback
// through the emulated triggers, the Cloud Tasks emulator and the queue function, signed. The
// stack's functions/.env.demo-montu allows loopback and spaces retries 1 s, 2 s, 4 s apart.
import { getAuth } from 'firebase-admin/auth';
import type { DocumentData } from 'firebase-admin/firestore';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, onTestFailed, vi } from 'vitest';
import { verifyWebhookSignature } from '../../../client/src/webhooks.js';
import { startReceiver, type Received, type Receiver } from '../webhooks/receiver.js';
import { callerAt, mediaForm, newPerson } from './attacks.js';
import type { ServedApi } from './served-api.js';

const soon = { timeout: 30_000, interval: 200 };
/** The first change starts cold workers for three functions in turn (trigger, fan-out, queue). */
const FIRST_CHANGE_MS = 60_000;

let stack: ServedApi;
let receiver: Receiver;
let project: string;

async function subscribe(path: string, events: string[] = ['*'], projectId = project) {
  const res = await stack.api('POST', `/projects/${projectId}/webhooks`, { url: `${receiver.url}${path}`, events });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; secret: string };
}

const at = (path: string) => receiver.received.filter((r) => r.path === path);
const types = (path: string) => at(path).map((r) => r.json.type);
const signedBy = (secret: string, r: Received) => verifyWebhookSignature(secret, r.headers['x-montu-signature'] as string, r.body);

async function ping(webhookId: string) {
  const res = await stack.api('POST', `/projects/${project}/webhooks/${webhookId}/ping`);
  expect(res.status).toBe(202);
  return res.body as DocumentData;
}

async function delivery(webhookId: string, id: string, projectId = project) {
  const list = await stack.api('GET', `/projects/${projectId}/webhooks/${webhookId}/deliveries?page_size=100`);
  return (list.body.items as DocumentData[]).find((d) => d.id === id);
}

/** The webhook scenarios, run on the served stack of served-stack.test.ts (one stack for every end-to-end test). */
export function webhookScenarios(servedApi: () => ServedApi): void {
  describe('webhooks on the served stack', () => {
    beforeAll(async () => {
      stack = servedApi();
      receiver = await startReceiver();
      project = await stack.createProject();
    });

    afterAll(async () => {
      await receiver?.close();
    });

    it('deliver a task change and its archiving once per subscribed webhook, signed', async () => {
      onTestFailed(() => console.log(`[e2e] received: ${JSON.stringify(receiver.received.map((r) => [r.path, r.json.type]))}; stack log ${stack.logFile}`));
      const taskId = await stack.createTask(project, 'SH0310');
      const changes = await subscribe('/changes', ['task_updated', 'task_archived']);
      const everything = await subscribe('/everything');
      expect((await stack.api('PATCH', `/tasks/${taskId}`, { status: 'in_progress' })).status).toBe(200);
      // Both deliveries of the change before the archiving: deliveries are separate queue tasks, in no set order.
      await vi.waitFor(() => expect([types('/changes'), types('/everything').includes('task_updated')]).toEqual([['task_updated'], true]), { ...soon, timeout: FIRST_CHANGE_MS - 10_000 });
      expect((await stack.api('DELETE', `/tasks/${taskId}`)).status).toBe(200);
      await vi.waitFor(() => expect(types('/changes')).toEqual(['task_updated', 'task_archived']), soon);
      // (The project's and the task's creation may still be fanning out as the webhook is made: only the later events count.)
      await vi.waitFor(() => expect(types('/everything').filter((t) => t.startsWith('task_') && t !== 'task_created')).toEqual(['task_updated', 'task_archived']), soon);
      const [updated] = at('/changes');
      expect(updated!.json).toMatchObject({ type: 'task_updated', project_id: project, data: { task_id: taskId, changes: { status: 'in_progress' } } });
      expect(updated!.headers['x-montu-event']).toBe('task_updated');
      expect(signedBy(changes.secret, updated!)).toBe(true);
      expect(signedBy(everything.secret, updated!)).toBe(false);
      for (const r of at('/everything')) expect(signedBy(everything.secret, r)).toBe(true);
      expect(types('/changes')).toEqual(['task_updated', 'task_archived']);
      // The same event, delivered to two webhooks: one id.
      expect(at('/everything').find((r) => r.json.type === 'task_updated')!.json.id).toBe(updated!.json.id);
    }, FIRST_CHANGE_MS);

    it('deliver a media deletion once per subscribed webhook, signed, naming the deleter (not the uploader) as actor', async () => {
      onTestFailed(() => console.log(`[e2e] received: ${JSON.stringify(receiver.received.map((r) => [r.path, r.json.type]))}; stack log ${stack.logFile}`));
      // A project of its own, so that only this test's webhooks subscribe to its events.
      const media = await stack.createProject();
      const taskId = await stack.createTask(media, 'SH0350');
      const uploader = await newPerson(getAuth(stack.admin), 'uploader');
      const added = await stack.api('POST', `/projects/${media}/users`, [{ user_id: uploader.uid, permissions: ['write'] }]);
      expect(added.body.errors).toEqual([]);
      const deletions = await subscribe('/media-deleted', ['media_deleted'], media);
      const everything = await subscribe('/media-everything', ['*'], media);
      const uploads = await subscribe('/media-uploads', ['media_uploaded'], media);

      const png = await sharp({ create: { width: 32, height: 18, channels: 3, background: { r: 40, g: 90, b: 160 } } }).png().toBuffer();
      const asUploader = callerAt(() => `http://127.0.0.1:${stack.ports.hosting}/api/v1`, () => uploader.bearer);
      const uploaded = await asUploader('POST', '/media', mediaForm(taskId, 'v001', 'comp_v001.png', png, 'image/png'));
      expect(uploaded.status).toBe(201);
      const mediaId = uploaded.body.id as string;
      await vi.waitFor(() => expect(types('/media-uploads')).toEqual(['media_uploaded']), soon);
      // Deleted once its thumbnails are made, so no thumbnail work races the deletion.
      await vi.waitFor(async () => expect((await stack.api('GET', `/media/${mediaId}`)).body.thumbnail_status).toBe('ready'), soon);
      expect((await stack.api('DELETE', `/media/${mediaId}`)).status).toBe(204);

      const deleted = (path: string) => at(path).filter((r) => r.json.type === 'media_deleted');
      await vi.waitFor(() => expect([deleted('/media-deleted').length, deleted('/media-everything').length]).toEqual([1, 1]), soon);
      // Both deliveries recorded as made at the first attempt: no retry is still to come.
      for (const [hook, path] of [[deletions, '/media-deleted'], [everything, '/media-everything']] as const) {
        const [received] = deleted(path);
        expect(received!.json).toEqual({
          id: received!.json.id,
          type: 'media_deleted',
          project_id: media,
          occurred_at: expect.any(String),
          actor: stack.adminUid,
          data: { media_id: mediaId, task_id: taskId, user: stack.adminUid, timestamp: received!.json.occurred_at },
        });
        expect(received!.headers['x-montu-event']).toBe('media_deleted');
        expect(signedBy(hook.secret, received!)).toBe(true);
        await vi.waitFor(async () => expect(await delivery(hook.id, received!.headers['x-montu-delivery'] as string, media)).toMatchObject({ status: 'delivered', attempts: 1 }), soon);
      }
      expect(deleted('/media-deleted')[0]!.json.id).toBe(deleted('/media-everything')[0]!.json.id);
      expect(types('/media-deleted')).toEqual(['media_deleted']);
      expect(deleted('/media-everything')).toHaveLength(1);
      expect(types('/media-uploads')).toEqual(['media_uploaded']);
      expect(signedBy(uploads.secret, at('/media-uploads')[0]!)).toBe(true);
    });

    it('retry a receiver answering 500 twice, then 200, with the same event id', async () => {
      const hook = await subscribe('/flaky', ['member_added']);
      receiver.answer('/flaky', 500, 500);
      const queued = await ping(hook.id);
      await vi.waitFor(() => expect(at('/flaky').map((r) => r.json.id)).toEqual([queued.event_id, queued.event_id, queued.event_id]), soon);
      await vi.waitFor(async () => expect(await delivery(hook.id, queued.id)).toMatchObject({ status: 'delivered', attempts: 3, last_status_code: 200 }), soon);
    });

    it('disable a webhook whose receiver answers 410 Gone', async () => {
      const hook = await subscribe('/gone');
      receiver.answer('/gone', 410);
      await ping(hook.id);
      await vi.waitFor(async () => expect((await stack.api('GET', `/projects/${project}/webhooks/${hook.id}`)).body).toMatchObject({ active: false, disabled_reason: 'The receiver answered 410 Gone' }), soon);
      expect(at('/gone')).toHaveLength(1);
    });

    it('sign with both secrets after a rotation, and redeliver an event with its id', async () => {
      const hook = await subscribe('/rotated', ['member_added']);
      const rotated = await stack.api('POST', `/projects/${project}/webhooks/${hook.id}/rotate-secret`);
      expect(rotated.status).toBe(200);
      const queued = await ping(hook.id);
      await vi.waitFor(() => expect(at('/rotated')).toHaveLength(1), soon);
      const [first] = at('/rotated');
      expect((first!.headers['x-montu-signature'] as string).match(/v1=/g)).toHaveLength(2);
      expect(signedBy(hook.secret, first!) && signedBy(rotated.body.secret, first!)).toBe(true);
      await vi.waitFor(async () => expect((await delivery(hook.id, queued.id))?.status).toBe('delivered'), soon);
      const again = await stack.api('POST', `/projects/${project}/webhooks/${hook.id}/deliveries/${queued.id}/redeliver`);
      expect(again.status).toBe(202);
      await vi.waitFor(() => expect(at('/rotated')).toHaveLength(2), soon);
      expect(at('/rotated')[1]!.json.id).toBe(first!.json.id);
      expect(at('/rotated')[1]!.headers['x-montu-delivery']).toBe(again.body.id);
    });

    it('deliver a bulk update as one event, not one per task', async () => {
      const [a, b, c] = [await stack.createTask(project, 'SH0320'), await stack.createTask(project, 'SH0330'), await stack.createTask(project, 'SH0340')];
      await subscribe('/bulk', ['task_updated', 'tasks_bulk_updated']);
      const bulk = await stack.api('PATCH', '/tasks/bulk-update', [a, b, c].map((task_id) => ({ task_id, updates: { priority: 'high' } })));
      expect(bulk.body).toMatchObject({ updated_count: 3 });
      await vi.waitFor(() => expect(types('/bulk')).toEqual(['tasks_bulk_updated']), soon);
      // The per-task feed events exist (for live clients), and reach no webhook.
      await vi.waitFor(async () => expect((await stack.db.collection(`projects/${project}/events`).where('data.part_of', '!=', null).get()).size).toBe(3), soon);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(types('/bulk')).toEqual(['tasks_bulk_updated']);
      expect(at('/bulk')[0]!.json.data).toMatchObject({ task_ids: [a, b, c], operation: 'bulk_update', changes: { priority: 'high' } });
    });

    it('refuse private targets and everyone but the project admin, on the served API', async () => {
      for (const [url, reason] of [
        ['https://10.0.0.7/hook', 'private'],
        ['https://169.254.169.254/latest/meta-data', 'link-local'],
        ['https://[::ffff:192.168.1.1]/hook', 'private'],
        ['http://93.184.216.34/hook', 'must be https'],
      ]) {
        const refused = await stack.api('POST', `/projects/${project}/webhooks`, { url, events: ['*'] });
        expect({ url, status: refused.status, code: refused.body.error?.code }).toEqual({ url, status: 422, code: 'UNPROCESSABLE' });
        expect(refused.body.error.message, url).toContain(reason);
      }
      const artist = await newPerson(getAuth(stack.admin), 'hook-artist');
      const outsider = await newPerson(getAuth(stack.admin), 'hook-outsider');
      expect((await stack.api('POST', `/projects/${project}/users`, [{ user_id: artist.uid, permissions: ['read', 'write'] }])).body.errors).toEqual([]);
      const base = () => `http://127.0.0.1:${stack.ports.hosting}/api/v1`;
      const body = { url: `${receiver.url}/never`, events: ['*'] };
      const asArtist = await callerAt(base, () => artist.bearer)('POST', `/projects/${project}/webhooks`, body);
      expect({ status: asArtist.status, code: asArtist.body.error?.code }).toEqual({ status: 403, code: 'PERMISSION_DENIED' });
      const asOutsider = await callerAt(base, () => outsider.bearer)('GET', `/projects/${project}/webhooks`);
      expect({ status: asOutsider.status, code: asOutsider.body.error?.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect(at('/never')).toEqual([]);
    });
  });
}
