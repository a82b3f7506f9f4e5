// Firestore reports failures with gRPC status codes (its REST API by their names), named once.
export const FirestoreCode = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type FirestoreCodeName = keyof typeof FirestoreCode;

/** Whether `err` is a Firestore error with this status (e.g. `hasCode(err, 'ALREADY_EXISTS')`). */
export function hasCode(err: unknown, name: FirestoreCodeName): boolean {
  return (err as { code?: unknown } | null)?.code === FirestoreCode[name];
}

/** The numeric code of a status name from the REST API (`ALREADY_EXISTS` → 6); UNKNOWN for a name it does not know. */
export function statusCode(name: string): number {
  return Object.hasOwn(FirestoreCode, name) ? FirestoreCode[name as FirestoreCodeName] : FirestoreCode.UNKNOWN;
}
