// The one comparison of stored values: triggers (what a write changed), the CSV importer (does a
// row change its task) and task writes (which derived fields moved) all ask it.
import type { DocumentData } from 'firebase-admin/firestore';

/** True when two Firestore values are the same, comparing maps (in any key order) and arrays deeply. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    // Timestamps, GeoPoints and references compare themselves.
    if (typeof (a as { isEqual?: unknown }).isEqual === 'function') return (a as { isEqual(o: unknown): boolean }).isEqual(b);
    if (typeof (b as { isEqual?: unknown }).isEqual === 'function') return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameValue((a as DocumentData)[k], (b as DocumentData)[k]));
  }
  return false;
}
