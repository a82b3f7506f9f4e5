// Evaluates a v1 StructuredQuery (as a plain object) over the store, in Firestore's order of
// operations: scope (collection or collection group) → filters → order (with the implicit orders
// Firestore adds) → cursors → offset → limit. Projection (select) is applied when documents are
// sent. Aggregations run over the same result.
import {
  FirestoreError,
  Status,
  compareNames,
  compareValues,
  getField,
  isNaNValue,
  isNull,
  isNumber,
  numberOf,
  parseFieldPath,
  typeOrder,
  valuesEqual,
} from './values.mjs';

const OP = { LT: 1, LTE: 2, GT: 3, GTE: 4, EQ: 5, NEQ: 6, ARRAY_CONTAINS: 7, IN: 8, ARRAY_CONTAINS_ANY: 9, NOT_IN: 10 };
const UNARY = { IS_NAN: 2, IS_NULL: 3, IS_NOT_NAN: 4, IS_NOT_NULL: 5 };
const COMPOSITE_OR = 2;
const DESCENDING = 2;

/** The value a document has at a field path; `__name__` is the document's reference. */
export function fieldOf(doc, path) {
  if (path === '__name__') return { reference_value: doc.name };
  return getField(doc.fields, parseFieldPath(path));
}

/** Whether a document name falls in the query's scope (its `from` and parent). */
export function inScope(parent, from, name) {
  if (!name.startsWith(`${parent}/`)) return false;
  const segments = name.slice(parent.length + 1).split('/');
  const collectionId = segments.at(-2);
  if (!from.all_descendants) return segments.length === 2 && collectionId === from.collection_id;
  return !from.collection_id || collectionId === from.collection_id;
}

function matches(doc, filter) {
  if (filter.composite_filter) {
    const { op, filters = [] } = filter.composite_filter;
    return op === COMPOSITE_OR ? filters.some((f) => matches(doc, f)) : filters.every((f) => matches(doc, f));
  }
  if (filter.unary_filter) {
    const value = fieldOf(doc, filter.unary_filter.field.field_path);
    switch (filter.unary_filter.op) {
      case UNARY.IS_NAN:
        return isNaNValue(value);
      case UNARY.IS_NULL:
        return isNull(value);
      case UNARY.IS_NOT_NAN:
        return value !== undefined && !isNull(value) && !isNaNValue(value);
      case UNARY.IS_NOT_NULL:
        return value !== undefined && !isNull(value);
      default:
        throw new FirestoreError(Status.INVALID_ARGUMENT, `Unknown unary filter ${filter.unary_filter.op}`);
    }
  }
  if (filter.field_filter) {
    const { field, op, value: operand } = filter.field_filter;
    const value = fieldOf(doc, field.field_path);
    if (value === undefined) return false; // filters never match documents without the field
    const list = operand.array_value?.values ?? [];
    switch (op) {
      case OP.LT:
      case OP.LTE:
      case OP.GT:
      case OP.GTE:
      case OP.EQ: {
        if (typeOrder(value) !== typeOrder(operand)) return false; // e.g. numbers only match numbers
        const c = compareValues(value, operand);
        return { [OP.LT]: c < 0, [OP.LTE]: c <= 0, [OP.GT]: c > 0, [OP.GTE]: c >= 0, [OP.EQ]: c === 0 }[op];
      }
      case OP.NEQ:
        return !isNull(value) && !valuesEqual(value, operand);
      case OP.IN:
        return list.some((v) => valuesEqual(value, v));
      case OP.NOT_IN:
        return !isNull(value) && !list.some((v) => valuesEqual(value, v));
      case OP.ARRAY_CONTAINS:
        return (value.array_value?.values ?? []).some((v) => valuesEqual(v, operand));
      case OP.ARRAY_CONTAINS_ANY:
        return (value.array_value?.values ?? []).some((v) => list.some((w) => valuesEqual(v, w)));
      default:
        throw new FirestoreError(Status.INVALID_ARGUMENT, `Unknown field filter ${op}`);
    }
  }
  return true;
}

function inequalityFields(filter, out = new Set()) {
  if (!filter) return out;
  if (filter.composite_filter) for (const f of filter.composite_filter.filters ?? []) inequalityFields(f, out);
  const ff = filter.field_filter;
  if (ff && [OP.LT, OP.LTE, OP.GT, OP.GTE, OP.NEQ, OP.NOT_IN].includes(ff.op)) out.add(ff.field.field_path);
  const uf = filter.unary_filter;
  if (uf && [UNARY.IS_NOT_NAN, UNARY.IS_NOT_NULL].includes(uf.op)) out.add(uf.field.field_path);
  return out;
}

/** Explicit orders, then inequality fields not yet ordered, then the document name. */
export function normalizedOrder(query) {
  const orders = (query.order_by ?? []).map((o) => ({ path: o.field.field_path, desc: o.direction === DESCENDING }));
  const seen = new Set(orders.map((o) => o.path));
  const desc = orders.at(-1)?.desc ?? false;
  const implicit = [...inequalityFields(query.where)].filter((p) => !seen.has(p) && p !== '__name__');
  implicit.sort((a, b) => compareNames(parseFieldPath(a).join('/'), parseFieldPath(b).join('/')));
  for (const path of implicit) orders.push({ path, desc });
  if (!seen.has('__name__')) orders.push({ path: '__name__', desc });
  return orders;
}

function compareByOrder(orders, a, b) {
  for (const { path, desc } of orders) {
    const c = compareValues(fieldOf(a, path), fieldOf(b, path));
    if (c) return desc ? -c : c;
  }
  return 0;
}

/** Sign of (cursor position − document position) in query order, over the cursor's values. */
function compareCursor(cursor, orders, doc) {
  const values = cursor.values ?? [];
  for (let i = 0; i < values.length && i < orders.length; i++) {
    const c = compareValues(values[i], fieldOf(doc, orders[i].path));
    if (c) return orders[i].desc ? -c : c;
  }
  return 0;
}

/** Runs a structured query over `docs` (an iterable of stored documents). */
export function runQuery(docs, parent, query) {
  const from = query.from ?? [];
  if (from.length !== 1) throw new FirestoreError(Status.INVALID_ARGUMENT, 'A query must have exactly one "from".');
  if (query.find_nearest) throw new FirestoreError(Status.UNIMPLEMENTED, 'Vector search is not implemented by the Firestore stand-in.');
  const orders = normalizedOrder(query);
  let results = [];
  for (const doc of docs) {
    if (!inScope(parent, from[0], doc.name)) continue;
    if (query.where && !matches(doc, query.where)) continue;
    // Documents lacking an ordered field are not in that field's index, so they are left out.
    if (orders.some((o) => fieldOf(doc, o.path) === undefined)) continue;
    results.push(doc);
  }
  results.sort((a, b) => compareByOrder(orders, a, b));
  if (query.start_at) {
    const { before } = query.start_at; // before: startAt (inclusive); otherwise startAfter
    results = results.filter((d) => (before ? compareCursor(query.start_at, orders, d) <= 0 : compareCursor(query.start_at, orders, d) < 0));
  }
  if (query.end_at) {
    const { before } = query.end_at; // before: endBefore (exclusive); otherwise endAt
    results = results.filter((d) => (before ? compareCursor(query.end_at, orders, d) > 0 : compareCursor(query.end_at, orders, d) >= 0));
  }
  if (query.offset) results = results.slice(query.offset);
  if (query.limit) results = results.slice(0, query.limit.value ?? 0);
  return results;
}

/** count / sum / avg over query results, keyed by alias, as v1 values. */
export function aggregate(docs, aggregations) {
  const out = {};
  for (const agg of aggregations) {
    if (agg.count) {
      const upTo = agg.count.up_to?.value;
      out[agg.alias] = { integer_value: upTo ? Math.min(docs.length, upTo) : docs.length };
      continue;
    }
    const spec = agg.sum ?? agg.avg;
    if (!spec) throw new FirestoreError(Status.INVALID_ARGUMENT, 'Unknown aggregation');
    const values = docs.map((d) => fieldOf(d, spec.field.field_path)).filter(isNumber);
    const total = values.reduce((acc, v) => acc + numberOf(v), 0);
    if (agg.sum) {
      const integral = values.every((v) => v.integer_value !== undefined) && Number.isSafeInteger(total);
      out[agg.alias] = integral ? { integer_value: total } : { double_value: total };
    } else {
      out[agg.alias] = values.length ? { double_value: total / values.length } : { null_value: 0 };
    }
  }
  return out;
}
