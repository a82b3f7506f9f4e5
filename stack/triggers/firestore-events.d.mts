import type { DocumentChangeEvent, JsonDocument } from '../firestore.d.mts';

export const FIRESTORE_EVENT_PREFIX: 'google.cloud.firestore.document.v1.';

export type ChangeKind = 'created' | 'updated' | 'deleted';

/** A trigger as the Functions emulator lists it (GET /backends). */
export interface EmulatedTrigger {
  id: string;
  entryPoint?: string;
  name?: string;
  platform?: string;
  timeoutSeconds?: number;
  eventTrigger?: {
    eventType: string;
    eventFilters?: Record<string, string>;
    eventFilterPathPatterns?: Record<string, string>;
  };
}

/** A Firestore CloudEvent in structured mode with JSON DocumentEventData. */
export interface FirestoreCloudEvent {
  specversion: '1.0';
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: { value?: JsonDocument; oldValue?: JsonDocument; updateMask?: { fieldPaths: string[] } };
  project: string;
  database: string;
  namespace: string;
  document: string;
  authtype?: string;
}

export function changeKind(change: Pick<DocumentChangeEvent, 'before' | 'after'>): ChangeKind;
export function eventKind(eventType: unknown): ChangeKind | 'written' | null;
export function matchesPathPattern(pattern: string, path: string): boolean;
export function triggerMatches(trigger: EmulatedTrigger, change: DocumentChangeEvent): boolean;
export function updatedFieldPaths(before: JsonDocument['fields'], after: JsonDocument['fields']): string[];
export function toCloudEvent(change: DocumentChangeEvent, options: { id: string; type: string }): FirestoreCloudEvent;
