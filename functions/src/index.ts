// Only exports functions. Each one loads its code on first use, so a cold start pays for what that
// function needs and nothing else (sharp and csv-parse stay out of the API's start-up).
import { createRequire } from 'node:module';
import { onRequest } from 'firebase-functions/v2/https';
import type { Express } from 'express';
// Params must be declared when this module loads: that is how `firebase deploy` and the Functions
// emulator discover them and supply their values (or defaults) to the functions.
import './config/params.js';
import { REGION } from './config/region.js';

let app: Promise<Express> | undefined;

// cors: false, because firebase-functions otherwise turns on permissive CORS under the emulator and
// the emulator then answers every preflight itself; the app applies CORS_ORIGINS everywhere.
export const api = onRequest({ region: REGION, memory: '512MiB', timeoutSeconds: 120, concurrency: 80, invoker: 'public', cors: false }, async (req, res) => {
  app ??= Promise.all([import('./app.js'), import('./config/deps.js')]).then(([{ createApp }, { runtimeDeps }]) => createApp(runtimeDeps()));
  (await app)(req, res);
});

// The other functions are defined in triggers/, one module per trigger provider, because defining
// them loads their provider (firebase-functions/v2/firestore alone loads the Firestore client).
// An instance runs the one function FUNCTION_TARGET names (Cloud Run and the Functions emulator
// set it), so it loads that function's module only. Without FUNCTION_TARGET (`firebase deploy`'s
// discovery, tests) every module loads. The modules are require()d, synchronously, because the
// Functions emulator require()s this module, which must then have no top-level await.
const require = createRequire(import.meta.url);
const target = process.env.FUNCTION_TARGET || undefined;

/** `name` from the module at `path`, or undefined in an instance that runs another function. */
function definedIn<Module>(path: string) {
  return <Name extends keyof Module & string>(name: Name): Module[Name] | undefined => (target === undefined || target === name ? (require(path) as Module)[name] : undefined);
}

const firestore = definedIn<typeof import('./triggers/firestore.js')>('./triggers/firestore.js');
const storage = definedIn<typeof import('./triggers/storage.js')>('./triggers/storage.js');
const schedule = definedIn<typeof import('./triggers/schedule.js')>('./triggers/schedule.js');
const taskQueue = definedIn<typeof import('./triggers/task-queue.js')>('./triggers/task-queue.js');

export const projectWritten = firestore('projectWritten');
export const memberWritten = firestore('memberWritten');
export const taskWritten = firestore('taskWritten');
export const mediaWritten = firestore('mediaWritten');
export const annotationWritten = firestore('annotationWritten');
export const importJobWritten = firestore('importJobWritten');
export const importJobCreated = firestore('importJobCreated');
export const webhookFanOut = firestore('webhookFanOut');
export const feedCleanup = schedule('feedCleanup');
export const mediaFileFinalized = storage('mediaFileFinalized');
export const mediaFileDeleted = storage('mediaFileDeleted');
export const webhookDelivery = taskQueue('webhookDelivery');
