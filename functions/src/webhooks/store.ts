// Firestore for webhooks: `projects/{p}/webhooks/{w}` with their `deliveries`, and the signing
// secrets apart in `webhook_secrets/{w}`, so no read of a webhook (an answer, a log line, a future
// audit trigger) ever carries one. firestore.rules give clients neither.
import { FieldValue, Timestamp, type DocumentSnapshot, type Firestore, type Query } from 'firebase-admin/firestore';
import { createOnce } from '../lib/document-change.js';
import { runTransaction } from '../lib/transaction.js';
import type { DeliveryStatus } from './schemas.js';

export const WEBHOOKS = 'webhooks';
export const DELIVERIES = 'deliveries';
export const WEBHOOK_SECRETS = 'webhook_secrets';

export interface WebhookRecord {
  project_id: string;
  url: string;
  events: string[];
  description: string;
  active: boolean;
  disabled_reason: string | null;
  disabled_at: Timestamp | null;
  consecutive_failures: number;
  secret_rotated_at: Timestamp | null;
  previous_secret_expires_at: Timestamp | null;
  created_by: string;
  updated_by: string;
}

interface SecretRecord {
  project_id: string;
  current: string;
  previous: string | null;
  previous_expires_at: Timestamp | null;
}

export interface DeliveryRecord {
  webhook_id: string;
  project_id: string;
  event_id: string;
  event_type: string;
  /** The exact body every attempt sends. */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  duration_ms: number | null;
  response_body: string | null;
  first_attempt_at: Timestamp | null;
  last_attempt_at: Timestamp | null;
  next_attempt_at: Timestamp | null;
  delivered_at: Timestamp | null;
  redelivery_of: string | null;
  redeliveries: number;
}

/** What one attempt did to its delivery, and to its webhook when it was disabled. */
export interface AttemptRecord {
  delivery: Partial<DeliveryRecord>;
  succeeded: boolean;
  /** The webhook's failures in a row as the attempt read them: a success resets them only when there were some. */
  failuresBefore: number;
  /** A reason to disable the webhook at once (410 Gone), whatever its failure count. */
  disableNow?: string;
}

/** What an attempt starts from: the delivery and its webhook (null when gone), and the secrets that sign now. */
export interface AttemptState {
  delivery: DocumentSnapshot | null;
  webhook: DocumentSnapshot | null;
  secrets: string[];
}

/** The secrets that sign now: the current one, and the previous one until it expires. */
function signingSecrets(data: SecretRecord | undefined, now: Date): string[] {
  if (!data) return [];
  const previousValid = data.previous && data.previous_expires_at && data.previous_expires_at.toMillis() > now.getTime();
  return previousValid ? [data.current, data.previous!] : [data.current];
}

export class WebhookStore {
  constructor(private readonly db: Firestore) {}

  collection(projectId: string) {
    return this.db.collection('projects').doc(projectId).collection(WEBHOOKS);
  }

  ref(projectId: string, id: string) {
    return this.collection(projectId).doc(id);
  }

  private secretRef(id: string) {
    return this.db.collection(WEBHOOK_SECRETS).doc(id);
  }

  deliveries(projectId: string, webhookId: string) {
    return this.ref(projectId, webhookId).collection(DELIVERIES);
  }

  async get(projectId: string, id: string): Promise<DocumentSnapshot | null> {
    const snap = await this.ref(projectId, id).get();
    return snap.exists ? snap : null;
  }

  async count(projectId: string): Promise<number> {
    return (await this.collection(projectId).count().get()).data().count;
  }

  /** The webhook and its secret, in one commit. Returns its id. */
  async create(projectId: string, record: Omit<WebhookRecord, 'project_id'>, secret: string): Promise<string> {
    const ref = this.collection(projectId).doc();
    const now = FieldValue.serverTimestamp();
    const batch = this.db.batch();
    batch.create(ref, { ...record, project_id: projectId, created_at: now, updated_at: now });
    batch.create(this.secretRef(ref.id), { project_id: projectId, current: secret, previous: null, previous_expires_at: null } satisfies SecretRecord);
    await batch.commit();
    return ref.id;
  }

  async update(projectId: string, id: string, changes: Partial<WebhookRecord>): Promise<void> {
    await this.ref(projectId, id).update({ ...changes, updated_at: FieldValue.serverTimestamp() });
  }

  /** The webhook, its deliveries and its secret. */
  async remove(projectId: string, id: string): Promise<void> {
    await this.secretRef(id).delete();
    await this.db.recursiveDelete(this.ref(projectId, id));
  }

  /** The project's active webhooks (a project has at most MAX_WEBHOOKS_PER_PROJECT). */
  async active(projectId: string): Promise<DocumentSnapshot[]> {
    return (await this.collection(projectId).where('active', '==', true).get()).docs;
  }

  /** The delivery, its webhook and the webhook's secrets in one read: an attempt is mostly waiting on Firestore. */
  async attemptState(projectId: string, webhookId: string, deliveryId: string, now: Date): Promise<AttemptState> {
    const [delivery, webhook, secret] = await this.db.getAll(this.deliveries(projectId, webhookId).doc(deliveryId), this.ref(projectId, webhookId), this.secretRef(webhookId));
    return { delivery: delivery!.exists ? delivery! : null, webhook: webhook!.exists ? webhook! : null, secrets: signingSecrets(secret!.data() as SecretRecord | undefined, now) };
  }

  /** Makes `secret` the current one; the current one signs beside it until `previousExpiresAt`. */
  async rotate(projectId: string, id: string, secret: string, actor: string, previousExpiresAt: Date): Promise<void> {
    await runTransaction(this.db, `Webhook ${id}`, async (tx) => {
      const current = (await tx.get(this.secretRef(id))).data() as SecretRecord | undefined;
      const expires = Timestamp.fromDate(previousExpiresAt);
      tx.set(this.secretRef(id), { project_id: projectId, current: secret, previous: current?.current ?? null, previous_expires_at: expires } satisfies SecretRecord);
      tx.update(this.ref(projectId, id), { secret_rotated_at: FieldValue.serverTimestamp(), previous_secret_expires_at: expires, updated_by: actor, updated_at: FieldValue.serverTimestamp() });
    });
  }

  /** Creates a delivery unless it exists (a repeated trigger event): true when created. */
  createDelivery(projectId: string, webhookId: string, id: string, record: DeliveryRecord): Promise<boolean> {
    return createOnce(this.deliveries(projectId, webhookId).doc(id).create({ ...record, created_at: FieldValue.serverTimestamp() }));
  }

  async getDelivery(projectId: string, webhookId: string, id: string): Promise<DocumentSnapshot | null> {
    const snap = await this.deliveries(projectId, webhookId).doc(id).get();
    return snap.exists ? snap : null;
  }

  deliveryQuery(projectId: string, webhookId: string, status?: DeliveryStatus): Query {
    const all = this.deliveries(projectId, webhookId);
    return status ? all.where('status', '==', status) : all;
  }

  /** A new delivery of the same event as `originalId`, numbered by how often it was redelivered. */
  async redeliver(projectId: string, webhookId: string, originalId: string): Promise<string | null> {
    const deliveries = this.deliveries(projectId, webhookId);
    return runTransaction(this.db, `Delivery ${originalId}`, async (tx) => {
      const original = await tx.get(deliveries.doc(originalId));
      if (!original.exists) return null;
      const record = original.data() as DeliveryRecord;
      const n = (record.redeliveries ?? 0) + 1;
      const id = `${record.redelivery_of ?? originalId}_r${n}`;
      tx.update(original.ref, { redeliveries: n });
      tx.create(deliveries.doc(id), { ...freshDelivery(record), redelivery_of: record.redelivery_of ?? originalId, created_at: FieldValue.serverTimestamp() });
      return id;
    });
  }

  /**
   * Records an attempt: the delivery's new state, and the webhook's failure count (reset by a
   * success). The webhook is disabled with `disableNow`, or once its failures in a row reach
   * `maxFailures`. Returns whether the webhook is still active.
   */
  async recordAttempt(projectId: string, webhookId: string, deliveryId: string, attempt: AttemptRecord, maxFailures: number, now: Date): Promise<boolean> {
    const webhookRef = this.ref(projectId, webhookId);
    const deliveryRef = this.deliveries(projectId, webhookId).doc(deliveryId);
    if (attempt.succeeded) {
      // Most deliveries succeed: the webhook is written only when the attempt found failures to forget.
      const batch = this.db.batch().update(deliveryRef, attempt.delivery);
      if (attempt.failuresBefore !== 0) batch.update(webhookRef, { consecutive_failures: 0 });
      await batch.commit();
      return true;
    }
    return runTransaction(this.db, `Webhook ${webhookId}`, async (tx) => {
      const webhook = await tx.get(webhookRef);
      if (!webhook.exists) return false;
      const failures = (Number(webhook.get('consecutive_failures')) || 0) + 1;
      const reason = attempt.disableNow ?? (failures >= maxFailures ? `Disabled after ${failures} failed deliveries in a row` : null);
      const stillActive = webhook.get('active') === true && !reason;
      tx.update(webhookRef, { consecutive_failures: failures, ...(reason && webhook.get('active') ? { active: false, disabled_reason: reason, disabled_at: Timestamp.fromDate(now) } : {}) });
      tx.update(deliveryRef, stillActive ? attempt.delivery : { ...attempt.delivery, status: 'failed', next_attempt_at: null });
      return stillActive;
    });
  }

  /** Ends a delivery without an attempt (its webhook was disabled or deleted meanwhile). */
  async cancelDelivery(projectId: string, webhookId: string, deliveryId: string, why: string): Promise<void> {
    await this.deliveries(projectId, webhookId).doc(deliveryId).update({ status: 'cancelled', last_error: why, next_attempt_at: null });
  }
}

/** A delivery of `event` that has not been attempted yet. */
export function freshDelivery(event: Pick<DeliveryRecord, 'webhook_id' | 'project_id' | 'event_id' | 'event_type' | 'payload'>): DeliveryRecord {
  return {
    webhook_id: event.webhook_id,
    project_id: event.project_id,
    event_id: event.event_id,
    event_type: event.event_type,
    payload: event.payload,
    status: 'pending',
    attempts: 0,
    last_status_code: null,
    last_error: null,
    duration_ms: null,
    response_body: null,
    first_attempt_at: null,
    last_attempt_at: null,
    next_attempt_at: null,
    delivered_at: null,
    redelivery_of: null,
    redeliveries: 0,
  };
}
