// Firestore reports failures with gRPC status codes; the few the services act on, named once.
export const FirestoreCode = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNAVAILABLE: 14,
} as const;

export type FirestoreCodeName = keyof typeof FirestoreCode;

/** Whether `err` is a Firestore error with this status (e.g. `hasCode(err, 'ALREADY_EXISTS')`). */
export function hasCode(err: unknown, name: FirestoreCodeName): boolean {
  return (err as { code?: unknown } | null)?.code === FirestoreCode[name];
}
