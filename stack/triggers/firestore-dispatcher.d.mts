import type { DocumentChangeListener } from '../firestore.d.mts';

export interface DispatchStats {
  /** Events the function acknowledged. */
  delivered: number;
  /** Events whose handler threw (logged, not retried). */
  failed: number;
  /** Events not delivered: function gone, triggers disabled, or the emulator unreachable too long. */
  dropped: number;
}

export interface FirestoreTriggerDispatcher {
  /** Resolves once every change so far has been delivered, failed or dropped. */
  idle(): Promise<void>;
  stats(): DispatchStats;
  stop(): void;
}

export function startFirestoreTriggers(options: {
  /** The Functions emulator, e.g. `http://127.0.0.1:5001`. */
  functionsUrl: string;
  projectId: string;
  /** Registers a change listener and returns its unsubscribe (a stand-in's onDocumentChange). */
  subscribe(listener: DocumentChangeListener): () => void;
  /** Matching starts once this settles (the emulator has loaded its functions). */
  ready?: Promise<unknown>;
  /** Calls of one trigger at a time (default 1: each trigger sees changes in commit order). */
  maxInFlightPerTrigger?: number;
  log?: Pick<Console, 'warn' | 'error'>;
}): FirestoreTriggerDispatcher;
