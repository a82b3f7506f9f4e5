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

/**
 * A document as the API returns it: its id first, then its fields, JSON-safe, without the fields
 * named in `omit` (derived query fields). One pass and one object per document: list pages map
 * every document this way.
 */
export function docToJson<T = Record<string, unknown>>(snap: DocumentSnapshot, omit?: ReadonlySet<string>): T & { id: string } {
  const out: Record<string, unknown> = { id: snap.id };
  for (const [k, v] of Object.entries(snap.data() ?? {})) if (!omit?.has(k)) out[k] = toJson(v);
  return out as T & { id: string };
}
