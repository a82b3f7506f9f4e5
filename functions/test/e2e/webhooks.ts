// Webhooks on the served stack: changes made through the API reach a real receiver on loopback
// through the emulated triggers, the Cloud Tasks emulator and the queue function, signed. The
// stack's functions/.env.demo-montu allows loopback and spaces retries 1 s, 2 s, 4 s apart.
import type { DocumentData } from 'firebase-admin/firestore';
import { afterAll, beforeAll, describe, expect, it, onTestFailed, vi } from 'vitest';
import { verifyWebhookSignature } from '../../../client/src/webhooks.js';
import { startReceiver, type Received, type Receiver } from '../webhooks/receiver.js';
import type { ServedApi } from './served-api.js';

const soon = { timeout: 30_000, interval: 200 };
/** The first change starts cold workers for three functions in turn (trigger, fan-out, queue). */
const FIRST_CHANGE_MS = 60_000;

let stack: ServedApi;
let receiver: Receiver;
let project: string;

async function subscribe(path: string, events: string[] = ['*']) {
  const res = await stack.api('POST', `/projects/${project}/webhooks`, { url: `${receiver.url}${path}`, events });
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

async function delivery(webhookId: string, id: string) {
  const list = await stack.api('GET', `/projects/${project}/webhooks/${webhookId}/deliveries?page_size=100`);
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
      await vi.waitFor(() => expect(types('/changes')).toEqual(['task_updated']), { ...soon, timeout: FIRST_CHANGE_MS - 10_000 });
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
  });
}
