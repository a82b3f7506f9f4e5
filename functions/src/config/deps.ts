// What the API needs from the outside world. Deployed (and emulated) functions build it from the
// default Firebase app with `runtimeDeps`; tests build it from the test stack.
import { getApps, initializeApp } from 'firebase-admin/app';
import { getAuth, type Auth } from 'firebase-admin/auth';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';
import { getStorage, type Storage } from 'firebase-admin/storage';
import type { AppConfig } from './app-config.js';
import { configFromParams } from './params.js';

export type Bucket = ReturnType<Storage['bucket']>;

export interface AppDeps {
  db: Firestore;
  auth: Auth;
  bucket: Bucket;
  clock: () => Date;
  config: AppConfig;
}

let deps: AppDeps | undefined;

/** The functions' dependencies, built once per instance (on first use, so a cold start pays only when a function needs them). */
export function runtimeDeps(): AppDeps {
  if (deps) return deps;
  const app = getApps()[0] ?? initializeApp();
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  const built: AppDeps = { db, auth: getAuth(app), bucket: getStorage(app).bucket(), clock: () => new Date(), config: configFromParams() };
  deps = built;
  return built;
}
