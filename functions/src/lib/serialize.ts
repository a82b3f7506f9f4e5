import { DocumentReference, GeoPoint, Timestamp, type DocumentSnapshot } from 'firebase-admin/firestore';

// List pages map every field of every document here (5,000 fields for a page of 100 tasks), so
// plain values return before any class check and objects are walked by key: Object.entries would
// allocate a pair per field (a third of a task page's mapping garbage, functions/bench/README.md).

/** Firestore values → JSON: Timestamps become ISO-8601 strings, references their paths. */
export function toJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Timestamp) return value.toDate().toISOString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof DocumentReference) return value.path;
  if (value instanceof GeoPoint) return { latitude: value.latitude, longitude: value.longitude };
  if (Array.isArray(value)) return value.map(toJson);
  const fields = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(fields)) out[k] = toJson(fields[k]);
  return out;
}

/**
 * A document as the API returns it: its id first, then its fields, JSON-safe, without the fields
 * named in `omit` (derived query fields). One pass and one object per document.
 */
export function docToJson<T = Record<string, unknown>>(snap: DocumentSnapshot, omit?: ReadonlySet<string>): T & { id: string } {
  const out: Record<string, unknown> = { id: snap.id };
  const data = snap.data() ?? {};
  for (const k of Object.keys(data)) if (!omit?.has(k)) out[k] = toJson(data[k]);
  return out as T & { id: string };
}
