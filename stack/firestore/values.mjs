// Firestore values as plain v1 objects ({ integer_value: 1 }, { map_value: { fields } }, ...):
// ordering and equality as the backend defines them, field paths, timestamps, and the proto3 JSON
// form used for change events.

/** Errors that become a gRPC status. */
export class FirestoreError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export const Status = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
};

// ---- timestamps: kept internally as integer microseconds since the epoch ----

export const toTimestamp = (micros) => ({
  seconds: Math.floor(micros / 1e6),
  nanos: (((micros % 1e6) + 1e6) % 1e6) * 1000,
});
export const fromTimestamp = (ts) => (ts?.seconds ?? 0) * 1e6 + Math.floor((ts?.nanos ?? 0) / 1000);

/** RFC 3339 with microseconds, as Firestore's JSON API writes timestamps. */
export function formatTimestamp({ seconds, nanos }) {
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  return `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

// ---- field paths ----

/** Splits an encoded field path (`a.b`, `` `x.y`.z ``) into segments. */
export function parseFieldPath(path) {
  const segments = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (quoted) {
      if (c === '\\') current += path[++i];
      else if (c === '`') quoted = false;
      else current += c;
    } else if (c === '`') quoted = true;
    else if (c === '.') {
      segments.push(current);
      current = '';
    } else current += c;
  }
  segments.push(current);
  return segments;
}

export function getField(fields, segments) {
  let value = { map_value: { fields } };
  for (const segment of segments) {
    value = value?.map_value?.fields?.[segment];
    if (value === undefined) return undefined;
  }
  return value;
}

/** Sets a value at a path in a mutable field map, creating (or replacing non-map) parents. */
export function setField(fields, segments, value) {
  let target = fields;
  for (const segment of segments.slice(0, -1)) {
    if (!target[segment]?.map_value) target[segment] = { map_value: { fields: {} } };
    target[segment].map_value.fields ??= {};
    target = target[segment].map_value.fields;
  }
  target[segments.at(-1)] = value;
}

export function deleteField(fields, segments) {
  let target = fields;
  for (const segment of segments.slice(0, -1)) {
    target = target[segment]?.map_value?.fields;
    if (!target) return;
  }
  delete target[segments.at(-1)];
}

/** Keeps only the given field paths (a projection / document mask). */
export function projectFields(fields, paths) {
  const out = {};
  for (const path of paths) {
    if (path === '__name__') continue;
    const segments = parseFieldPath(path);
    const value = getField(fields, segments);
    if (value !== undefined) setField(out, segments, structuredClone(value));
  }
  return out;
}

// ---- ordering and equality (Firestore's cross-type order) ----

const TYPE_ORDER = {
  null_value: 0,
  boolean_value: 1,
  integer_value: 2,
  double_value: 2,
  timestamp_value: 3,
  string_value: 4,
  bytes_value: 5,
  reference_value: 6,
  geo_point_value: 7,
  array_value: 8,
  map_value: 9,
};

export const kindOf = (value) => Object.keys(value).find((k) => k in TYPE_ORDER);
export const typeOrder = (value) => TYPE_ORDER[kindOf(value)];
export const isNumber = (value) => value !== undefined && typeOrder(value) === 2;
export const numberOf = (value) => Number(value.integer_value ?? value.double_value);
export const isNaNValue = (value) => value?.double_value !== undefined && Number.isNaN(value.double_value);
export const isNull = (value) => value !== undefined && kindOf(value) === 'null_value';

const sign = (n) => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Strings compare by code point (the order of their UTF-8 bytes), not by UTF-16 unit. */
export function compareStrings(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return sign(a.codePointAt(i) - b.codePointAt(i));
  }
  return sign(a.length - b.length);
}

/** Resource names compare segment by segment. */
export function compareNames(a, b) {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const c = compareStrings(x[i], y[i]);
    if (c) return c;
  }
  return sign(x.length - y.length);
}

function compareNumbers(a, b) {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return sign(a - b);
}

export function compareValues(a, b) {
  const ta = typeOrder(a);
  const tb = typeOrder(b);
  if (ta !== tb) return sign(ta - tb);
  switch (kindOf(a)) {
    case 'null_value':
      return 0;
    case 'boolean_value':
      return sign(Number(a.boolean_value) - Number(b.boolean_value));
    case 'integer_value':
    case 'double_value':
      return compareNumbers(numberOf(a), numberOf(b));
    case 'timestamp_value':
      return sign(fromTimestamp(a.timestamp_value) - fromTimestamp(b.timestamp_value)) ||
        sign((a.timestamp_value.nanos % 1000) - (b.timestamp_value.nanos % 1000));
    case 'string_value':
      return compareStrings(a.string_value, b.string_value);
    case 'bytes_value':
      return sign(Buffer.compare(Buffer.from(a.bytes_value), Buffer.from(b.bytes_value)));
    case 'reference_value':
      return compareNames(a.reference_value, b.reference_value);
    case 'geo_point_value':
      return compareNumbers(a.geo_point_value.latitude ?? 0, b.geo_point_value.latitude ?? 0) ||
        compareNumbers(a.geo_point_value.longitude ?? 0, b.geo_point_value.longitude ?? 0);
    case 'array_value': {
      const x = a.array_value.values ?? [];
      const y = b.array_value.values ?? [];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i], y[i]);
        if (c) return c;
      }
      return sign(x.length - y.length);
    }
    case 'map_value': {
      const x = a.map_value.fields ?? {};
      const y = b.map_value.fields ?? {};
      const kx = Object.keys(x).sort(compareStrings);
      const ky = Object.keys(y).sort(compareStrings);
      for (let i = 0; i < Math.min(kx.length, ky.length); i++) {
        const c = compareStrings(kx[i], ky[i]) || compareValues(x[kx[i]], y[ky[i]]);
        if (c) return c;
      }
      return sign(kx.length - ky.length);
    }
    default:
      throw new FirestoreError(Status.INVALID_ARGUMENT, `Unsupported value: ${JSON.stringify(a)}`);
  }
}

/** Query equality: 1 == 1.0, NaN == NaN. */
export const valuesEqual = (a, b) => compareValues(a, b) === 0;

/** Stored-value identity (an integer 1 and a double 1.0 differ), to detect no-op writes. */
export function sameValue(a, b) {
  const kind = kindOf(a);
  if (kind !== kindOf(b)) return false;
  switch (kind) {
    case 'array_value': {
      const x = a.array_value.values ?? [];
      const y = b.array_value.values ?? [];
      return x.length === y.length && x.every((v, i) => sameValue(v, y[i]));
    }
    case 'map_value':
      return sameFields(a.map_value.fields ?? {}, b.map_value.fields ?? {});
    case 'double_value':
      return Object.is(a.double_value, b.double_value);
    case 'bytes_value':
      return Buffer.from(a.bytes_value).equals(Buffer.from(b.bytes_value));
    case 'timestamp_value':
    case 'geo_point_value':
      return JSON.stringify(a[kind]) === JSON.stringify(b[kind]);
    default:
      return a[kind] === b[kind];
  }
}

export function sameFields(x, y) {
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => k in y && sameValue(x[k], y[k]));
}

// ---- proto3 JSON (the form Firestore's REST API and trigger events use) ----

export function valueToJson(value) {
  switch (kindOf(value)) {
    case 'null_value':
      return { nullValue: null };
    case 'boolean_value':
      return { booleanValue: value.boolean_value };
    case 'integer_value':
      return { integerValue: String(value.integer_value) };
    case 'double_value': {
      const d = value.double_value;
      return { doubleValue: Number.isFinite(d) ? d : String(d) };
    }
    case 'timestamp_value':
      return { timestampValue: formatTimestamp(value.timestamp_value) };
    case 'string_value':
      return { stringValue: value.string_value };
    case 'bytes_value':
      return { bytesValue: Buffer.from(value.bytes_value).toString('base64') };
    case 'reference_value':
      return { referenceValue: value.reference_value };
    case 'geo_point_value':
      return { geoPointValue: { latitude: value.geo_point_value.latitude ?? 0, longitude: value.geo_point_value.longitude ?? 0 } };
    case 'array_value':
      return { arrayValue: { values: (value.array_value.values ?? []).map(valueToJson) } };
    case 'map_value':
      return { mapValue: { fields: fieldsToJson(value.map_value.fields ?? {}) } };
    default:
      return {};
  }
}

export const fieldsToJson = (fields) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, valueToJson(v)]));
