// The delivery queue: one Cloud Tasks task per delivery, named after it, so creating it twice (a
// repeated trigger event, a retried request) adds nothing. The queue is the `webhookDelivery`
// function's (functions/src/index.ts), which runs functions/src/webhooks/delivery.ts.
import { createHash } from 'node:crypto';
import { getFunctions } from 'firebase-admin/functions';

/** The exported name of the task queue function: Cloud Tasks names its queue after it. */
export const DELIVERY_FUNCTION = 'webhookDelivery';

/** What a task carries: which delivery to attempt. */
export interface DeliveryTask {
  project_id: string;
  webhook_id: string;
  delivery_id: string;
}

export interface DeliveryQueue {
  /** Queues the delivery's attempts; queuing the same delivery again does nothing. */
  enqueue(task: DeliveryTask): Promise<void>;
}

/** A deterministic task id (letters, digits, -, _) that spreads over Cloud Tasks' key space. */
export function taskIdOf(task: DeliveryTask): string {
  return `d-${createHash('sha256').update(`${task.project_id}/${task.webhook_id}/${task.delivery_id}`).digest('hex')}`;
}

/** Cloud Tasks (its emulator under the emulator stack) through the Admin SDK. */
export function cloudTasksQueue(): DeliveryQueue {
  return {
    async enqueue(task) {
      try {
        // The receiver gets 10 s; the dispatch deadline also covers reading and recording.
        await getFunctions().taskQueue<DeliveryTask>(DELIVERY_FUNCTION).enqueue(task, { id: taskIdOf(task), dispatchDeadlineSeconds: 60 });
      } catch (err) {
        if (!String((err as { code?: unknown }).code).endsWith('task-already-exists')) throw err;
      }
    },
  };
}
