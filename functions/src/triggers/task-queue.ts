// The task queue functions (exported by index.ts, which loads this module only where they run).
import { HttpsError } from 'firebase-functions/v2/https';
import { onTaskDispatched } from 'firebase-functions/v2/tasks';
import { WEBHOOK_RETRY_MAX_BACKOFF_SECONDS, WEBHOOK_RETRY_MIN_BACKOFF_SECONDS, WEBHOOK_RETRY_WINDOW_SECONDS } from '../config/params.js';
import { REGION } from '../config/region.js';
import type { DeliveryTask } from '../webhooks/queue.js';

/**
 * One attempt of a webhook delivery per dispatch. Cloud Tasks retries the task while the handler
 * asks for it, with exponential backoff; the handler itself ends it once the retry window closes
 * (maxRetrySeconds and maxAttempts only back that up). Its name is webhooks/queue.ts' DELIVERY_FUNCTION.
 */
export const webhookDelivery = onTaskDispatched<DeliveryTask>(
  {
    region: REGION,
    memory: '256MiB',
    timeoutSeconds: 60,
    retryConfig: {
      maxAttempts: 100,
      minBackoffSeconds: WEBHOOK_RETRY_MIN_BACKOFF_SECONDS,
      maxBackoffSeconds: WEBHOOK_RETRY_MAX_BACKOFF_SECONDS,
      maxDoublings: 16,
      maxRetrySeconds: WEBHOOK_RETRY_WINDOW_SECONDS,
    },
    rateLimits: { maxConcurrentDispatches: 100 },
  },
  async (request) => {
    const [{ attemptDelivery }, { runtimeDeps }] = await Promise.all([import('../webhooks/delivery.js'), import('../config/deps.js')]);
    if ((await attemptDelivery(runtimeDeps(), request.data)) === 'retry') throw new HttpsError('unavailable', 'The receiver did not take the event: retry later');
  },
);
