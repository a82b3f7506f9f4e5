// Dependencies for deployed (and emulated) functions: the default Firebase app.
import { getApps, initializeApp } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { getFirestore } from 'firebase-admin/firestore';
import { getStorage } from 'firebase-admin/storage';
import type { AppDeps } from './deps.js';
import { configFromParams } from './params.js';

let deps: AppDeps | undefined;

export function runtimeDeps(): AppDeps {
  if (deps) return deps;
  // The default app, which Admin SDK calls without an app (the task queue) use too: firebase-functions'
  // event triggers create one of their own (`__admin__`) before the handler runs.
  const app = getApps().find((a) => a.name === '[DEFAULT]') ?? initializeApp();
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  const built: AppDeps = { db, auth: getAuth(app), bucket: getStorage(app).bucket(), clock: () => new Date(), config: configFromParams() };
  deps = built;
  return built;
}
