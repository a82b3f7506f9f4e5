// The Firestore event functions (exported by index.ts, which loads this module only where they run).
import { onDocumentCreated, onDocumentWritten } from 'firebase-functions/v2/firestore';
import type { Firestore } from 'firebase-admin/firestore';
import { REGION } from '../config/region.js';
import type { DocumentWrittenEvent } from '../lib/document-change.js';

type WriteHandler = (db: Firestore, event: DocumentWrittenEvent) => Promise<unknown>;

/**
 * A Firestore write trigger running the handlers `load` brings. Delivery is at least once (with
 * retries): every handler names what it writes after the CloudEvent id, so a repeat adds nothing.
 */
function onWrite(document: string, load: () => Promise<WriteHandler[]>) {
  return onDocumentWritten({ document, region: REGION, retry: true }, async (event) => {
    const [handlers, { runtimeDeps }] = await Promise.all([load(), import('../config/deps.js')]);
    const { db } = runtimeDeps();
    await Promise.all(handlers.map((handle) => handle(db, event)));
  });
}

const audit = async () => (await import('../audit/triggers.js')).recordAuditEntry;
const feed = async () => import('../realtime/triggers.js');
const readiness = async () => import('../tasks/dependency-triggers.js');

export const projectWritten = onWrite('projects/{projectId}', async () => [await audit(), (await readiness()).refreshAfterProjectWrite]);
export const memberWritten = onWrite('projects/{projectId}/members/{uid}', async () => [await audit(), (await feed()).publishMemberWrite]);
export const taskWritten = onWrite('tasks/{taskId}', async () => [await audit(), (await feed()).publishTaskWrite, (await readiness()).refreshAfterTaskWrite]);
export const mediaWritten = onWrite('media/{mediaId}', async () => [await audit(), (await feed()).publishMediaWrite]);
export const annotationWritten = onWrite('annotations/{annotationId}', async () => [await audit(), (await feed()).publishAnnotationWrite]);
export const importJobWritten = onWrite('import_jobs/{jobId}', async () => [(await feed()).publishImportJobWrite]);

/** Runs a CSV import job when the API creates it (retries off: a failed job is recorded as failed, and re-running it is the user's call). */
export const importJobCreated = onDocumentCreated({ document: 'import_jobs/{jobId}', region: REGION, memory: '1GiB', timeoutSeconds: 540, retry: false }, async (event) => {
  const [{ processImportJob }, { runtimeDeps }] = await Promise.all([import('../csv-import/job-handler.js'), import('../config/deps.js')]);
  await processImportJob(event, runtimeDeps());
});

/** Turns each new feed event into webhook deliveries (docs/webhooks.md); both its writes are idempotent, so retries are safe. */
export const webhookFanOut = onDocumentCreated({ document: 'projects/{projectId}/events/{eventId}', region: REGION, retry: true }, async (event) => {
  if (!event.data) return;
  const [{ fanOutFeedEvent }, { cloudTasksQueue }, { runtimeDeps }] = await Promise.all([import('../webhooks/fanout.js'), import('../webhooks/queue.js'), import('../config/deps.js')]);
  await fanOutFeedEvent(runtimeDeps().db, cloudTasksQueue(), event.params.projectId, event.params.eventId, event.data.data());
});
