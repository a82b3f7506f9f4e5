// Same-run baselines: records the Firestore reads and writes that a piece of product code makes
// (through firebase-admin's client, in this process) and replays exactly those with the bare
// client, so a figure can be shown beside "the bare Firestore client doing the same reads and
// writes", measured in the same run.
//
//   const plan = await record(() => fetch(...));   // the API request, once (e.g. its warm-up)
//   await replay(plan);                            // the same reads and writes, bare
//
// Recording also counts what Firestore bills: documents read (gets and getAll per document asked
// for, queries per document returned and at least one, in transactions too) and count
// aggregations; and transaction attempts and commits (attempts beyond commits are retries after
// contention). Counting runs once `counting()` was asked, recording only inside record().
//
// The replay: reads made outside transactions all at once (a lower bound: the product may need
// some of them in turn); then each committed transaction as a bare transaction with the same
// reads (the first alone, as it begins the transaction, the others at once) and the same writes;
// then each committed batch (DocumentReference.set/update/create/delete make one too); then the
// BulkWriter writes through one bare BulkWriter. A create is replayed on a new document id of the
// same collection (the recorded one exists by then); a `lastUpdateTime` precondition is dropped
// (the recorded version is gone by then). Transaction attempts that were retried are not replayed,
// only the one that committed. The API's shared rate-limit counters are left out (NOT_PER_REQUEST).
import { Firestore, Query, Transaction, WriteBatch } from 'firebase-admin/firestore';

let active = null; // the recording in progress
const counters = { docs: 0, aggregations: 0, attempts: 0, commits: 0 };
let depth = 0; // inside a Transaction or BulkWriter call: its inner WriteBatch call is not the caller's
const transactions = new WeakMap(); // Transaction -> { reads, writes } of its current attempt
const batches = new WeakMap(); // WriteBatch -> writes
const writers = new WeakMap(); // BulkWriter -> writes

function wrap(proto, name, around) {
  const original = proto[name];
  if (original.__benchWrapped) return;
  const wrapped = function (...args) {
    return around.call(this, original, args);
  };
  wrapped.__benchWrapped = true;
  proto[name] = wrapped;
}

const isRef = (a) => a && typeof a === 'object' && typeof a.path === 'string' && 'firestore' in a && typeof a.collection === 'function';
function splitGetAll(args) {
  const refs = args.filter(isRef);
  const last = args.at(-1);
  const options = last && !isRef(last) && typeof last === 'object' ? last : undefined;
  return { refs, options };
}
const sizeOf = (result) => Math.max(1, result?.size ?? result?.docs?.length ?? 0);
const isAggregate = (q) => q && typeof q.get === 'function' && 'query' in q && !(q instanceof Query);
const after = (promise, fn) => promise.then((r) => (fn(r), r));

let installed = false;
function install(db) {
  if (installed) return;
  installed = true;
  const AggregateQuery = Object.getPrototypeOf(db.collection('x').count()).constructor;
  const BulkWriter = Object.getPrototypeOf(db.bulkWriter()).constructor;

  // Reads outside transactions (DocumentReference.get goes through Firestore.getAll).
  wrap(Firestore.prototype, 'getAll', function (original, args) {
    const { refs, options } = splitGetAll(args);
    counters.docs += refs.length;
    active?.reads.push({ kind: 'getAll', refs, options });
    return original.apply(this, args);
  });
  wrap(Query.prototype, 'get', function (original, args) {
    const query = this;
    active?.reads.push({ kind: 'query', query });
    return after(original.apply(this, args), (r) => (counters.docs += sizeOf(r)));
  });
  wrap(AggregateQuery.prototype, 'get', function (original, args) {
    counters.aggregations += 1;
    active?.reads.push({ kind: 'aggregate', query: this });
    return original.apply(this, args);
  });

  // Transactions: reads and writes of the current attempt; kept once it commits.
  const attempt = (tx) => transactions.get(tx) ?? transactions.set(tx, { reads: [], writes: [] }).get(tx);
  wrap(Transaction.prototype, 'runTransactionOnce', function (original, args) {
    counters.attempts += 1;
    transactions.set(this, { reads: [], writes: [] });
    return original.apply(this, args);
  });
  wrap(Transaction.prototype, 'get', function (original, args) {
    const [target] = args;
    const kind = target instanceof Query ? 'query' : isAggregate(target) ? 'aggregate' : 'getAll';
    if (active) attempt(this).reads.push(kind === 'getAll' ? { kind, refs: [target] } : { kind, query: target });
    if (kind === 'aggregate') counters.aggregations += 1;
    else if (kind === 'getAll') counters.docs += 1;
    const result = original.apply(this, args);
    return kind === 'query' ? after(result, (r) => (counters.docs += sizeOf(r))) : result;
  });
  wrap(Transaction.prototype, 'getAll', function (original, args) {
    const { refs, options } = splitGetAll(args);
    counters.docs += refs.length;
    if (active) attempt(this).reads.push({ kind: 'getAll', refs, options });
    return original.apply(this, args);
  });
  wrap(Transaction.prototype, 'commit', function (original, args) {
    const tx = this;
    const ops = active && transactions.get(tx);
    return after(original.apply(this, args), () => {
      counters.commits += 1;
      if (ops && (ops.reads.length || ops.writes.length)) active?.transactions.push(ops);
    });
  });

  for (const op of ['create', 'set', 'update', 'delete']) {
    wrap(Transaction.prototype, op, function (original, args) {
      if (active) attempt(this).writes.push({ op, args });
      depth++;
      try {
        return original.apply(this, args);
      } finally {
        depth--;
      }
    });
    wrap(WriteBatch.prototype, op, function (original, args) {
      // A BulkWriter's own batches, and a transaction's, are recorded where they were asked for.
      if (active && depth === 0 && this.constructor.name !== 'BulkCommitBatch') (batches.get(this) ?? batches.set(this, []).get(this)).push({ op, args });
      return original.apply(this, args);
    });
    wrap(BulkWriter.prototype, op, function (original, args) {
      if (active) (writers.get(this) ?? writers.set(this, []).get(this)).push({ op, args });
      depth++;
      try {
        return original.apply(this, args);
      } finally {
        depth--;
      }
    });
  }
  wrap(WriteBatch.prototype, 'commit', function (original, args) {
    const ops = batches.get(this);
    batches.delete(this);
    return after(original.apply(this, args), () => {
      if (ops?.length) active?.batches.push(ops);
    });
  });
  wrap(BulkWriter.prototype, 'close', function (original, args) {
    const ops = writers.get(this);
    writers.delete(this);
    return after(original.apply(this, args), () => {
      if (ops?.length) active?.bulk.push(...ops);
    });
  });
}

/** Installs the counters on `db`'s client classes; `read()` gives the counts since the last read. */
export function counting(db) {
  install(db);
  return {
    reset() {
      for (const k of Object.keys(counters)) counters[k] = 0;
    },
    read() {
      const r = { ...counters };
      this.reset();
      return r;
    },
  };
}

/**
 * Top-level collections left out of plans: the API's shared rate-limit counters, which a request
 * reads and writes only when its instance syncs them (at most once a second per user), so a
 * recorded request that happened to sync would make every replay pay for it.
 */
export const NOT_PER_REQUEST = ['rate_limits'];

/** Runs `fn` and returns what it read and wrote through `db`'s client: `{ plan, result }`. */
export async function record(db, fn, { ignore = NOT_PER_REQUEST } = {}) {
  install(db);
  if (active) throw new Error('record() does not nest');
  active = { reads: [], transactions: [], batches: [], bulk: [] };
  try {
    const result = await fn();
    return { plan: without(active, ignore), result };
  } finally {
    active = null;
  }
}

function without(plan, ignore) {
  if (!ignore.length) return plan;
  const skipRef = (ref) => ignore.includes(ref.path.split('/')[0]);
  const keepRead = (r) => {
    if (r.refs) return { ...r, refs: r.refs.filter((ref) => !skipRef(ref)) };
    const q = r.query.query ?? r.query; // an aggregate's query
    return ignore.includes(q._queryOptions?.collectionId) && !q._queryOptions?.parentPath?.segments?.length ? null : r;
  };
  const reads = (list) => list.map(keepRead).filter((r) => r && (!r.refs || r.refs.length));
  const writes = (list) => list.filter((w) => !skipRef(w.args[0]));
  return {
    reads: reads(plan.reads),
    transactions: plan.transactions.map((t) => ({ reads: reads(t.reads), writes: writes(t.writes) })).filter((t) => t.reads.length || t.writes.length),
    batches: plan.batches.map(writes).filter((b) => b.length),
    bulk: writes(plan.bulk),
  };
}

/** What a plan holds, for a figure's note: "1 query, 1 count; 1 transaction (505 reads, 500 writes)". */
export function describePlan(plan) {
  const parts = [];
  const reads = (list) => {
    const docs = list.filter((r) => r.kind === 'getAll').reduce((n, r) => n + r.refs.length, 0);
    const queries = list.filter((r) => r.kind === 'query').length;
    const counts = list.filter((r) => r.kind === 'aggregate').length;
    return [docs && `${docs} doc${docs > 1 ? 's' : ''}`, queries && `${queries} quer${queries > 1 ? 'ies' : 'y'}`, counts && `${counts} count${counts > 1 ? 's' : ''}`].filter(Boolean).join(' + ');
  };
  if (plan.reads.length) parts.push(`read ${reads(plan.reads)}`);
  for (const t of plan.transactions) parts.push(`transaction: read ${reads(t.reads) || 'nothing'}, ${t.writes.length} write${t.writes.length === 1 ? '' : 's'}`);
  if (plan.batches.length) parts.push(`${plan.batches.length} batch${plan.batches.length > 1 ? 'es' : ''} of ${plan.batches.map((b) => b.length).join('+')} write${plan.batches.length === 1 && plan.batches[0].length === 1 ? '' : 's'}`);
  if (plan.bulk.length) parts.push(`BulkWriter ${plan.bulk.length} writes`);
  return parts.join('; ') || 'nothing';
}

// ---- replay ----------------------------------------------------------------------------------

const isPrecondition = (a) => a && typeof a === 'object' && !Array.isArray(a) && Object.keys(a).length > 0 && Object.keys(a).every((k) => k === 'lastUpdateTime' || k === 'exists');
const stale = (a) => isPrecondition(a) && 'lastUpdateTime' in a;

/** The arguments of a recorded write for a replay: a fresh id for creates, no stale precondition. */
function replayed({ op, args }, target) {
  const [ref, ...rest] = args;
  const sameDb = !target || target === ref.firestore;
  const to = sameDb ? ref : target.doc(ref.path);
  if (op === 'create') return { op, args: [sameDb ? to.parent.doc() : to, ...rest] };
  if ((op === 'update' || op === 'delete') && rest.length && stale(rest.at(-1))) return { op, args: [to, ...rest.slice(0, -1)] };
  return { op, args: [to, ...rest] };
}

function read(r, tx) {
  if (r.kind === 'getAll') return tx ? tx.getAll(...r.refs, ...(r.options ? [r.options] : [])) : r.refs[0].firestore.getAll(...r.refs, ...(r.options ? [r.options] : []));
  return tx ? tx.get(r.query) : r.query.get();
}

/**
 * The plan's reads and writes through the bare client (see the top of this file). `db`: the
 * client to run transactions, batches and the BulkWriter on (the recorded one by default; another
 * project's client writes the same documents there, creates keeping their ids). `bulkWriter`: the
 * BulkWriter's options. `transaction`: every read and every write of the plan (BulkWriter's apart)
 * in one bare transaction instead, whatever the product used.
 */
export async function replay(plan, { db, bulkWriter, transaction = false } = {}) {
  const firestore = db ?? firstFirestore(plan);
  if (transaction) {
    const reads = [...plan.reads, ...plan.transactions.flatMap((t) => t.reads)];
    const writes = [...plan.transactions.flatMap((t) => t.writes), ...plan.batches.flat()];
    await firestore.runTransaction(async (tx) => {
      const [first, ...rest] = reads;
      if (first) await read(first, tx);
      await Promise.all(rest.map((r) => read(r, tx)));
      for (const w of writes) {
        const { op, args } = replayed(w, db);
        tx[op](...args);
      }
    });
    return;
  }
  await Promise.all(plan.reads.map((r) => read(r)));
  for (const t of plan.transactions) {
    await firestore.runTransaction(async (tx) => {
      const [first, ...rest] = t.reads;
      if (first) await read(first, tx);
      await Promise.all(rest.map((r) => read(r, tx)));
      for (const w of t.writes) {
        const { op, args } = replayed(w, db);
        tx[op](...args);
      }
    });
  }
  await Promise.all(
    plan.batches.map((ops) => {
      const batch = firestore.batch();
      for (const w of ops) {
        const { op, args } = replayed(w, db);
        batch[op](...args);
      }
      return batch.commit();
    }),
  );
  if (plan.bulk.length) {
    const writer = firestore.bulkWriter(bulkWriter);
    for (const w of plan.bulk) {
      const { op, args } = replayed(w, db);
      writer[op](...args).catch(() => {});
    }
    await writer.close();
  }
}

function firstFirestore(plan) {
  const ref = plan.reads.find((r) => r.refs)?.refs[0] ?? plan.transactions.flatMap((t) => t.writes)[0]?.args[0] ?? plan.batches.flat()[0]?.args[0] ?? plan.bulk[0]?.args[0];
  const q = plan.reads.find((r) => r.query)?.query ?? plan.transactions.flatMap((t) => t.reads).find((r) => r.query)?.query;
  const fs = ref?.firestore ?? q?.firestore ?? q?.query?.firestore ?? plan.transactions.flatMap((t) => t.reads).find((r) => r.refs)?.refs[0].firestore;
  if (!fs) throw new Error('replay: the plan names no Firestore client; pass { db }');
  return fs;
}

