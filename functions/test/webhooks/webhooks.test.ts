// The webhook routes on the emulators, with deliveries attempted in-process (the queue function's
// own code, without Cloud Tasks' waits) to a real receiver on loopback. The served-stack test
// (test/e2e/webhooks.ts, on the one served stack of served-stack.test.ts) runs the same through Cloud Tasks.
import { DocumentReference } from 'firebase-admin/firestore';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyWebhookSignature } from '../../../client/src/webhooks.js';
import { DEFAULT_WEBHOOK_SETTINGS } from '../../src/config/app-config.js';
import { eventsCollection, feedEventDoc } from '../../src/realtime/feed.js';
import { attemptDelivery, MAX_CONSECUTIVE_FAILURES } from '../../src/webhooks/delivery.js';
import { fanOutFeedEvent } from '../../src/webhooks/fanout.js';
import type { DeliveryTask } from '../../src/webhooks/queue.js';
import { WEBHOOK_SECRETS } from '../../src/webhooks/store.js';
import { createTestContext, expectEnvelope, uniqueName, type TestUser } from '../support/context.js';
import { startReceiver, type Receiver } from './receiver.js';

const ctx = createTestContext('webhooks', { webhooks: { ...DEFAULT_WEBHOOK_SETTINGS, allowLoopback: true } });
/** Tasks the API queued, attempted when a test says so. */
const queued: DeliveryTask[] = [];
ctx.deps.webhookQueue = { enqueue: async (task) => void queued.push(task) };

let admin: TestUser;
let writer: TestUser;
let stranger: TestUser;
let receiver: Receiver;
let project: string;

/** Attempts the queued deliveries once each, as one round of Cloud Tasks dispatches; returns what each asked for. */
async function dispatch() {
  const round = queued.splice(0);
  const outcomes = [];
  for (const task of round) {
    const outcome = await attemptDelivery(ctx.deps, task);
    if (outcome === 'retry') queued.push(task);
    outcomes.push(outcome);
  }
  return outcomes;
}

async function createWebhook(body: Record<string, unknown> = {}) {
  const path = `/${uniqueName('hook')}`;
  const res = await ctx.http().post(`/api/v1/projects/${project}/webhooks`).set('Authorization', admin.bearer).send({ url: `${receiver.url}${path}`, events: ['*'], ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { ...(res.body as { id: string; secret: string }), path };
}

const at = (path: string) => receiver.received.filter((r) => r.path === path);

beforeAll(async () => {
  [admin, writer, stranger] = await Promise.all([ctx.createUser({ name: 'lead' }), ctx.createUser({ name: 'artist' }), ctx.createUser({ name: 'outsider' })]);
  project = uniqueName('HOOK').toUpperCase().replace(/-/g, '_');
  await ctx.seedProject(project);
  await ctx.addMember(project, admin, ['admin']);
  await ctx.addMember(project, writer, ['read', 'write']);
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver?.close();
});

describe('managing webhooks', () => {
  it('creates one for project admins, showing the secret only then', async () => {
    const hook = await createWebhook({ events: ['task_updated', 'task_archived'], description: 'render farm' });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const one = await ctx.http().get(`/api/v1/projects/${project}/webhooks/${hook.id}`).set('Authorization', admin.bearer);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: hook.id, project_id: project, events: ['task_updated', 'task_archived'], description: 'render farm', active: true, consecutive_failures: 0, disabled_reason: null });
    expect(JSON.stringify(one.body)).not.toContain(hook.secret);
    const list = await ctx.http().get(`/api/v1/projects/${project}/webhooks`).set('Authorization', admin.bearer);
    expect(list.body).toMatchObject({ page: 1, next_page_token: null });
    expect(list.body.items.map((w: { id: string }) => w.id)).toContain(hook.id);
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
    // The webhook document itself holds no secret: it lives apart.
    expect(JSON.stringify((await ctx.db.doc(`projects/${project}/webhooks/${hook.id}`).get()).data())).not.toContain('whsec_');
    expect((await ctx.db.doc(`${WEBHOOK_SECRETS}/${hook.id}`).get()).get('current')).toBe(hook.secret);
  });

  it('tells non-members the project does not exist (404) and members without admin 403', async () => {
    const hook = await createWebhook();
    for (const [method, path] of [
      ['get', ''],
      ['post', ''],
      ['get', `/${hook.id}`],
      ['patch', `/${hook.id}`],
      ['delete', `/${hook.id}`],
      ['post', `/${hook.id}/rotate-secret`],
      ['post', `/${hook.id}/ping`],
      ['get', `/${hook.id}/deliveries`],
      ['post', `/${hook.id}/deliveries/x/redeliver`],
    ] as const) {
      const url = `/api/v1/projects/${project}/webhooks${path}`;
      const body = { url: 'https://example.com/hook', events: ['*'], active: true };
      const outsider = await ctx.http()[method](url).set('Authorization', stranger.bearer).send(body);
      expect(outsider.status, `${method} ${path}`).toBe(404);
      const member = await ctx.http()[method](url).set('Authorization', writer.bearer).send(body);
      expect(member.status, `${method} ${path}`).toBe(403);
      expectEnvelope(member.body, 'PERMISSION_DENIED');
    }
    const missing = await ctx.http().get(`/api/v1/projects/${project}/webhooks/nope`).set('Authorization', admin.bearer);
    expect(missing.status).toBe(404);
  });

  it('refuses bad bodies with precise messages', async () => {
    const post = (body: unknown) => ctx.http().post(`/api/v1/projects/${project}/webhooks`).set('Authorization', admin.bearer).send(body as object);
    const cases: [unknown, string][] = [
      [{ events: ['*'] }, 'url'],
      [{ url: 'not a url', events: ['*'] }, 'absolute URL'],
      [{ url: 'https://example.com', events: [] }, 'at least one event type'],
      [{ url: 'https://example.com', events: ['task_exploded'] }, 'events lists feed event types'],
      [{ url: 'https://example.com', events: ['*', 'task_updated'] }, '"*" stands alone'],
      [{ url: 'https://example.com', events: ['task_updated', 'task_updated'] }, 'more than once'],
      [{ url: 'https://example.com', events: ['*'], secret: 'mine' }, 'secret'],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(expectEnvelope(res.body, 'VALIDATION_ERROR').message).toContain(message);
    }
  });

  it('refuses targets that are not https or not public (422), checking every resolved address', async () => {
    const post = (url: string) => ctx.http().post(`/api/v1/projects/${project}/webhooks`).set('Authorization', admin.bearer).send({ url, events: ['*'] });
    for (const [url, reason] of [
      ['http://93.184.216.34/hook', 'must be https'],
      ['ftp://93.184.216.34/hook', 'must be https'],
      ['https://10.1.2.3/hook', 'private'],
      ['https://169.254.169.254/latest/meta-data', 'private, link-local'],
      ['https://[fd00::1]/hook', 'private'],
      ['https://[::ffff:192.168.0.1]/hook', 'private'],
      ['https://user:pw@example.com/hook', 'user name or password'],
      ['https://no-such-host.invalid/hook', 'does not resolve'],
    ]) {
      const res = await post(url!);
      expect(res.status, url).toBe(422);
      expect(expectEnvelope(res.body, 'UNPROCESSABLE').message, url).toContain(reason);
    }
    // Without the emulator stack's allowance, loopback is refused too.
    const strict = createTestContext('webhooks-strict');
    await strict.seedProject(project);
    await strict.addMember(project, admin, ['admin']);
    const res = await strict.http().post(`/api/v1/projects/${project}/webhooks`).set('Authorization', admin.bearer).send({ url: 'https://127.0.0.1:8443/x', events: ['*'] });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toBe('This webhook URL resolves to 127.0.0.1, a loopback address');
  });

  it('changes, disables, enables and deletes a webhook with its deliveries and secret', async () => {
    const hook = await createWebhook();
    const url = `/api/v1/projects/${project}/webhooks/${hook.id}`;
    const patched = await ctx.http().patch(url).set('Authorization', admin.bearer).send({ events: ['member_added'], active: false });
    expect(patched.body).toMatchObject({ events: ['member_added'], active: false, updated_by: admin.uid });
    expect((await ctx.http().patch(url).set('Authorization', admin.bearer).send({})).status).toBe(400);
    expect((await ctx.http().patch(url).set('Authorization', admin.bearer).send({ url: 'https://127.0.0.2.nip.invalid' })).status).toBe(422);
    expect((await ctx.http().post(`${url}/ping`).set('Authorization', admin.bearer)).status).toBe(422);
    expect((await ctx.http().patch(url).set('Authorization', admin.bearer).send({ active: true })).body.active).toBe(true);
    await ctx.http().post(`${url}/ping`).set('Authorization', admin.bearer);
    expect((await ctx.http().delete(url).set('Authorization', admin.bearer)).status).toBe(204);
    expect((await ctx.http().get(url).set('Authorization', admin.bearer)).status).toBe(404);
    expect((await ctx.db.doc(`${WEBHOOK_SECRETS}/${hook.id}`).get()).exists).toBe(false);
    expect((await ctx.db.collection(`projects/${project}/webhooks/${hook.id}/deliveries`).get()).size).toBe(0);
    // Its queued delivery finds nothing to do.
    expect(await dispatch()).toEqual(['done']);
  });
});

describe('delivering', () => {
  it('pings with the signed body, headers and event id the docs describe', async () => {
    const hook = await createWebhook();
    const res = await ctx.http().post(`/api/v1/projects/${project}/webhooks/${hook.id}/ping`).set('Authorization', admin.bearer);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ event_type: 'ping', status: 'pending', attempts: 0 });
    expect(await dispatch()).toEqual(['done']);
    const [got] = at(hook.path);
    expect(got!.headers).toMatchObject({ 'content-type': 'application/json', 'x-montu-event': 'ping', 'x-montu-delivery': res.body.id });
    expect(got!.json).toMatchObject({ id: res.body.event_id, type: 'ping', project_id: project, actor: admin.uid, data: { webhook_id: hook.id } });
    expect(verifyWebhookSignature(hook.secret, got!.headers['x-montu-signature'] as string, got!.body)).toBe(true);
    const deliveries = await ctx.http().get(`/api/v1/projects/${project}/webhooks/${hook.id}/deliveries`).set('Authorization', admin.bearer);
    expect(deliveries.body.items[0]).toMatchObject({ id: res.body.id, status: 'delivered', attempts: 1, last_status_code: 200, response_body: 'answered 200', last_error: null });
    expect(deliveries.body.items[0].duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('reads the delivery, its webhook and its secrets in one request, and on success writes the delivery alone', async () => {
    // Each delivery is a function call of its own, mostly waiting on Firestore (the webhooks benchmark).
    const hook = await createWebhook();
    await ctx.http().post(`/api/v1/projects/${project}/webhooks/${hook.id}/ping`).set('Authorization', admin.bearer);
    const getAll = vi.spyOn(ctx.deps.db, 'getAll');
    const get = vi.spyOn(DocumentReference.prototype, 'get');
    const update = vi.spyOn(DocumentReference.prototype, 'update');
    try {
      expect(await dispatch()).toEqual(['done']);
      expect(getAll.mock.calls.map((refs) => refs.map((ref) => (ref as DocumentReference).path))).toEqual([
        [`projects/${project}/webhooks/${hook.id}/deliveries/${at(hook.path)[0]!.headers['x-montu-delivery']}`, `projects/${project}/webhooks/${hook.id}`, `${WEBHOOK_SECRETS}/${hook.id}`],
      ]);
      expect([get.mock.calls.length, update.mock.calls.length]).toEqual([0, 0]);
    } finally {
      vi.restoreAllMocks();
    }
    expect(verifyWebhookSignature(hook.secret, at(hook.path)[0]!.headers['x-montu-signature'] as string, at(hook.path)[0]!.body)).toBe(true);
  });

  it('retries a failed delivery with the same event id, recording each attempt and the next', async () => {
    const hook = await createWebhook();
    receiver.answer(hook.path, 500, 503);
    const ping = await ctx.http().post(`/api/v1/projects/${project}/webhooks/${hook.id}/ping`).set('Authorization', admin.bearer);
    expect(await dispatch()).toEqual(['retry']);
    const delivery = ctx.db.doc(`projects/${project}/webhooks/${hook.id}/deliveries/${ping.body.id}`);
    const first = (await delivery.get()).data()!;
    expect(first).toMatchObject({ status: 'retrying', attempts: 1, last_status_code: 500, response_body: 'answered 500', last_error: 'The receiver answered 500' });
    expect(first.next_attempt_at.toMillis() - first.last_attempt_at.toMillis()).toBe(DEFAULT_WEBHOOK_SETTINGS.minBackoffSeconds * 1000);
    expect(await dispatch()).toEqual(['retry']);
    expect((await delivery.get()).data()!.next_attempt_at.toMillis() - (await delivery.get()).data()!.last_attempt_at.toMillis()).toBe(2 * DEFAULT_WEBHOOK_SETTINGS.minBackoffSeconds * 1000);
    expect(await dispatch()).toEqual(['done']);
    expect(at(hook.path).map((r) => r.json.id)).toEqual([ping.body.event_id, ping.body.event_id, ping.body.event_id]);
    expect((await delivery.get()).data()).toMatchObject({ status: 'delivered', attempts: 3, last_status_code: 200, next_attempt_at: null });
    expect((await ctx.db.doc(`projects/${project}/webhooks/${hook.id}`).get()).get('consecutive_failures')).toBe(0);
    // A repeated dispatch of a settled delivery sends nothing.
    expect(await attemptDelivery(ctx.deps, { project_id: project, webhook_id: hook.id, delivery_id: ping.body.id })).toBe('done');
    expect(at(hook.path)).toHaveLength(3);
  });

  it('disables the webhook at once on 410 Gone, and cancels what was still queued', async () => {
    const hook = await createWebhook();
    receiver.answer(hook.path, 410);
    await ctx.http().post(`/api/v1/projects/${project}/webhooks/${hook.id}/ping`).set('Authorization', admin.bearer);
    const second = await ctx.http().post(`/api/v1/projects/${project}/webhooks/${hook.id}/ping`).set('Authorization', admin.bearer);
    expect(await dispatch()).toEqual(['done', 'done']);
    const webhook = await ctx.http().get(`/api/v1/projects/${project}/webhooks/${hook.id}`).set('Authorization', admin.bearer);
    expect(webhook.body).toMatchObject({ active: false, disabled_reason: 'The receiver answered 410 Gone' });
    expect(at(hook.path)).toHaveLength(1);
    const failed = await ctx.http().get(`/api/v1/projects/${project}/webhooks/${hook.id}/deliveries?status=failed`).set('Authorization', admin.bearer);
    expect(failed.body.items).toHaveLength(1);
    expect(failed.body.items[0]).toMatchObject({ status: 'failed', last_status_code: 410 });
    const cancelled = await ctx.http().get(`/api/v1/projects/${project}/webhooks/${hook.id}/deliveries?status=cancelled`).set('Authorization', admin.bearer);
    expect(cancelled.body.items.map((d: { id: string }) => d.id)).toEqual([second.body.id]);
  });

  it(`disables the webhook after ${MAX_CONSECUTIVE_FAILURES} failures in a row, with the reason`, async () => {
    const hook = await createWebhook();
    await ctx.db.doc(`projects/${project}/webhooks/${hook.id}`).update({ consecutive_failures: MAX_CONSECUTIVE_FAILURES - 1 });
    receiver.answer(hook.path, 502);
    await ctx.http().post(`/api/v1/projects/${project}/webhooks/${hook.id}/ping`).set('Authorization', admin.bearer);
    expect(await dispatch()).toEqual(['done']);
    const webhook = (await ctx.http().get(`/api/v1/projects/${project}/webhooks/${hook.id}`).set('Authorization', admin.bearer)).body;
    expect(webhook).toMatchObject({ active: false, consecutive_failures: MAX_CONSECUTIVE_FAILURES, disabled_reason: `Disabled after ${MAX_CONSECUTIVE_FAILURES} failed deliveries in a row` });
  });

  it('refuses at delivery a target that no longer resolves to a public address, sending nothing', async () => {
    const hook = await createWebhook();
    await ctx.http().post(`/api/v1/projects/${project}/webhooks/${hook.id}/ping`).set('Authorization', admin.bearer);
    // As if the name now pointed inside the network (saved through the database: the API refuses it).
    await ctx.db.doc(`projects/${project}/webhooks/${hook.id}`).update({ url: 'https://10.0.0.7/hook' });
    expect(await dispatch()).toEqual(['retry']);
    const [delivery] = (await ctx.http().get(`/api/v1/projects/${project}/webhooks/${hook.id}/deliveries`).set('Authorization', admin.bearer)).body.items;
    expect(delivery).toMatchObject({ status: 'retrying', last_status_code: null, last_error: expect.stringContaining('Refused target') });
    queued.splice(0);
  });

  it('signs with both secrets for a day after a rotation', async () => {
    const hook = await createWebhook();
    const rotated = await ctx.http().post(`/api/v1/projects/${project}/webhooks/${hook.id}/rotate-secret`).set('Authorization', admin.bearer);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(new Date(rotated.body.previous_secret_expires_at).getTime() - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    await ctx.http().post(`/api/v1/projects/${project}/webhooks/${hook.id}/ping`).set('Authorization', admin.bearer);
    await dispatch();
    const [got] = at(hook.path);
    const header = got!.headers['x-montu-signature'] as string;
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verifyWebhookSignature(rotated.body.secret, header, got!.body)).toBe(true);
    expect(verifyWebhookSignature(hook.secret, header, got!.body)).toBe(true);
  });

  it('redelivers an event as a new delivery with the same body id; lists newest first', async () => {
    const hook = await createWebhook();
    const ping = await ctx.http().post(`/api/v1/projects/${project}/webhooks/${hook.id}/ping`).set('Authorization', admin.bearer);
    await dispatch();
    const again = await ctx.http().post(`/api/v1/projects/${project}/webhooks/${hook.id}/deliveries/${ping.body.id}/redeliver`).set('Authorization', admin.bearer);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: `${ping.body.id}_r1`, event_id: ping.body.event_id, redelivery_of: ping.body.id, status: 'pending' });
    await dispatch();
    expect(at(hook.path).map((r) => [r.json.id, r.headers['x-montu-delivery']])).toEqual([
      [ping.body.event_id, ping.body.id],
      [ping.body.event_id, again.body.id],
    ]);
    const list = await ctx.http().get(`/api/v1/projects/${project}/webhooks/${hook.id}/deliveries?page_size=1`).set('Authorization', admin.bearer);
    expect(list.body).toMatchObject({ total: 2, page_size: 1, items: [{ id: again.body.id }] });
    const next = await ctx.http().get(`/api/v1/projects/${project}/webhooks/${hook.id}/deliveries?page_size=1&page_token=${list.body.next_page_token}`).set('Authorization', admin.bearer);
    expect(next.body.items.map((d: { id: string }) => d.id)).toEqual([ping.body.id]);
    expect((await ctx.http().get(`/api/v1/projects/${project}/webhooks/${hook.id}/deliveries?status=lost`).set('Authorization', admin.bearer)).status).toBe(400);
    expect((await ctx.http().post(`/api/v1/projects/${project}/webhooks/${hook.id}/deliveries/nope/redeliver`).set('Authorization', admin.bearer)).status).toBe(404);
  });
});

describe('fanning out feed events', () => {
  it('makes one delivery per subscribed webhook, none for per-task events of a bulk call, once however often it runs', async () => {
    const fanProject = uniqueName('FAN').toUpperCase().replace(/-/g, '_');
    await ctx.seedProject(fanProject);
    await ctx.addMember(fanProject, admin, ['admin']);
    const create = async (events: string[]) =>
      (await ctx.http().post(`/api/v1/projects/${fanProject}/webhooks`).set('Authorization', admin.bearer).send({ url: `${receiver.url}/fan`, events })).body.id as string;
    const all = await create(['*']);
    const updates = await create(['task_updated']);
    await create(['member_added']);
    const paused = await create(['*']);
    await ctx.http().patch(`/api/v1/projects/${fanProject}/webhooks/${paused}`).set('Authorization', admin.bearer).send({ active: false });

    const ref = await eventsCollection(ctx.db, fanProject).add(feedEventDoc('task_updated', writer.uid, { task_id: 't1', changes: { status: 'approved' } }));
    const event = (await ref.get()).data()!;
    expect(await fanOutFeedEvent(ctx.db, ctx.deps.webhookQueue!, fanProject, ref.id, event)).toBe(2);
    expect(await fanOutFeedEvent(ctx.db, ctx.deps.webhookQueue!, fanProject, ref.id, event)).toBe(2);
    expect(queued.map((t) => t.webhook_id).sort()).toEqual([all, all, updates, updates].sort());
    const stored = (await ctx.db.doc(`projects/${fanProject}/webhooks/${all}/deliveries/${ref.id}`).get()).data()!;
    expect(JSON.parse(stored.payload)).toEqual({ id: ref.id, type: 'task_updated', project_id: fanProject, occurred_at: event.data.timestamp, actor: writer.uid, data: event.data });
    queued.splice(0);

    const part = await eventsCollection(ctx.db, fanProject).add(feedEventDoc('task_updated', writer.uid, { task_id: 't2', changes: {}, part_of: 'bulk-1' }));
    expect(await fanOutFeedEvent(ctx.db, ctx.deps.webhookQueue!, fanProject, part.id, (await part.get()).data()!)).toBe(0);
    expect(queued).toEqual([]);
  });
});
