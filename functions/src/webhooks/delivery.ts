// One attempt of a delivery, run by the queue function for each task dispatch: check the target
// again, sign, POST, record. A 2xx ends it; `410 Gone` ends it and disables the webhook; anything
// else asks the queue for another attempt (with exponential backoff) until the retry window
// closes. After MAX_CONSECUTIVE_FAILURES failed attempts in a row the webhook is disabled.
import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { WebhookSettings } from '../config/app-config.js';
import type { DeliveryTask } from './queue.js';
import { postJson, type AttemptResult } from './sender.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';
import { WebhookStore, type DeliveryRecord } from './store.js';
import { checkTarget } from './targets.js';

export const RECEIVER_TIMEOUT_MS = 10_000;
export const MAX_CONSECUTIVE_FAILURES = 50;

export interface DeliveryDeps {
  db: Firestore;
  clock: () => Date;
  config: { webhooks: WebhookSettings };
}

/** `done`: no further attempt; `retry`: the queue must dispatch the task again. */
export type AttemptOutcome = 'done' | 'retry';

/** The wait after the n-th failed attempt (1-based), as the queue's retry config spaces them. */
export function backoffSeconds(failedAttempts: number, settings: WebhookSettings): number {
  return Math.min(settings.maxBackoffSeconds, settings.minBackoffSeconds * 2 ** (failedAttempts - 1));
}

const isSuccess = (status: number | null) => status !== null && status >= 200 && status < 300;

function failureOf(result: AttemptResult): string {
  return result.error ?? `The receiver answered ${result.statusCode}`;
}

export async function attemptDelivery(deps: DeliveryDeps, task: DeliveryTask): Promise<AttemptOutcome> {
  const store = new WebhookStore(deps.db);
  const { project_id: projectId, webhook_id: webhookId, delivery_id: deliveryId } = task;
  const now = deps.clock();
  const { delivery: deliverySnap, webhook, secrets } = await store.attemptState(projectId, webhookId, deliveryId, now);
  // Deleted with its webhook, or a repeated dispatch of a delivery already settled.
  if (!deliverySnap || !webhook) return 'done';
  const delivery = deliverySnap.data() as DeliveryRecord;
  if (delivery.status !== 'pending' && delivery.status !== 'retrying') return 'done';
  if (webhook.get('active') !== true) {
    await store.cancelDelivery(projectId, webhookId, deliveryId, 'The webhook was disabled before this delivery was made');
    return 'done';
  }

  const settings = deps.config.webhooks;
  const failuresBefore = Number(webhook.get('consecutive_failures')) || 0;
  const check = await checkTarget(String(webhook.get('url')), settings.allowLoopback);
  let result: AttemptResult;
  if (!check.ok) result = { statusCode: null, durationMs: 0, answer: '', error: `Refused target: the URL ${check.reason}` };
  else {
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': 'Montu-Webhooks/1',
      'X-Montu-Event': delivery.event_type,
      'X-Montu-Delivery': deliveryId,
      [SIGNATURE_HEADER]: signatureHeader(secrets, delivery.payload, now),
    };
    result = await postJson(check.target, headers, delivery.payload, RECEIVER_TIMEOUT_MS);
  }

  const attempts = delivery.attempts + 1;
  const firstAttempt = delivery.first_attempt_at?.toDate() ?? now;
  const attempted = {
    attempts,
    last_status_code: result.statusCode,
    duration_ms: result.durationMs,
    response_body: result.statusCode === null ? null : result.answer,
    first_attempt_at: Timestamp.fromDate(firstAttempt),
    last_attempt_at: Timestamp.fromDate(now),
  };
  if (isSuccess(result.statusCode)) {
    const record = { ...attempted, status: 'delivered' as const, last_error: null, next_attempt_at: null, delivered_at: Timestamp.fromDate(now) };
    await store.recordAttempt(projectId, webhookId, deliveryId, { delivery: record, succeeded: true, failuresBefore }, MAX_CONSECUTIVE_FAILURES, now);
    return 'done';
  }

  const next = new Date(now.getTime() + backoffSeconds(attempts, settings) * 1000);
  const windowEnds = firstAttempt.getTime() + settings.retryWindowSeconds * 1000;
  const gone = result.statusCode === 410;
  const giveUp = next.getTime() > windowEnds;
  const failure = failureOf(result);
  const failed = giveUp
    ? { ...attempted, status: 'failed' as const, last_error: `${failure}; gave up after ${attempts} attempts`, next_attempt_at: null }
    : { ...attempted, status: 'retrying' as const, last_error: failure, next_attempt_at: Timestamp.fromDate(next) };
  const disableNow = gone ? 'The receiver answered 410 Gone' : undefined;
  const stillActive = await store.recordAttempt(projectId, webhookId, deliveryId, { delivery: failed, succeeded: false, failuresBefore, disableNow }, MAX_CONSECUTIVE_FAILURES, now);
  return stillActive && !giveUp ? 'retry' : 'done';
}
