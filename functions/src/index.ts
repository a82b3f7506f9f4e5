// Only exports functions. Each one loads its code on first use, so a cold start pays for what that
// function needs and nothing else (sharp and csv-parse stay out of the API's start-up).
import { onDocumentWritten } from 'firebase-functions/v2/firestore';
import { onRequest } from 'firebase-functions/v2/https';
import { onSchedule } from 'firebase-functions/v2/scheduler';
import type { Express } from 'express';
import type { Firestore } from 'firebase-admin/firestore';
import type { DocumentWrittenEvent } from './lib/document-change.js';

export const REGION = 'us-central1';

let app: Promise<Express> | undefined;

export const api = onRequest({ region: REGION, memory: '512MiB', timeoutSeconds: 120, concurrency: 80, invoker: 'public' }, async (req, res) => {
  app ??= Promise.all([import('./app.js'), import('./runtime.js')]).then(([{ createApp }, { runtimeDeps }]) => createApp(runtimeDeps()));
  (await app)(req, res);
});

type WriteHandler = (db: Firestore, event: DocumentWrittenEvent) => Promise<unknown>;

/**
 * A Firestore write trigger running the handlers `load` brings. Delivery is at least once (with
 * retries): every handler names what it writes after the CloudEvent id, so a repeat adds nothing.
 */
function onWrite(document: string, load: () => Promise<WriteHandler[]>) {
  return onDocumentWritten({ document, region: REGION, retry: true }, async (event) => {
    const [handlers, { runtimeDeps }] = await Promise.all([load(), import('./runtime.js')]);
    const { db } = runtimeDeps();
    await Promise.all(handlers.map((handle) => handle(db, event)));
  });
}

const audit = async () => (await import('./audit/triggers.js')).recordAuditEntry;
const feed = async () => import('./realtime/triggers.js');

export const projectWritten = onWrite('projects/{projectId}', async () => [await audit()]);
export const memberWritten = onWrite('projects/{projectId}/members/{uid}', async () => [await audit()]);
export const taskWritten = onWrite('tasks/{taskId}', async () => [await audit(), (await feed()).publishTaskWrite]);
export const mediaWritten = onWrite('media/{mediaId}', async () => [await audit(), (await feed()).publishMediaWrite]);
export const annotationWritten = onWrite('annotations/{annotationId}', async () => [await audit(), (await feed()).publishAnnotationWrite]);
export const importJobWritten = onWrite('import_jobs/{jobId}', async () => [(await feed()).publishImportJobWrite]);

/** Deletes feed events older than EVENTS_MAX_AGE_HOURS (the feed is for live clients; history is the audit log). */
export const feedCleanup = onSchedule({ schedule: 'every 60 minutes', region: REGION }, async () => {
  const [{ deleteOldFeedEvents }, { runtimeDeps }] = await Promise.all([import('./realtime/cleanup.js'), import('./runtime.js')]);
  const deps = runtimeDeps();
  await deleteOldFeedEvents(deps.db, deps.clock(), deps.config.eventsMaxAgeHours);
});
