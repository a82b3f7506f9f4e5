// Webhooks as project admins manage them: CRUD, secret rotation, ping, the delivery log and
// redelivery. Plain values in and out; the rules of delivery itself are in delivery.ts.
import { randomBytes } from 'node:crypto';
import type { DocumentSnapshot } from 'firebase-admin/firestore';
import type { Caller } from '../auth/caller.js';
import { notFound, unprocessable } from '../http/errors.js';
import { paginate, type PageParams } from '../http/pagination.js';
import { docToJson } from '../lib/serialize.js';
import { webhookBody } from './fanout.js';
import { cloudTasksQueue, type DeliveryQueue } from './queue.js';
import { MAX_WEBHOOKS_PER_PROJECT, type DeliveryStatus } from './schemas.js';
import { newSecret } from './signature.js';
import { freshDelivery, WebhookStore, type WebhookRecord } from './store.js';
import { checkTarget } from './targets.js';
import { DomainService } from '../lib/domain-service.js';

/** How long the previous secret keeps signing after a rotation. */
export const ROLLOVER_MS = 24 * 3600_000;

export interface WebhookInput {
  url?: string | undefined;
  events?: string[] | undefined;
  description?: string | undefined;
  active?: boolean | undefined;
}

const orNull = (value: unknown) => value ?? null;

function toWebhook(snap: DocumentSnapshot) {
  const json = docToJson(snap);
  return {
    id: snap.id,
    project_id: String(json.project_id),
    url: String(json.url),
    events: json.events as string[],
    description: String(json.description ?? ''),
    active: json.active === true,
    disabled_reason: orNull(json.disabled_reason) as string | null,
    disabled_at: orNull(json.disabled_at) as string | null,
    consecutive_failures: Number(json.consecutive_failures ?? 0),
    secret_rotated_at: orNull(json.secret_rotated_at) as string | null,
    previous_secret_expires_at: orNull(json.previous_secret_expires_at) as string | null,
    created_at: orNull(json.created_at) as string | null,
    created_by: String(json.created_by),
    updated_at: orNull(json.updated_at) as string | null,
    updated_by: String(json.updated_by),
  };
}

function toDelivery(snap: DocumentSnapshot) {
  const { payload: _payload, redeliveries: _n, project_id: _p, ...json } = docToJson(snap);
  return json;
}

export class WebhookService extends DomainService {
  private readonly store = new WebhookStore(this.deps.db);

  /** Tests give their own queue; functions use Cloud Tasks. */
  private get queue(): DeliveryQueue {
    return this.deps.webhookQueue ?? cloudTasksQueue();
  }

  private async requireAdmin(caller: Caller, projectId: string) {
    await this.access.require(caller, projectId, 'admin');
    if (!(await this.projects.get(projectId))) throw notFound(`Project ${projectId}`);
  }

  private async requireWebhook(caller: Caller, projectId: string, id: string): Promise<DocumentSnapshot> {
    await this.requireAdmin(caller, projectId);
    const snap = await this.store.get(projectId, id);
    if (!snap) throw notFound(`Webhook ${id}`);
    return snap;
  }

  /** 422 unless the URL may be delivered to: https, and a public address. */
  private async requireSafeUrl(url: string) {
    const check = await checkTarget(url, this.deps.config.webhooks.allowLoopback);
    if (!check.ok) throw unprocessable(`This webhook URL ${check.reason}`, { field: 'url', issue: check.reason });
  }

  async create(caller: Caller, projectId: string, input: WebhookInput & { url: string; events: string[] }) {
    await this.requireAdmin(caller, projectId);
    await this.requireSafeUrl(input.url);
    if ((await this.store.count(projectId)) >= MAX_WEBHOOKS_PER_PROJECT) {
      throw unprocessable(`Project ${projectId} already has ${MAX_WEBHOOKS_PER_PROJECT} webhooks, the most it may have; delete one first`);
    }
    const secret = newSecret();
    const record: Omit<WebhookRecord, 'project_id'> = {
      url: input.url,
      events: input.events,
      description: input.description ?? '',
      active: input.active ?? true,
      disabled_reason: null,
      disabled_at: null,
      consecutive_failures: 0,
      secret_rotated_at: null,
      previous_secret_expires_at: null,
      created_by: caller.uid,
      updated_by: caller.uid,
    };
    const id = await this.store.create(projectId, record, secret);
    return { ...toWebhook((await this.store.get(projectId, id))!), secret };
  }

  async list(caller: Caller, projectId: string, page: PageParams) {
    await this.requireAdmin(caller, projectId);
    return paginate(this.store.collection(projectId), page, { orderBy: [{ field: 'created_at', direction: 'asc' }], fingerprint: ['webhooks', projectId], map: toWebhook });
  }

  async get(caller: Caller, projectId: string, id: string) {
    return toWebhook(await this.requireWebhook(caller, projectId, id));
  }

  async update(caller: Caller, projectId: string, id: string, input: WebhookInput) {
    await this.requireWebhook(caller, projectId, id);
    if (input.url !== undefined) await this.requireSafeUrl(input.url);
    const { active, ...rest } = input;
    const changes: Partial<WebhookRecord> = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    // Enabling again starts afresh; disabling by hand names nobody's failure.
    if (active === true) Object.assign(changes, { active, disabled_reason: null, disabled_at: null, consecutive_failures: 0 });
    if (active === false) changes.active = false;
    await this.store.update(projectId, id, { ...changes, updated_by: caller.uid });
    return toWebhook((await this.store.get(projectId, id))!);
  }

  async remove(caller: Caller, projectId: string, id: string) {
    await this.requireWebhook(caller, projectId, id);
    await this.store.remove(projectId, id);
  }

  async rotateSecret(caller: Caller, projectId: string, id: string) {
    await this.requireWebhook(caller, projectId, id);
    const secret = newSecret();
    const previousExpiresAt = new Date(this.deps.clock().getTime() + ROLLOVER_MS);
    await this.store.rotate(projectId, id, secret, caller.uid, previousExpiresAt);
    return { secret, previous_secret_expires_at: previousExpiresAt.toISOString() };
  }

  /** Queues a `ping` event to the webhook, whatever it subscribes to. */
  async ping(caller: Caller, projectId: string, id: string) {
    const webhook = await this.requireWebhook(caller, projectId, id);
    if (webhook.get('active') !== true) throw unprocessable(`Webhook ${id} is disabled; enable it (PATCH active: true) to ping it`);
    const eventId = `ping_${randomBytes(10).toString('hex')}`;
    const now = this.deps.clock().toISOString();
    const payload = webhookBody(eventId, 'ping', projectId, { webhook_id: id, url: webhook.get('url'), user: caller.uid, timestamp: now });
    await this.store.createDelivery(projectId, id, eventId, freshDelivery({ webhook_id: id, project_id: projectId, event_id: eventId, event_type: 'ping', payload }));
    return this.queued(projectId, id, eventId);
  }

  async listDeliveries(caller: Caller, projectId: string, id: string, query: PageParams & { status?: DeliveryStatus | undefined }) {
    await this.requireWebhook(caller, projectId, id);
    return paginate(this.store.deliveryQuery(projectId, id, query.status), query, {
      orderBy: [{ field: 'created_at', direction: 'desc' }],
      fingerprint: ['deliveries', projectId, id, query.status ?? null],
      map: toDelivery,
    });
  }

  /** A new delivery of the same event (same body `id`), queued now. */
  async redeliver(caller: Caller, projectId: string, id: string, deliveryId: string) {
    const webhook = await this.requireWebhook(caller, projectId, id);
    if (webhook.get('active') !== true) throw unprocessable(`Webhook ${id} is disabled; enable it (PATCH active: true) to redeliver`);
    const newId = await this.store.redeliver(projectId, id, deliveryId);
    if (!newId) throw notFound(`Delivery ${deliveryId}`);
    return this.queued(projectId, id, newId);
  }

  private async queued(projectId: string, webhookId: string, deliveryId: string) {
    await this.queue.enqueue({ project_id: projectId, webhook_id: webhookId, delivery_id: deliveryId });
    return toDelivery((await this.store.getDelivery(projectId, webhookId, deliveryId))!);
  }
}
