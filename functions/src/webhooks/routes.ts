import { pageSchema } from '../http/pagination.js';
import type { Reply } from '../http/reply.js';
import { created, defineRoute, noContent, ok } from '../http/route.js';
import {
  createWebhookBody,
  deliveryParams,
  deliveryResponse,
  listDeliveriesQuery,
  listWebhooksQuery,
  rotatedSecretResponse,
  updateWebhookBody,
  webhookParams,
  webhookResponse,
  webhooksParams,
  webhookWithSecretResponse,
} from './schemas.js';
import { WebhookService } from './service.js';

const tags = ['Webhooks'];
const ADMINS = 'Project admins only; non-members hear the project does not exist (404), other members get 403.';
const accepted = (body: unknown): Reply => ({ status: 202, body });

export function webhookRoutes(service: WebhookService) {
  return [
    defineRoute({
      method: 'get',
      path: '/projects/{project_id}/webhooks',
      summary: "List a project's webhooks (without their secrets)",
      description: ADMINS,
      tags,
      params: webhooksParams,
      query: listWebhooksQuery,
      responses: { 200: { description: 'Webhooks, oldest first', schema: pageSchema(webhookResponse) } },
      handler: async ({ caller, params, query }) => ok(await service.list(caller, params.project_id, query)),
    }),
    defineRoute({
      method: 'post',
      path: '/projects/{project_id}/webhooks',
      summary: 'Subscribe a URL to the project\'s events; the answer carries the signing secret, shown only here',
      description:
        `${ADMINS} The URL must be https and resolve to public addresses only (no private, loopback or link-local target). ` +
        'Every delivery is signed: X-Montu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>. See docs/webhooks.md.',
      tags,
      params: webhooksParams,
      body: createWebhookBody,
      responses: {
        201: { description: 'The webhook and its secret', schema: webhookWithSecretResponse },
        422: { description: 'Refused URL (not https, or resolving to a non-public address), or the project has the most webhooks it may have' },
      },
      handler: async ({ caller, params, body }) => created(await service.create(caller, params.project_id, body)),
    }),
    defineRoute({
      method: 'get',
      path: '/projects/{project_id}/webhooks/{webhook_id}',
      summary: 'One webhook (without its secret)',
      description: ADMINS,
      tags,
      params: webhookParams,
      responses: { 200: { description: 'The webhook', schema: webhookResponse } },
      handler: async ({ caller, params }) => ok(await service.get(caller, params.project_id, params.webhook_id)),
    }),
    defineRoute({
      method: 'patch',
      path: '/projects/{project_id}/webhooks/{webhook_id}',
      summary: 'Change a webhook\'s URL, events, description or active flag',
      description: `${ADMINS} active: true enables a disabled webhook again and clears its failure count and reason.`,
      tags,
      params: webhookParams,
      body: updateWebhookBody,
      responses: { 200: { description: 'The webhook', schema: webhookResponse }, 422: { description: 'Refused URL' } },
      handler: async ({ caller, params, body }) => ok(await service.update(caller, params.project_id, params.webhook_id, body)),
    }),
    defineRoute({
      method: 'delete',
      path: '/projects/{project_id}/webhooks/{webhook_id}',
      summary: 'Delete a webhook with its delivery log; queued deliveries are dropped',
      description: ADMINS,
      tags,
      params: webhookParams,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ caller, params }) => {
        await service.remove(caller, params.project_id, params.webhook_id);
        return noContent();
      },
    }),
    defineRoute({
      method: 'post',
      path: '/projects/{project_id}/webhooks/{webhook_id}/rotate-secret',
      summary: 'A new signing secret; the old one signs beside it for 24 hours',
      description: `${ADMINS} During the rollover every delivery carries two v1= signatures, so receivers can switch secrets without losing events.`,
      tags,
      params: webhookParams,
      responses: { 200: { description: 'The new secret, shown only here', schema: rotatedSecretResponse } },
      handler: async ({ caller, params }) => ok(await service.rotateSecret(caller, params.project_id, params.webhook_id)),
    }),
    defineRoute({
      method: 'post',
      path: '/projects/{project_id}/webhooks/{webhook_id}/ping',
      summary: 'Deliver a ping event now',
      description: `${ADMINS} Queues a delivery of {type: "ping"}; follow it in the delivery log.`,
      tags,
      params: webhookParams,
      responses: { 202: { description: 'The queued delivery', schema: deliveryResponse }, 422: { description: 'The webhook is disabled' } },
      handler: async ({ caller, params }) => accepted(await service.ping(caller, params.project_id, params.webhook_id)),
    }),
    defineRoute({
      method: 'get',
      path: '/projects/{project_id}/webhooks/{webhook_id}/deliveries',
      summary: "A webhook's deliveries, newest first",
      description: `${ADMINS} Each records its attempts, the last status code, duration and error, the next attempt, and the first 1 KB of the last answer.`,
      tags,
      params: webhookParams,
      query: listDeliveriesQuery,
      responses: { 200: { description: 'Deliveries', schema: pageSchema(deliveryResponse) } },
      handler: async ({ caller, params, query }) => ok(await service.listDeliveries(caller, params.project_id, params.webhook_id, query)),
    }),
    defineRoute({
      method: 'post',
      path: '/projects/{project_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver',
      summary: 'Deliver the same event again, as a new delivery',
      description: `${ADMINS} The body, and so its id, is the original's, so a receiver that already has the event can drop it.`,
      tags,
      params: deliveryParams,
      responses: { 202: { description: 'The new, queued delivery', schema: deliveryResponse }, 422: { description: 'The webhook is disabled' } },
      handler: async ({ caller, params }) => accepted(await service.redeliver(caller, params.project_id, params.webhook_id, params.delivery_id)),
    }),
  ];
}
