// What the API needs from the outside world. Deployed (and emulated) functions build it from the
// default Firebase app with `runtimeDeps`; tests build it from the test stack.
import { getApps, initializeApp } from 'firebase-admin/app';
import { getAuth, type Auth } from 'firebase-admin/auth';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';
import { createRequire } from 'node:module';
import type { Storage } from 'firebase-admin/storage';
import type { AppConfig } from './app-config.js';
import { configFromParams } from './params.js';
import type { DeliveryQueue } from '../webhooks/queue.js';

export type Bucket = ReturnType<Storage['bucket']>;

export interface AppDeps {
  db: Firestore;
  auth: Auth;
  bucket: Bucket;
  clock: () => Date;
  config: AppConfig;
  /** Where webhook deliveries are queued: Cloud Tasks unless given (tests attempt them in-process). */
  webhookQueue?: DeliveryQueue;
}

const require = createRequire(import.meta.url);

let deps: AppDeps | undefined;

/** The functions' dependencies, built once per instance (on first use, so a cold start pays only when a function needs them). */
export function runtimeDeps(): AppDeps {
  if (deps) return deps;
  // The default app, which Admin SDK calls without an app (the task queue) use too: firebase-functions'
  // event triggers create one of their own (`__admin__`) before the handler runs.
  const app = getApps().find((a) => a.name === '[DEFAULT]') ?? initializeApp();
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  let bucket: Bucket | undefined;
  const built: AppDeps = {
    db,
    auth: getAuth(app),
    // Loaded on first use: the Storage client is a large module graph that JSON routes never need.
    get bucket() {
      bucket ??= (require('firebase-admin/storage') as typeof import('firebase-admin/storage')).getStorage(app).bucket();
      return bucket;
    },
    clock: () => new Date(),
    config: configFromParams(),
  };
  deps = built;
  return built;
}
