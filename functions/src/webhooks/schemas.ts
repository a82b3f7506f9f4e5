import { z } from 'zod';
import type { FeedEventType } from '@montu/client/messages';
import { paginationQuery } from '../http/pagination.js';
import { docIdSchema, projectIdSchema } from '../lib/ids.js';

/** Every feed event type a webhook can subscribe to (the feed's own list, checked below to stay complete). */
export const FEED_EVENT_TYPES = [
  'task_created',
  'task_updated',
  'task_archived',
  'task_deleted',
  'tasks_bulk_updated',
  'task_ready',
  'task_blocked',
  'media_uploaded',
  'media_approved',
  'media_deleted',
  'annotation_created',
  'annotation_updated',
  'annotation_archived',
  'annotation_deleted',
  'import_completed',
  'member_added',
  'member_updated',
  'member_removed',
] as const satisfies readonly FeedEventType[];
// Fails to compile when the feed gains a type this list lacks.
const complete: Exclude<FeedEventType, (typeof FEED_EVENT_TYPES)[number]> extends never ? true : never = true;
void complete;

export type WebhookEventType = (typeof FEED_EVENT_TYPES)[number] | 'ping';
export const ALL_EVENTS = '*';
export const MAX_WEBHOOKS_PER_PROJECT = 20;

export const DELIVERY_STATUSES = ['pending', 'retrying', 'delivered', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

const urlSchema = z
  .string()
  .min(1, 'url is required')
  .max(2048, 'url is at most 2048 characters')
  .refine((u) => URL.canParse(u), 'url must be an absolute URL')
  .describe('Where events are POSTed: https, on a public address');

const eventsSchema = z
  .array(z.enum([...FEED_EVENT_TYPES, ALL_EVENTS], { message: `events lists feed event types (${FEED_EVENT_TYPES.join(', ')}) or "*"` }))
  .min(1, 'events needs at least one event type, or "*" for all')
  .max(FEED_EVENT_TYPES.length)
  .refine((events) => !events.includes(ALL_EVENTS) || events.length === 1, '"*" stands alone: it already means every event type')
  .refine((events) => new Set(events).size === events.length, 'events lists a type more than once')
  .describe('Event types to deliver, or ["*"] for all (ping is always delivered)');

const descriptionSchema = z.string().max(500, 'description is at most 500 characters');

export const createWebhookBody = z.strictObject({
  url: urlSchema,
  events: eventsSchema,
  description: descriptionSchema.optional(),
  active: z.boolean().optional().describe('Deliver events (default true)'),
});

export const updateWebhookBody = z
  .strictObject({
    url: urlSchema.optional(),
    events: eventsSchema.optional(),
    description: descriptionSchema.optional(),
    active: z.boolean().optional().describe('true re-enables a disabled webhook and clears its failure count'),
  })
  .refine((body) => Object.keys(body).length > 0, 'Give at least one of url, events, description, active');

const webhookIdSchema = docIdSchema('Webhook');
const deliveryIdSchema = docIdSchema('Delivery');

export const webhooksParams = z.strictObject({ project_id: projectIdSchema });
export const webhookParams = z.strictObject({ project_id: projectIdSchema, webhook_id: webhookIdSchema });
export const deliveryParams = z.strictObject({ project_id: projectIdSchema, webhook_id: webhookIdSchema, delivery_id: deliveryIdSchema });

export const listWebhooksQuery = z.strictObject(paginationQuery);
export const listDeliveriesQuery = z.strictObject({
  ...paginationQuery,
  status: z.enum(DELIVERY_STATUSES, { message: `status is one of ${DELIVERY_STATUSES.join(', ')}` }).optional().describe('Only deliveries in this state'),
});

const time = z.string().nullable();

export const webhookResponse = z.object({
  id: z.string(),
  project_id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string(),
  active: z.boolean(),
  disabled_reason: z.string().nullable().describe('Why delivery stopped (410 Gone, or too many failures in a row)'),
  disabled_at: time,
  consecutive_failures: z.number().int(),
  secret_rotated_at: time,
  previous_secret_expires_at: time.describe('Until then the previous secret signs beside the new one'),
  created_at: time,
  created_by: z.string(),
  updated_at: time,
  updated_by: z.string(),
});

export const webhookWithSecretResponse = webhookResponse.extend({ secret: z.string().describe('The signing secret: shown only here') });

export const rotatedSecretResponse = z.object({
  secret: z.string().describe('The new signing secret: shown only here'),
  previous_secret_expires_at: z.string().describe('The old secret signs beside the new one until then'),
});

export const deliveryResponse = z.object({
  id: z.string(),
  webhook_id: z.string(),
  event_id: z.string().describe('The `id` of the body: the same on every attempt and redelivery'),
  event_type: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  duration_ms: z.number().int().nullable().describe('Of the last attempt'),
  response_body: z.string().nullable().describe('The first 1 KB of the last answer'),
  created_at: time,
  first_attempt_at: time,
  last_attempt_at: time,
  next_attempt_at: time,
  delivered_at: time,
  redelivery_of: z.string().nullable(),
});
