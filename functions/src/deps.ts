import type { Auth } from 'firebase-admin/auth';
import type { Firestore } from 'firebase-admin/firestore';
import type { Storage } from 'firebase-admin/storage';
import type { AppConfig } from './config.js';
import type { DeliveryQueue } from './webhooks/queue.js';

export type Bucket = ReturnType<Storage['bucket']>;

/** Everything the API needs from the outside world; `index.ts` builds it from the default app, tests from the test stack. */
export interface AppDeps {
  db: Firestore;
  auth: Auth;
  bucket: Bucket;
  clock: () => Date;
  config: AppConfig;
  /** Where webhook deliveries are queued: Cloud Tasks unless given (tests attempt them in-process). */
  webhookQueue?: DeliveryQueue;
}
