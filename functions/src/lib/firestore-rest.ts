// Creates committed through Firestore's REST API as JSON built here, for the CSV importer's chunks.
// The Firestore client validates each value, builds a field-path object per value and encodes
// protobuf: 200–280 µs of CPU per task document here, most of an import's CPU. The same creates as
// JSON posted to the documented `documents:commit` endpoint cost 35–70 µs
// (functions/bench/README.md); firebase-tools' `firestore:delete` talks to Firestore the same way.
// Only what task documents hold is encoded: anything else is refused before a request is sent.
// One difference from the client: a -0 is stored as 0 (JSON cannot carry it).
import { FieldValue, Timestamp, type DocumentSnapshot, type Firestore } from 'firebase-admin/firestore';
import { FirestoreCode, hasCode, statusCode } from './firestore-errors.js';
import { sameValue } from './same-value.js';

/** A document to create: its path below the database (`tasks/SWA~T1`) and its data. */
export interface RestCreate {
  path: string;
  data: Record<string, unknown>;
}

const MAX_ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 100;
const REQUEST_TIMEOUT_MS = 60_000;
/** What Firestore asks clients to retry (and HTTP 429/5xx, which carry these statuses). */
const RETRIED = new Set<number>([FirestoreCode.ABORTED, FirestoreCode.UNAVAILABLE, FirestoreCode.RESOURCE_EXHAUSTED, FirestoreCode.DEADLINE_EXCEEDED, FirestoreCode.INTERNAL]);
/** Failures after which the commit may have landed all the same: no answer, a timeout, a server error. */
const MAY_HAVE_LANDED = new Set<number>([FirestoreCode.UNAVAILABLE, FirestoreCode.DEADLINE_EXCEEDED, FirestoreCode.INTERNAL]);
const DATASTORE_SCOPE = 'https://www.googleapis.com/auth/datastore';

// The request body is written as JSON text directly, not built as objects for JSON.stringify:
// half the CPU, and no garbage per value.
function valueJson(value: unknown, path: string, inArray = false): string {
  if (value === null) return '{"nullValue":null}';
  switch (typeof value) {
    case 'string':
      return `{"stringValue":${JSON.stringify(value)}}`;
    case 'boolean':
      return value ? '{"booleanValue":true}' : '{"booleanValue":false}';
    case 'number':
      // As the client encodes numbers: safe integers as integers (int64 travels as a string), the rest as
      // doubles; JSON has no NaN or Infinity (proto3's JSON mapping takes them as strings), nor -0 (stored as 0).
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) return `{"integerValue":"${value}"}`;
      return Number.isFinite(value) ? `{"doubleValue":${value}}` : `{"doubleValue":"${value}"}`;
    case 'object':
      // Firestore stores no array directly inside an array.
      if (Array.isArray(value) && !inArray) return `{"arrayValue":{"values":[${value.map((v, i) => valueJson(v, `${path}[${i}]`, true)).join(',')}]}}`;
      // To the nanosecond, as the client stores it (a Date would keep milliseconds only).
      if (value instanceof Timestamp) return `{"timestampValue":"${new Date(value.seconds * 1000).toISOString().slice(0, 19)}.${String(value.nanoseconds).padStart(9, '0')}Z"}`;
      if (value instanceof Date) return `{"timestampValue":"${value.toISOString()}"}`;
      if (Object.getPrototypeOf(value) === Object.prototype) return `{"mapValue":{"fields":${fieldsJson(value as Record<string, unknown>, path)}}}`;
  }
  throw new TypeError(`Cannot write ${path} through the REST commit: ${describe(value)} is not a value task documents hold`);
}

function describe(value: unknown): string {
  if (value instanceof FieldValue) return 'a FieldValue other than serverTimestamp() at the top level';
  if (Array.isArray(value)) return 'an array inside an array';
  return typeof value === 'object' ? `a ${value?.constructor?.name ?? 'null-prototype object'}` : `a ${typeof value}`;
}

const SERVER_TIME = FieldValue.serverTimestamp();
const SIMPLE_FIELD = /^[A-Za-z_][A-Za-z_0-9]*$/;

/**
 * A map's fields; undefined ones are left out, as `ignoreUndefinedProperties` does. `data` is a
 * plain object. At a document's top level (`serverTimes` given) a serverTimestamp() is no field but
 * a transform: its name goes to `serverTimes`.
 */
function fieldsJson(data: Record<string, unknown>, path: string, serverTimes?: string[]): string {
  const fields: string[] = [];
  for (const key in data) {
    const value = data[key];
    if (value === undefined) continue;
    if (!serverTimes || !(value instanceof FieldValue && value.isEqual(SERVER_TIME))) fields.push(`${JSON.stringify(key)}:${valueJson(value, path ? `${path}.${key}` : key)}`);
    else if (SIMPLE_FIELD.test(key)) serverTimes.push(key);
    else throw new TypeError(`Cannot write server time into field "${key}" through the REST commit: it needs a quoted field path`);
  }
  return `{${fields.join(',')}}`;
}

/** One create: the fields, `exists: false`, and a server-time transform per top-level serverTimestamp(). */
function createWriteJson(database: string, { path, data }: RestCreate): string {
  const serverTimes: string[] = [];
  const fields = fieldsJson(data, '', serverTimes);
  const transforms = serverTimes.length ? `,"updateTransforms":[${serverTimes.map((key) => `{"fieldPath":"${key}","setToServerValue":"REQUEST_TIME"}`).join(',')}]` : '';
  return `{"update":{"name":${JSON.stringify(`${database}/documents/${path}`)},"fields":${fields}},"currentDocument":{"exists":false}${transforms}}`;
}

/** An error from the REST commit, with the numeric status the Firestore client's errors carry (`hasCode`). */
export class FirestoreRestError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly httpStatus: number | null,
  ) {
    super(message);
    this.name = 'FirestoreRestError';
  }
}

/** The project the client talks to: its `projectId` getter (public in its JavaScript, missing from its typings) is set once it has made a request. */
function projectIdOf(db: Firestore): string {
  return (db as unknown as { projectId: string }).projectId;
}

let googleAuth: Promise<{ getAccessToken(): Promise<string | null | undefined> }> | undefined;

/** Where commits go and how they authenticate: the emulator the client uses (as its admin), or Firestore with the instance's credentials. */
async function target(): Promise<{ origin: string; authorization: string }> {
  const emulator = process.env.FIRESTORE_EMULATOR_HOST;
  if (emulator) return { origin: `http://${emulator}`, authorization: 'Bearer owner' };
  // The library the Firestore client itself authenticates with (Application Default Credentials; it caches and refreshes the token).
  googleAuth ??= import('google-auth-library').then(({ GoogleAuth }) => new GoogleAuth({ scopes: [DATASTORE_SCOPE] }));
  const token = await (await googleAuth).getAccessToken();
  if (!token) throw new FirestoreRestError('No access token for Firestore from Application Default Credentials', FirestoreCode.UNAUTHENTICATED, null);
  return { origin: 'https://firestore.googleapis.com', authorization: `Bearer ${token}` };
}

async function commitOnce(url: string, authorization: string, body: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    throw new FirestoreRestError(`Firestore commit did not answer: ${(err as Error).message}`, FirestoreCode.UNAVAILABLE, null);
  }
  const text = await res.text();
  if (res.ok) return;
  const error = (() => {
    try {
      return (JSON.parse(text) as { error?: { message?: string; status?: string } }).error;
    } catch {
      return undefined;
    }
  })();
  const code = error?.status ? statusCode(error.status) : res.status === 429 || res.status >= 500 ? FirestoreCode.UNAVAILABLE : FirestoreCode.UNKNOWN;
  throw new FirestoreRestError(error?.message ?? `Firestore commit answered HTTP ${res.status}`, code, res.status);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates every document, atomically (one commit): all are written or none. Transient failures are
 * retried with backoff; a create that finds its document fails the commit with ALREADY_EXISTS.
 * When an attempt may have landed without its answer reaching us, a later attempt's ALREADY_EXISTS
 * is checked: documents that hold exactly what this commit writes, all from one commit, are that
 * attempt's, and the commit succeeded.
 */
export async function commitCreates(db: Firestore, creates: readonly RestCreate[]): Promise<void> {
  if (creates.length === 0) return;
  const database = `projects/${projectIdOf(db)}/databases/${db.databaseId}`;
  const body = `{"writes":[${creates.map((c) => createWriteJson(database, c)).join(',')}]}`;
  let mayHaveLanded = false;
  for (let attempt = 1; ; attempt++) {
    const { origin, authorization } = await target();
    try {
      return await commitOnce(`${origin}/v1/${database}/documents:commit`, authorization, body);
    } catch (err) {
      if (mayHaveLanded && hasCode(err, 'ALREADY_EXISTS') && (await landedEarlier(db, creates))) return;
      if (!(err instanceof FirestoreRestError) || !RETRIED.has(err.code) || attempt === MAX_ATTEMPTS) throw err;
      mayHaveLanded ||= MAY_HAVE_LANDED.has(err.code);
      await pause(FIRST_BACKOFF_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
  }
}

/** True when every document exists as one commit of `creates` wrote it: the same fields, one update time. */
async function landedEarlier(db: Firestore, creates: readonly RestCreate[]): Promise<boolean> {
  const snaps = await db.getAll(...creates.map((c) => db.doc(c.path)));
  const time = snaps[0]?.updateTime;
  return snaps.every((snap, i) => time !== undefined && snap.updateTime?.isEqual(time) && holds(snap, creates[i]!.data));
}

/** True when `snap` holds exactly `data` (its server times as any time). */
function holds(snap: DocumentSnapshot, data: Record<string, unknown>): boolean {
  const stored = snap.data();
  if (!stored) return false;
  const sent = Object.entries(data).filter(([, v]) => v !== undefined);
  return (
    sent.length === Object.keys(stored).length &&
    sent.every(([k, v]) => Object.hasOwn(stored, k) && (v instanceof FieldValue ? stored[k] instanceof Timestamp : sameValue(asStored(v), stored[k])))
  );
}

/** A value as Firestore gives it back: Dates as Timestamps, undefined map fields left out. */
function asStored(value: unknown): unknown {
  if (value instanceof Date) return Timestamp.fromDate(value);
  if (Array.isArray(value)) return value.map(asStored);
  if (value && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = asStored(v);
    return out;
  }
  return value;
}
