// Only exports functions. Each one loads its code on first use, so a cold start pays for what that
// function needs and nothing else (sharp and csv-parse stay out of the API's start-up).
import { onRequest } from 'firebase-functions/v2/https';
import type { Express } from 'express';

export const REGION = 'us-central1';

let app: Promise<Express> | undefined;

export const api = onRequest({ region: REGION, memory: '512MiB', timeoutSeconds: 120, concurrency: 80, invoker: 'public' }, async (req, res) => {
  app ??= Promise.all([import('./app.js'), import('./runtime.js')]).then(([{ createApp }, { runtimeDeps }]) => createApp(runtimeDeps()));
  (await app)(req, res);
});
