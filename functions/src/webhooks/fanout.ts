// From the feed to the webhooks: each new feed event becomes one delivery per active webhook that
// subscribes to its type, queued at once. Per-task events of a bulk call or an import (`part_of`
// set) are not delivered: their operation's own event (`tasks_bulk_updated`, `import_completed`)
// is, so a 10,000-row import is one delivery, not 10,000.
import type { DocumentData, Firestore } from 'firebase-admin/firestore';
import type { DeliveryQueue } from './queue.js';
import { ALL_EVENTS, type WebhookEventType } from './schemas.js';
import { freshDelivery, WebhookStore } from './store.js';

/** The body every attempt of a delivery sends; `id` is the event's, the same on every attempt. */
export function webhookBody(id: string, type: WebhookEventType, projectId: string, data: Record<string, unknown>): string {
  return JSON.stringify({ id, type, project_id: projectId, occurred_at: data.timestamp ?? null, actor: data.user ?? null, data });
}

export function subscribes(events: unknown, type: string): boolean {
  return Array.isArray(events) && (events.includes(ALL_EVENTS) || events.includes(type));
}

/** Creates and queues the event's deliveries (again without harm: both steps are idempotent). Returns how many. */
export async function fanOutFeedEvent(db: Firestore, queue: DeliveryQueue, projectId: string, eventId: string, event: DocumentData): Promise<number> {
  const data = (event.data ?? {}) as Record<string, unknown>;
  const type = event.type as WebhookEventType;
  if (data.part_of) return 0;
  const store = new WebhookStore(db);
  const subscribed = (await store.active(projectId)).filter((w) => subscribes(w.get('events'), type));
  const payload = webhookBody(eventId, type, projectId, data);
  await Promise.all(
    subscribed.map(async (webhook) => {
      const task = { project_id: projectId, webhook_id: webhook.id, delivery_id: eventId };
      await store.createDelivery(projectId, webhook.id, eventId, freshDelivery({ webhook_id: webhook.id, project_id: projectId, event_id: eventId, event_type: type, payload }));
      await queue.enqueue(task);
    }),
  );
  return subscribed.length;
}
