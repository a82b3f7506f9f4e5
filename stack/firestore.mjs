// The Firestore stand-in, used where the official emulator (Java 21 + a download) cannot run.
//
// It serves google.firestore.v1.Firestore over gRPC with the wire format of @firestore-emulator/server
// (its generated protobufs and gRPC runtime), but with its own small engine in ./firestore/: the
// package's engine (0.3.15) merges on set(), ignores offset, cursors, select, field deletes and
// lastUpdateTime preconditions, compares 1 and 1.5 as unequal types, returns nothing for collection
// groups, applies batches partially, has no BatchWrite or ListCollectionIds and fakes transactions.
// The conformance suite (functions/test/conformance/firestore.test.ts) pins the behaviour.
import { Store, toJsonDocument } from './firestore/store.mjs';
import { createHandlers, definition, grpc } from './firestore/service.mjs';
import { formatTimestamp, toTimestamp } from './firestore/values.mjs';

const changeListeners = new Set();

/**
 * Observe every committed document change of every stand-in in this process, in commit order.
 * The listener gets { path, name, projectId, databaseId, before, after, updateTime, commitTime }:
 * before/after are the document in Firestore's JSON form (or null when it did not / does not exist).
 * Listener errors (thrown or rejected) are logged and never affect the write. Returns an unsubscribe.
 */
export function onDocumentChange(listener) {
  changeListeners.add(listener);
  return () => changeListeners.delete(listener);
}

// Events are delivered one at a time in commit order, even if a listener causes another commit.
const queue = [];
let draining = false;
function deliver(listenerSets, events) {
  for (const event of events) queue.push({ listenerSets, event: deepFreeze(event) });
  if (draining) return;
  draining = true;
  try {
    while (queue.length) {
      const { listenerSets, event } = queue.shift();
      for (const listeners of listenerSets) notify(listeners, event);
    }
  } finally {
    draining = false;
  }
}

function deepFreeze(value) {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function notify(listeners, event) {
  for (const listener of [...listeners]) {
    try {
      const result = listener(event);
      if (result && typeof result.then === 'function') {
        result.then(undefined, (err) => console.error('[firestore stand-in] change listener failed:', err));
      }
    } catch (err) {
      console.error('[firestore stand-in] change listener failed:', err);
    }
  }
}

/** The change event for one stored document write. */
function toChangeEvent({ name, before, after }, commitMicros) {
  const [, projectId, , databaseId, , ...rest] = name.split('/');
  const commitTime = formatTimestamp(toTimestamp(commitMicros));
  return {
    path: rest.join('/'),
    name,
    projectId,
    databaseId,
    before: toJsonDocument(before),
    after: toJsonDocument(after),
    updateTime: after ? formatTimestamp(toTimestamp(after.updateTime)) : commitTime,
    commitTime,
  };
}

export async function startFirestoreStandIn({ host = '127.0.0.1', port }) {
  const store = new Store();
  const ownListeners = new Set();
  store.onCommit((changes, commitMicros) => {
    if (!changeListeners.size && !ownListeners.size) return;
    deliver([ownListeners, changeListeners], changes.map((change) => toChangeEvent(change, commitMicros)));
  });

  // Firestore accepts requests far above gRPC's default 4 MB (a 500-write batch of large documents).
  const server = new grpc.Server({ 'grpc.max_receive_message_length': -1 });
  server.addService(definition, createHandlers(store));
  await new Promise((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  return {
    host: `${host}:${port}`,
    state: store,
    /** Like the module-level onDocumentChange, for this stand-in only. */
    onDocumentChange(listener) {
      ownListeners.add(listener);
      return () => ownListeners.delete(listener);
    },
    // Forced: open Listen streams would otherwise hold a graceful shutdown forever.
    stop: async () => server.forceShutdown(),
  };
}
