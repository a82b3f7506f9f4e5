// gRPC handlers for google.firestore.v1.Firestore over the Store. The wire format (service
// definition and message classes) comes from @firestore-emulator/proto, the stand-in package's own
// generated protobufs; requests are turned into plain objects and answered from plain objects.
import { createRequire } from 'node:module';
import { aggregate, inScope, runQuery } from './query.mjs';
import { toV1Document } from './store.mjs';
import { FirestoreError, Status, projectFields, toTimestamp } from './values.mjs';

// Resolve from the stand-in package so the protobuf runtime and gRPC are the ones it was built with.
const requireFromPackage = createRequire(createRequire(import.meta.url).resolve('@firestore-emulator/server'));
export const grpc = requireFromPackage('@grpc/grpc-js');
const pb = requireFromPackage('google-protobuf');
const v1 = requireFromPackage('@firestore-emulator/proto/dist/google/firestore/v1/firestore.js');
const { Empty } = requireFromPackage('@firestore-emulator/proto/dist/google/protobuf/empty.js');
const { Document } = requireFromPackage('@firestore-emulator/proto/dist/google/firestore/v1/document.js');

export const definition = v1.UnimplementedFirestoreService.definition;

// Per message class: its fields (generated accessors with a getter and a setter) and, for oneof or
// optional ones, the `has_` flag to consult. Working this out per message, or asking `toObject()`,
// walked the whole subtree again at every level and dominated the stand-in's CPU.
const fieldsByClass = new Map();
function fieldsOf(message) {
  const proto = Object.getPrototypeOf(message);
  let fields = fieldsByClass.get(proto);
  if (!fields) {
    const descriptors = Object.getOwnPropertyDescriptors(proto);
    fields = Object.entries(descriptors)
      .filter(([name, d]) => d.get && d.set && !name.startsWith('has_'))
      .map(([name]) => [name, `has_${name}` in descriptors ? `has_${name}` : null]);
    fieldsByClass.set(proto, fields);
  }
  return fields;
}

/**
 * A generated message as a plain object holding only the fields that are set. (The classes'
 * own toObject() fills every member of a oneof with its default, so a Value would look like all
 * types at once.)
 */
export function toPlain(message) {
  if (message instanceof pb.Message) {
    const out = {};
    for (const [key, has] of fieldsOf(message)) {
      if (has && !message[has]) continue;
      out[key] = toPlain(message[key]);
    }
    return out;
  }
  if (Array.isArray(message)) return message.map(toPlain);
  if (message instanceof Map) return Object.fromEntries([...message].map(([k, v]) => [k, toPlain(v)]));
  return message;
}

const TARGET = { NO_CHANGE: 0, ADD: 1, REMOVE: 2, CURRENT: 3, RESET: 4 };

function statusOf(err) {
  if (err instanceof FirestoreError) return { code: err.code, details: err.message };
  console.error('[firestore stand-in] internal error:', err);
  return { code: Status.INTERNAL, details: String(err?.message ?? err) };
}

const unary = (fn) => (call, callback) => {
  try {
    const response = fn(toPlain(call.request));
    callback(null, response);
  } catch (err) {
    callback(statusOf(err), null);
  }
};

const serverStream = (fn) => async (call) => {
  try {
    await fn(toPlain(call.request), (message) => call.write(message));
    call.end();
  } catch (err) {
    call.emit('error', statusOf(err));
  }
};

export function createHandlers(store) {
  const documentsOf = () => store.docs.values();
  const query = (parent, structuredQuery) => runQuery(documentsOf(), parent, structuredQuery);
  const asDocument = (doc, mask) => toV1Document(doc, mask ? projectFields(doc.fields, mask) : doc.fields);

  /** The transaction a read runs in: an existing one, or one it starts (returned to the caller). */
  function readTransaction(request) {
    if (request.new_transaction) return { id: store.beginTransaction(request.new_transaction), isNew: true };
    if (request.transaction?.length) return { id: request.transaction, isNew: false };
    return { id: null, isNew: false };
  }

  function commitOrThrow(writes, transaction) {
    const { commitTime, results } = store.commit(writes, transaction);
    return { commit_time: toTimestamp(commitTime), write_results: results };
  }

  const handlers = {
    GetDocument: unary((req) => {
      const doc = store.get(req.name);
      if (!doc) throw new FirestoreError(Status.NOT_FOUND, `Document ${req.name} not found.`);
      return Document.fromObject(asDocument(doc, req.mask?.field_paths));
    }),

    ListDocuments: unary((req) => {
      const docs = store.listDocuments(`${req.parent}/${req.collection_id}`, req.show_missing);
      return v1.ListDocumentsResponse.fromObject({
        documents: docs.map((d) => (d.missing ? { name: d.name } : asDocument(d, req.mask?.field_paths))),
        next_page_token: '',
      });
    }),

    CreateDocument: unary((req) => {
      const name = `${req.parent}/${req.collection_id}/${req.document_id || randomId()}`;
      store.commit([{ update: { name, fields: req.document?.fields ?? {} }, current_document: { exists: false } }]);
      return Document.fromObject(asDocument(store.get(name), req.mask?.field_paths));
    }),

    UpdateDocument: unary((req) => {
      const { name } = req.document;
      store.commit([{ update: req.document, update_mask: req.update_mask, current_document: req.current_document ?? { exists: true } }]);
      return Document.fromObject(asDocument(store.get(name), req.mask?.field_paths));
    }),

    DeleteDocument: unary((req) => {
      store.commit([{ delete: req.name, current_document: req.current_document }]);
      return Empty.fromObject({});
    }),

    BatchGetDocuments: serverStream(async (req, send) => {
      const tx = readTransaction(req);
      if (tx.isNew) send(v1.BatchGetDocumentsResponse.fromObject({ transaction: tx.id }));
      if (tx.id) await store.lockForRead(tx.id, req.documents);
      const readTime = toTimestamp(store.now());
      const docs = new Map(req.documents.map((name) => [name, store.get(name)]));
      if (tx.id) store.recordReads(tx.id, docs);
      for (const [name, doc] of docs) {
        send(v1.BatchGetDocumentsResponse.fromObject({
          ...(doc ? { found: asDocument(doc, req.mask?.field_paths) } : { missing: name }),
          read_time: readTime,
        }));
      }
    }),

    BeginTransaction: unary((req) => v1.BeginTransactionResponse.fromObject({ transaction: store.beginTransaction(req.options) })),

    Commit: unary((req) => v1.CommitResponse.fromObject(commitOrThrow(req.writes ?? [], req.transaction))),

    Rollback: unary((req) => {
      store.rollback(req.transaction);
      return Empty.fromObject({});
    }),

    RunQuery: serverStream(async (req, send) => {
      rejectExplain(req);
      const tx = readTransaction(req);
      const structured = req.structured_query;
      const docs = query(req.parent, structured);
      if (tx.id) store.recordQuery(tx.id, () => query(req.parent, structured), docs);
      const readTime = toTimestamp(store.now());
      const mask = structured.select ? (structured.select.fields ?? []).map((f) => f.field_path) : undefined;
      const first = tx.isNew ? { transaction: tx.id } : {};
      docs.forEach((doc, i) => {
        send(v1.RunQueryResponse.fromObject({ ...(i === 0 ? first : {}), document: asDocument(doc, mask), read_time: readTime }));
      });
      send(v1.RunQueryResponse.fromObject({ ...(docs.length ? {} : first), read_time: readTime, done: true }));
    }),

    RunAggregationQuery: serverStream(async (req, send) => {
      rejectExplain(req);
      const tx = readTransaction(req);
      const { structured_query: structured, aggregations = [] } = req.structured_aggregation_query;
      const docs = query(req.parent, structured);
      if (tx.id) store.recordQuery(tx.id, () => query(req.parent, structured), docs);
      send(v1.RunAggregationQueryResponse.fromObject({
        ...(tx.isNew ? { transaction: tx.id } : {}),
        result: { aggregate_fields: aggregate(docs, aggregations) },
        read_time: toTimestamp(store.now()),
      }));
    }),

    // Each write on its own, with a status per write (what BulkWriter relies on).
    BatchWrite: unary((req) => {
      const writeResults = [];
      const status = [];
      for (const write of req.writes ?? []) {
        try {
          writeResults.push(store.commit([write]).results[0]);
          status.push({ code: Status.OK, message: '' });
        } catch (err) {
          const { code, details } = statusOf(err);
          writeResults.push({});
          status.push({ code, message: details });
        }
      }
      return v1.BatchWriteResponse.fromObject({ write_results: writeResults, status });
    }),

    ListCollectionIds: unary((req) => v1.ListCollectionIdsResponse.fromObject({
      collection_ids: store.collectionIds(req.parent),
      next_page_token: '',
    })),

    Listen: (call) => listen(store, call, query),
  };

  for (const name of Object.keys(definition)) {
    handlers[name] ??= (call, callback) => {
      const status = { code: Status.UNIMPLEMENTED, details: `${name} is not implemented by the Firestore stand-in.` };
      if (callback) callback(status, null);
      else call.emit('error', status);
    };
  }
  return handlers;
}

function rejectExplain(req) {
  if (req.explain_options) throw new FirestoreError(Status.UNIMPLEMENTED, 'Query explain is not implemented by the Firestore stand-in.');
}

const randomId = () => {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: 20 }, () => chars[Math.floor(Math.random() * chars.length)]).join('');
};

/**
 * A Listen stream: every target gets its initial documents, then after each commit the documents
 * that entered, changed in or left its result, followed by a global consistent point (NO_CHANGE with
 * a read time) that makes the client raise a snapshot.
 */
function listen(store, call, query) {
  const targets = new Map(); // target id -> { kind, request, current: Map<name, updateTime> }
  const send = (message) => call.write(v1.ListenResponse.fromObject(message));
  const token = (micros) => Buffer.from(String(micros));
  const results = (target) => {
    if (target.query) return query(target.query.parent, target.query.structured_query);
    return target.documents.documents.map((name) => store.get(name)).filter(Boolean);
  };
  const relevant = (target, changes) => {
    if (target.documents) return changes.some((c) => target.documents.documents.includes(c.name));
    const { parent, structured_query: q } = target.query;
    return changes.some((c) => inScope(parent, q.from?.[0] ?? {}, c.name));
  };

  /** Sends the changes between a target's last result and `docs`; true if there were any. */
  const sendDiff = (id, state, docs) => {
    let changed = false;
    const next = new Map(docs.map((d) => [d.name, d.updateTime]));
    for (const doc of docs) {
      if (state.current.get(doc.name) === doc.updateTime) continue;
      send({ document_change: { document: toV1Document(doc), target_ids: [id] } });
      changed = true;
    }
    for (const name of state.current.keys()) {
      if (next.has(name)) continue;
      if (store.get(name)) send({ document_remove: { document: name, removed_target_ids: [id] } });
      else send({ document_delete: { document: name, removed_target_ids: [id] } });
      changed = true;
    }
    state.current = next;
    return changed;
  };

  const unsubscribe = store.onCommit((changes, commitTime) => {
    let changed = false;
    for (const [id, state] of targets) {
      if (relevant(state.target, changes)) changed = sendDiff(id, state, results(state.target)) || changed;
    }
    if (changed) send({ target_change: { target_change_type: TARGET.NO_CHANGE, read_time: toTimestamp(commitTime), resume_token: token(commitTime) } });
  });
  const close = () => {
    unsubscribe();
    targets.clear();
  };
  call.on('cancelled', close);
  call.on('error', close);
  call.on('end', () => {
    close();
    call.end();
  });

  call.on('data', (message) => {
    try {
      const request = toPlain(message);
      if (request.add_target) {
        const target = request.add_target;
        const id = target.target_id ?? 0;
        send({ target_change: { target_change_type: TARGET.ADD, target_ids: [id] } });
        // A resumed target starts over: the client drops what it had and takes the full result.
        if (target.resume_token?.length) send({ target_change: { target_change_type: TARGET.RESET, target_ids: [id] } });
        const state = { target, current: new Map() };
        targets.set(id, state);
        const now = store.now();
        sendDiff(id, state, results(target));
        send({ target_change: { target_change_type: TARGET.CURRENT, target_ids: [id], resume_token: token(now), read_time: toTimestamp(now) } });
        send({ target_change: { target_change_type: TARGET.NO_CHANGE, read_time: toTimestamp(now), resume_token: token(now) } });
      }
      if (request.remove_target !== undefined) {
        targets.delete(request.remove_target);
        send({ target_change: { target_change_type: TARGET.REMOVE, target_ids: [request.remove_target] } });
      }
    } catch (err) {
      const status = statusOf(err);
      send({ target_change: { target_change_type: TARGET.REMOVE, target_ids: [], cause: { code: status.code, message: status.details } } });
    }
  });
}
