// The stand-in's document store: documents by resource name, atomic commits with preconditions and
// field transforms, optimistic transactions, and change notification in commit order.
import { randomBytes } from 'node:crypto';
import {
  FirestoreError,
  Status,
  compareNames,
  deleteField,
  fieldsToJson,
  formatTimestamp,
  fromTimestamp,
  getField,
  isNumber,
  numberOf,
  parseFieldPath,
  sameFields,
  setField,
  toTimestamp,
  valuesEqual,
  compareValues,
} from './values.mjs';

const DOCUMENT_NAME = /^projects\/[^/]+\/databases\/[^/]+\/documents(\/[^/]+\/[^/]+)+$/;
const REQUEST_TIME = 1;
// A read in a read-write transaction waits this long for another transaction that read the same
// document to finish (Firestore serialises them with locks). Past it, the read goes ahead and the
// commit-time check still keeps the outcome correct.
const LOCK_WAIT_MS = 2000;
const TRANSACTION_TTL_MS = 5 * 60 * 1000;

/** A stored document: { name, fields, createTime, updateTime } with times in µs. Never mutated. */
export function toV1Document(doc, fields = doc.fields) {
  return { name: doc.name, fields, create_time: toTimestamp(doc.createTime), update_time: toTimestamp(doc.updateTime) };
}

/** The proto3 JSON form of a stored document (as Firestore's REST API and trigger events give it). */
export function toJsonDocument(doc) {
  if (!doc) return null;
  return {
    name: doc.name,
    fields: fieldsToJson(doc.fields),
    createTime: formatTimestamp(toTimestamp(doc.createTime)),
    updateTime: formatTimestamp(toTimestamp(doc.updateTime)),
  };
}

export class Store {
  docs = new Map(); // name -> document
  #transactions = new Map(); // id (hex) -> { readOnly, reads: Map<name, version>, queries, locks, started }
  #locks = new Map(); // name -> { holder, queue: [{ tx, grant }] }
  #commitListeners = new Set();
  #lastMicros = 0;

  /** Strictly increasing microsecond clock: every commit gets its own time. */
  now() {
    this.#lastMicros = Math.max(Date.now() * 1000, this.#lastMicros + 1);
    return this.#lastMicros;
  }

  get(name) {
    return this.docs.get(name) ?? null;
  }

  /** Listeners get (changes, commitTimeMicros) after each commit that changed something. */
  onCommit(listener) {
    this.#commitListeners.add(listener);
    return () => this.#commitListeners.delete(listener);
  }

  clear() {
    this.docs.clear();
  }

  // ---- writes ----

  /**
   * Applies writes atomically: every precondition is checked against the state the earlier writes
   * of the same commit leave, and nothing is stored unless all succeed.
   */
  commit(writes, transactionId) {
    if (transactionId?.length) this.#validateTransaction(transactionId);
    const time = this.now();
    const staged = new Map();
    const results = writes.map((write) => this.#applyWrite(write, time, staged));
    return { commitTime: time, results, changes: this.#store(staged, time) };
  }

  #applyWrite(write, time, staged) {
    const name = write.update?.name ?? write.delete;
    if (!name || !DOCUMENT_NAME.test(name)) throw new FirestoreError(Status.INVALID_ARGUMENT, `Invalid document name: ${name}`);
    const current = staged.has(name) ? staged.get(name) : this.get(name);
    checkPrecondition(name, current, write.current_document);
    if (write.delete !== undefined) {
      staged.set(name, null);
      return { update_time: toTimestamp(time) };
    }
    if (!write.update) throw new FirestoreError(Status.INVALID_ARGUMENT, 'A write needs update or delete.');
    const given = write.update.fields ?? {};
    let fields;
    if (write.update_mask) {
      // Only the masked paths change: present in the write → set, absent → deleted.
      fields = structuredClone(current?.fields ?? {});
      for (const path of write.update_mask.field_paths ?? []) {
        const segments = parseFieldPath(path);
        const value = getField(given, segments);
        if (value === undefined) deleteField(fields, segments);
        else setField(fields, segments, structuredClone(value));
      }
    } else {
      fields = structuredClone(given);
    }
    const transformResults = (write.update_transforms ?? []).map((t) => applyTransform(fields, t, time));
    const unchanged = current && sameFields(current.fields, fields);
    const doc = unchanged
      ? current
      : { name, fields, createTime: current?.createTime ?? time, updateTime: time };
    staged.set(name, doc);
    return { update_time: toTimestamp(doc.updateTime), transform_results: transformResults };
  }

  /** Stores staged documents, then tells listeners. Returns the changes. */
  #store(staged, time) {
    const changes = [];
    for (const [name, after] of staged) {
      const before = this.get(name);
      if (before === after) continue;
      if (after) this.docs.set(name, after);
      else if (before) this.docs.delete(name);
      else continue; // deleting a missing document changes nothing
      changes.push({ name, before, after });
    }
    if (changes.length) {
      for (const listener of this.#commitListeners) {
        try {
          listener(changes, time);
        } catch (err) {
          console.error('[firestore stand-in] commit listener failed:', err);
        }
      }
    }
    return changes;
  }

  // ---- reads and collection listing ----

  /** Ids of collections directly under `parent` (a database root or document name) holding documents. */
  collectionIds(parent) {
    const ids = new Set();
    for (const name of this.docs.keys()) {
      if (name.startsWith(`${parent}/`)) ids.add(name.slice(parent.length + 1).split('/')[0]);
    }
    return [...ids].sort();
  }

  /** Documents of a collection, plus (with showMissing) names of missing documents with subcollections. */
  listDocuments(collectionPath, showMissing) {
    const found = new Map();
    for (const [name, doc] of this.docs) {
      if (!name.startsWith(`${collectionPath}/`)) continue;
      const id = name.slice(collectionPath.length + 1).split('/')[0];
      const docName = `${collectionPath}/${id}`;
      if (name === docName) found.set(docName, doc);
      else if (showMissing && !found.has(docName)) found.set(docName, this.get(docName) ?? { name: docName, missing: true });
    }
    return [...found.values()].sort((a, b) => compareNames(a.name, b.name));
  }

  // ---- transactions ----

  beginTransaction(options = {}) {
    const now = Date.now();
    for (const [id, tx] of this.#transactions) if (now - tx.started > TRANSACTION_TTL_MS) this.#endTransaction(id);
    const retried = options.read_write?.retry_transaction;
    if (retried?.length) this.#endTransaction(Buffer.from(retried).toString('hex'));
    const id = randomBytes(16);
    this.#transactions.set(id.toString('hex'), {
      id: id.toString('hex'),
      readOnly: Boolean(options.read_only),
      reads: new Map(),
      queries: [],
      locks: new Set(),
      started: now,
    });
    return id;
  }

  #transaction(id) {
    const tx = this.#transactions.get(Buffer.from(id).toString('hex'));
    if (!tx) throw new FirestoreError(Status.INVALID_ARGUMENT, 'The referenced transaction has expired or is no longer valid.');
    return tx;
  }

  /** Waits (bounded) until no other read-write transaction holds these documents, then holds them. */
  async lockForRead(id, names) {
    const tx = this.#transaction(id);
    if (tx.readOnly) return;
    for (const name of [...new Set(names)].sort()) {
      const lock = this.#locks.get(name);
      if (!lock) {
        this.#locks.set(name, { holder: tx.id, queue: [] });
        tx.locks.add(name);
      } else if (lock.holder !== tx.id) {
        await new Promise((resolve) => {
          const waiter = {
            tx,
            grant: () => {
              clearTimeout(waiter.timer);
              tx.locks.add(name);
              resolve();
            },
          };
          waiter.timer = setTimeout(() => {
            lock.queue.splice(lock.queue.indexOf(waiter), 1);
            resolve(); // go ahead unlocked; the commit check still catches conflicts
          }, LOCK_WAIT_MS);
          lock.queue.push(waiter);
        });
      }
    }
  }

  /** Records what a transaction read, so a commit after someone else changed it fails. */
  recordReads(id, docsByName) {
    const tx = this.#transaction(id);
    if (tx.readOnly) return;
    for (const [name, doc] of docsByName) if (!tx.reads.has(name)) tx.reads.set(name, doc?.updateTime ?? 0);
  }

  /** Records a query's result set; a commit fails if re-running it gives another (phantoms too). */
  recordQuery(id, rerun, docs) {
    const tx = this.#transaction(id);
    if (tx.readOnly) return;
    tx.queries.push({ rerun, signature: signature(docs) });
  }

  #validateTransaction(id) {
    const tx = this.#transaction(id);
    try {
      for (const [name, version] of tx.reads) {
        if ((this.get(name)?.updateTime ?? 0) !== version) {
          throw new FirestoreError(Status.ABORTED, `Transaction aborted: ${name} changed since it was read.`);
        }
      }
      for (const query of tx.queries) {
        if (signature(query.rerun()) !== query.signature) {
          throw new FirestoreError(Status.ABORTED, 'Transaction aborted: a query it ran has different results now.');
        }
      }
    } finally {
      this.#endTransaction(tx.id);
    }
  }

  rollback(id) {
    this.#endTransaction(Buffer.from(id).toString('hex'));
  }

  #endTransaction(hex) {
    const tx = this.#transactions.get(hex);
    if (!tx) return;
    this.#transactions.delete(hex);
    for (const name of tx.locks) {
      const lock = this.#locks.get(name);
      if (lock?.holder !== hex) continue;
      // Hand the lock to the next waiter whose transaction is still open, in arrival order.
      let next;
      while ((next = lock.queue.shift()) && !this.#transactions.has(next.tx.id)) clearTimeout(next.timer);
      if (next) {
        lock.holder = next.tx.id;
        next.grant();
      } else this.#locks.delete(name);
    }
  }
}

const signature = (docs) => docs.map((d) => `${d.name}@${d.updateTime}`).join('\n');

function checkPrecondition(name, current, precondition) {
  if (!precondition) return;
  if (precondition.exists === true && !current) {
    throw new FirestoreError(Status.NOT_FOUND, `No document to update: ${name}`);
  }
  if (precondition.exists === false && current) {
    throw new FirestoreError(Status.ALREADY_EXISTS, `Document already exists: ${name}`);
  }
  if (precondition.update_time) {
    const required = fromTimestamp(precondition.update_time);
    if (!current || current.updateTime !== required) {
      throw new FirestoreError(
        Status.FAILED_PRECONDITION,
        `The stored version (${current ? formatTimestamp(toTimestamp(current.updateTime)) : 'none'}) of ${name} does not match the required base version (${formatTimestamp(precondition.update_time)}).`,
      );
    }
  }
}

/** Applies one field transform in place and returns its result value. */
function applyTransform(fields, transform, time) {
  const segments = parseFieldPath(transform.field_path);
  const current = getField(fields, segments);
  let result;
  if (transform.set_to_server_value !== undefined) {
    if (transform.set_to_server_value !== REQUEST_TIME) throw new FirestoreError(Status.INVALID_ARGUMENT, 'Unknown server value');
    result = { timestamp_value: toTimestamp(time) };
  } else if (transform.increment) {
    const operand = transform.increment;
    if (!isNumber(current)) result = operand;
    else if (current.integer_value !== undefined && operand.integer_value !== undefined) {
      result = { integer_value: numberOf(current) + numberOf(operand) };
    } else result = { double_value: numberOf(current) + numberOf(operand) };
  } else if (transform.maximum || transform.minimum) {
    const operand = transform.maximum ?? transform.minimum;
    const c = isNumber(current) ? compareValues(operand, current) : 1;
    const operandWins = transform.maximum ? c > 0 : c < 0 || !isNumber(current);
    result = operandWins ? operand : current;
  } else if (transform.append_missing_elements) {
    const values = current?.array_value ? [...(current.array_value.values ?? [])] : [];
    for (const v of transform.append_missing_elements.values ?? []) if (!values.some((x) => valuesEqual(x, v))) values.push(v);
    result = { array_value: { values } };
  } else if (transform.remove_all_from_array) {
    const remove = transform.remove_all_from_array.values ?? [];
    const values = (current?.array_value?.values ?? []).filter((x) => !remove.some((v) => valuesEqual(x, v)));
    result = { array_value: { values } };
  } else {
    throw new FirestoreError(Status.INVALID_ARGUMENT, `Unknown field transform on ${transform.field_path}`);
  }
  setField(fields, segments, structuredClone(result));
  return result;
}
