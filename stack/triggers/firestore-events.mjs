// Firestore document events as Eventarc delivers them to 2nd-gen functions: which triggers a
// committed change fires (event type, database, namespace, document path pattern) and the
// CloudEvent each one receives. The data is the JSON form of DocumentEventData, which
// firebase-functions decodes when `datacontenttype` is application/json.

export const FIRESTORE_EVENT_PREFIX = 'google.cloud.firestore.document.v1.';
const WITH_AUTH_CONTEXT = '.withAuthContext';

/** The kind of a change: created, updated or deleted (`written` covers all three). */
export function changeKind({ before, after }) {
  if (!before) return 'created';
  if (!after) return 'deleted';
  return 'updated';
}

/** `created`, `updated`, `deleted` or `written` for a Firestore event type, or null for any other type. */
export function eventKind(eventType) {
  if (typeof eventType !== 'string' || !eventType.startsWith(FIRESTORE_EVENT_PREFIX)) return null;
  const kind = eventType.slice(FIRESTORE_EVENT_PREFIX.length).replace(WITH_AUTH_CONTEXT, '');
  return ['created', 'updated', 'deleted', 'written'].includes(kind) ? kind : null;
}

const segments = (path) => path.split('/').filter(Boolean);

/**
 * Eventarc path-pattern matching (https://cloud.google.com/eventarc/docs/path-patterns), as
 * firebase-functions writes document patterns: `{id}` or `*` matches one segment, `{path=**}` or
 * `**` any number of them, anything else itself.
 */
export function matchesPathPattern(pattern, path) {
  const want = segments(pattern);
  const have = segments(path);
  const match = (i, j) => {
    if (i === want.length) return j === have.length;
    const part = want[i];
    if (part.includes('**')) {
      for (let k = j; k <= have.length; k++) if (match(i + 1, k)) return true;
      return false;
    }
    if (j === have.length) return false;
    const single = part === '*' || /^\{[^/{}=]+\}$/.test(part);
    return (single || part === have[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

/**
 * True when `trigger` (a Functions emulator trigger definition) receives `change`: its event type
 * covers the change's kind, and database, namespace and document filters match.
 */
export function triggerMatches(trigger, change) {
  const eventTrigger = trigger.eventTrigger;
  const kind = eventKind(eventTrigger?.eventType);
  if (!kind || (kind !== 'written' && kind !== changeKind(change))) return false;
  const filters = eventTrigger.eventFilters ?? {};
  if ((filters.database ?? '(default)') !== change.databaseId) return false;
  // The stand-in has no namespaces (a Datastore-mode notion): every document is in the default one.
  if ((filters.namespace ?? '(default)') !== '(default)') return false;
  if (filters.document !== undefined) return segments(filters.document).join('/') === change.path;
  const pattern = eventTrigger.eventFilterPathPatterns?.document;
  return typeof pattern === 'string' && matchesPathPattern(pattern, change.path);
}

const SIMPLE_FIELD = /^[A-Za-z_][A-Za-z_0-9]*$/;
const quoteField = (name) => (SIMPLE_FIELD.test(name) ? name : `\`${name.replace(/[\\`]/g, (c) => `\\${c}`)}\``);

function sameJson(a, b) {
  if (a === b) return true;
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
}

/** Field paths an update changed (leaves inside maps), as DocumentEventData's updateMask lists them. */
export function updatedFieldPaths(beforeFields, afterFields, prefix = '') {
  const paths = [];
  for (const name of new Set([...Object.keys(beforeFields), ...Object.keys(afterFields)])) {
    const old = beforeFields[name];
    const now = afterFields[name];
    const path = `${prefix}${quoteField(name)}`;
    if (old?.mapValue && now?.mapValue) paths.push(...updatedFieldPaths(old.mapValue.fields ?? {}, now.mapValue.fields ?? {}, `${path}.`));
    else if (!sameJson(old, now)) paths.push(path);
  }
  return paths.sort();
}

/**
 * The CloudEvent a trigger of `type` receives for `change` (a Firestore stand-in change event):
 * structured mode, Eventarc's attributes, JSON DocumentEventData (`value`, `oldValue`, `updateMask`).
 */
export function toCloudEvent(change, { id, type }) {
  const data = {};
  if (change.after) data.value = change.after;
  if (change.before) data.oldValue = change.before;
  if (change.before && change.after) data.updateMask = { fieldPaths: updatedFieldPaths(change.before.fields ?? {}, change.after.fields ?? {}) };
  const event = {
    specversion: '1.0',
    id,
    type,
    source: `//firestore.googleapis.com/projects/${change.projectId}/databases/${change.databaseId}`,
    subject: `documents/${change.path}`,
    time: change.commitTime,
    datacontenttype: 'application/json',
    data,
    project: change.projectId,
    database: change.databaseId,
    namespace: '(default)',
    document: change.path,
  };
  // The stand-in does not record who wrote (every client is an admin there).
  if (type.endsWith(WITH_AUTH_CONTEXT)) event.authtype = 'unknown';
  return event;
}
