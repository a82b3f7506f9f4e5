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
  const app = getApps()[0] ?? initializeApp();
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  const built: AppDeps = { db, auth: getAuth(app), bucket: getStorage(app).bucket(), clock: () => new Date(), config: configFromParams() };
  deps = built;
  return built;
}
