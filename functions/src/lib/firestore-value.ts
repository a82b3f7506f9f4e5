// What a Firestore field can hold. Free-form JSON from clients (custom task fields, submission
// history) is checked here before it is written, so a value Firestore would refuse is a 400 naming
// the field rather than a failed write.

const MAX_DEPTH = 20;
const MAX_VALUE_BYTES = 64 * 1024;
/** Firestore's limit on a field path, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1500;
/** Field names Firestore reserves. */
const RESERVED_KEY = /^__.*__$/;

/**
 * Why a JSON value cannot be stored in a Firestore field (nested arrays, depth over 20, empty,
 * reserved or overlong map keys, too big), or undefined.
 */
export function firestoreValueProblem(value: unknown): string | undefined {
  if (value === undefined) return 'A value is required';
  if (Buffer.byteLength(JSON.stringify(value) ?? '') > MAX_VALUE_BYTES) return `Value is larger than ${MAX_VALUE_BYTES / 1024} KiB`;
  const walk = (v: unknown, depth: number, inArray: boolean): string | undefined => {
    if (depth > MAX_DEPTH) return `Value is nested deeper than ${MAX_DEPTH} levels`;
    if (Array.isArray(v)) {
      if (inArray) return 'Arrays may not directly contain arrays (Firestore cannot store them)';
      for (const x of v) {
        const p = walk(x, depth + 1, true);
        if (p) return p;
      }
    } else if (v && typeof v === 'object') {
      for (const [key, x] of Object.entries(v)) {
        if (key === '') return 'Map keys may not be empty';
        if (RESERVED_KEY.test(key)) return `Map key ${key} is reserved by Firestore (__name__ form)`;
        if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `Map keys are at most ${MAX_KEY_BYTES} bytes`;
        const p = walk(x, depth + 1, false);
        if (p) return p;
      }
    }
    return undefined;
  };
  return walk(value, 0, false);
}
