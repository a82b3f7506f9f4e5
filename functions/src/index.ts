// Only exports functions. Each one loads its code on first use, so a cold start pays for what that
// function needs and nothing else (sharp and csv-parse stay out of the API's start-up).
import { onDocumentCreated, onDocumentWritten } from 'firebase-functions/v2/firestore';
import { HttpsError, onRequest } from 'firebase-functions/v2/https';
import { onSchedule } from 'firebase-functions/v2/scheduler';
import { onObjectDeleted, onObjectFinalized } from 'firebase-functions/v2/storage';
import { onTaskDispatched } from 'firebase-functions/v2/tasks';
import type { Express } from 'express';
// Params must be declared when this module loads: that is how `firebase deploy` and the Functions
// emulator discover them and supply their values (or defaults) to the functions.
import { WEBHOOK_RETRY_MAX_BACKOFF_SECONDS, WEBHOOK_RETRY_MIN_BACKOFF_SECONDS, WEBHOOK_RETRY_WINDOW_SECONDS } from './config/params.js';
import { mapStackTraces } from './lib/stack-traces.js';
import type { Firestore } from 'firebase-admin/firestore';
import type { DocumentWrittenEvent } from './lib/document-change.js';
import type { DeliveryTask } from './webhooks/queue.js';

export const REGION = 'us-central1';

// Errors logged from the bundle name src/ files and lines.
mapStackTraces(new URL('./', import.meta.url).href);

let app: Promise<Express> | undefined;

// cors: false, because firebase-functions otherwise turns on permissive CORS under the emulator and
// the emulator then answers every preflight itself; the app applies CORS_ORIGINS everywhere.
export const api = onRequest({ region: REGION, memory: '512MiB', timeoutSeconds: 120, concurrency: 80, invoker: 'public', cors: false }, async (req, res) => {
  app ??= Promise.all([import('./app.js'), import('./config/deps.js')]).then(([{ createApp }, { runtimeDeps }]) => createApp(runtimeDeps()));
  (await app)(req, res);
});

type WriteHandler = (db: Firestore, event: DocumentWrittenEvent) => Promise<unknown>;

/**
 * A Firestore write trigger running the handlers `load` brings. Delivery is at least once (with
 * retries): every handler names what it writes after the CloudEvent id, so a repeat adds nothing.
 */
function onWrite(document: string, load: () => Promise<WriteHandler[]>) {
  return onDocumentWritten({ document, region: REGION, retry: true }, async (event) => {
    const [handlers, { runtimeDeps }] = await Promise.all([load(), import('./config/deps.js')]);
    const { db } = runtimeDeps();
    await Promise.all(handlers.map((handle) => handle(db, event)));
  });
}

const audit = async () => (await import('./audit/triggers.js')).recordAuditEntry;
const feed = async () => import('./realtime/triggers.js');
const readiness = async () => import('./tasks/dependency-triggers.js');

export const projectWritten = onWrite('projects/{projectId}', async () => [await audit(), (await readiness()).refreshAfterProjectWrite]);
export const memberWritten = onWrite('projects/{projectId}/members/{uid}', async () => [await audit(), (await feed()).publishMemberWrite]);
export const taskWritten = onWrite('tasks/{taskKey}', async () => [await audit(), (await feed()).publishTaskWrite, (await readiness()).refreshAfterTaskWrite]);
export const mediaWritten = onWrite('media/{mediaId}', async () => [await audit(), (await feed()).publishMediaWrite]);
export const annotationWritten = onWrite('annotations/{annotationId}', async () => [await audit(), (await feed()).publishAnnotationWrite]);
export const importJobWritten = onWrite('import_jobs/{jobId}', async () => [(await feed()).publishImportJobWrite]);

/** Runs a CSV import job when the API creates it (retries off: a failed job is recorded as failed, and re-running it is the user's call). */
export const importJobCreated = onDocumentCreated({ document: 'import_jobs/{jobId}', region: REGION, memory: '1GiB', timeoutSeconds: 540, retry: false }, async (event) => {
  const [{ processImportJob }, { runtimeDeps }] = await Promise.all([import('./csv-import/job-handler.js'), import('./config/deps.js')]);
  await processImportJob(event, runtimeDeps());
});

/** Deletes feed events older than EVENTS_MAX_AGE_HOURS (the feed is for live clients; history is the audit log). */
export const feedCleanup = onSchedule({ schedule: 'every 60 minutes', region: REGION, timeoutSeconds: 540 }, async () => {
  const [{ deleteOldFeedEvents }, { runtimeDeps }] = await Promise.all([import('./realtime/cleanup.js'), import('./config/deps.js')]);
  const deps = runtimeDeps();
  await deleteOldFeedEvents(deps.db, deps.clock(), deps.config.eventsMaxAgeHours);
});

// Media files in the default bucket: thumbnails and metadata when one lands, clean-up when one is
// removed outside the API. One image at a time per instance bounds sharp's memory.
const mediaTrigger = { region: REGION, memory: '2GiB' as const, timeoutSeconds: 300, concurrency: 1 };

export const mediaFileFinalized = onObjectFinalized(mediaTrigger, async (event) => {
  const [{ handleObjectFinalized }, { runtimeDeps }] = await Promise.all([import('./media/storage-events.js'), import('./config/deps.js')]);
  await handleObjectFinalized(runtimeDeps(), event.data);
});

export const mediaFileDeleted = onObjectDeleted({ region: REGION, memory: '256MiB' as const }, async (event) => {
  const [{ handleObjectDeleted }, { runtimeDeps }] = await Promise.all([import('./media/storage-events.js'), import('./config/deps.js')]);
  await handleObjectDeleted(runtimeDeps(), event.data);
});

/** Turns each new feed event into webhook deliveries (docs/webhooks.md); both its writes are idempotent, so retries are safe. */
export const webhookFanOut = onDocumentCreated({ document: 'projects/{projectId}/events/{eventId}', region: REGION, retry: true }, async (event) => {
  if (!event.data) return;
  const [{ fanOutFeedEvent }, { cloudTasksQueue }, { runtimeDeps }] = await Promise.all([import('./webhooks/fanout.js'), import('./webhooks/queue.js'), import('./config/deps.js')]);
  await fanOutFeedEvent(runtimeDeps().db, cloudTasksQueue(), event.params.projectId, event.params.eventId, event.data.data());
});

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
    const [{ attemptDelivery }, { runtimeDeps }] = await Promise.all([import('./webhooks/delivery.js'), import('./config/deps.js')]);
    if ((await attemptDelivery(runtimeDeps(), request.data)) === 'retry') throw new HttpsError('unavailable', 'The receiver did not take the event: retry later');
  },
);
