import { DocumentReference, GeoPoint, Timestamp, type DocumentSnapshot } from 'firebase-admin/firestore';

/** Firestore values → JSON: Timestamps become ISO-8601 strings, references their paths. */
export function toJson(value: unknown): unknown {
  if (value instanceof Timestamp) return value.toDate().toISOString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof DocumentReference) return value.path;
  if (value instanceof GeoPoint) return { latitude: value.latitude, longitude: value.longitude };
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJson(v);
    return out;
  }
  return value;
}

/** A document as the API returns it: its id first, then its fields, JSON-safe. */
export function docToJson<T = Record<string, unknown>>(snap: DocumentSnapshot): T & { id: string } {
  return { id: snap.id, ...(toJson(snap.data() ?? {}) as object) } as T & { id: string };
}
