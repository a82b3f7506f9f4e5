import type { Firestore } from 'firebase-admin/firestore';
import { ANNOTATIONS, AUDIT_LOGS, DIRECTORY_OPERATIONS, IMPORT_JOBS, MEDIA, PROJECTS, TASKS, VERSIONS } from '../lib/collections.js';

/** The spec's stats keys and the collections behind them. */
export const COUNTED_COLLECTIONS = {
  projects: PROJECTS,
  tasks: TASKS,
  media_records: MEDIA,
  annotations: ANNOTATIONS,
  directory_operations: DIRECTORY_OPERATIONS,
  versions: VERSIONS,
  system_logs: AUDIT_LOGS,
  import_jobs: IMPORT_JOBS,
} as const;

export class SystemService {
  constructor(
    private readonly db: Firestore,
    private readonly clock: () => Date,
  ) {}

  /** The last Firestore probe, reused for a few seconds: /health is public and must not buy a read per call. */
  private probe: { at: number; reachable: Promise<boolean> } | undefined;

  /** Healthy when Firestore answers a one-document read within the deadline. */
  async health(deadlineMs = 3000, reuseMs = 5000) {
    const timestamp = this.clock().toISOString();
    const now = this.clock().getTime();
    if (!this.probe || now - this.probe.at > reuseMs) {
      const read = this.db.collection(PROJECTS).limit(1).get().then(
        () => true,
        () => false,
      );
      const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), deadlineMs).unref());
      this.probe = { at: now, reachable: Promise.race([read, timeout]) };
    }
    const reachable = await this.probe.reachable;
    return reachable
      ? { status: 'healthy' as const, timestamp }
      : { status: 'degraded' as const, timestamp, checks: { firestore: 'unreachable' } };
  }

  /** Document counts per collection, by count aggregations: no document is read. */
  async stats() {
    const entries = await Promise.all(
      Object.entries(COUNTED_COLLECTIONS).map(async ([key, collection]) => {
        const snap = await this.db.collection(collection).count().get();
        return [key, snap.data().count] as const;
      }),
    );
    const collections = Object.fromEntries(entries) as Record<keyof typeof COUNTED_COLLECTIONS, number>;
    return { database: { total_documents: entries.reduce((sum, [, n]) => sum + n, 0), collections } };
  }
}
