// Firestore conformance suite: the Firestore behaviour the product relies on, asserted with exact
// results against the official Firestore emulator the test setup starts (FIRESTORE_EMULATOR_HOST).
// Each Firestore instance uses its own project id, so this file never sees another test file's data.
import { randomBytes } from 'node:crypto';
import {
  AggregateField,
  FieldPath,
  FieldValue,
  Filter,
  Firestore,
  Timestamp,
  type CollectionReference,
  type DocumentSnapshot,
  type QuerySnapshot,
} from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

if (!process.env.FIRESTORE_EMULATOR_HOST) {
  throw new Error('The Firestore conformance suite only runs against an emulator (FIRESTORE_EMULATOR_HOST).');
}

const instances: Firestore[] = [];
function newDb(): Firestore {
  const db = new Firestore({ projectId: `demo-conformance-${randomBytes(4).toString('hex')}` });
  instances.push(db);
  return db;
}
afterAll(async () => {
  await Promise.all(instances.map((db) => db.terminate()));
});

const db = newDb();
const ids = (snap: QuerySnapshot) => snap.docs.map((d) => d.id);

/** The gRPC status code a promise rejects with (undefined if it resolves). */
async function codeOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

const GRPC = { NOT_FOUND: 5, ALREADY_EXISTS: 6, FAILED_PRECONDITION: 9 } as const;

describe('documents', () => {
  it('returns create, update and read times with microsecond-distinct update times', async () => {
    const ref = db.collection('times').doc('t');
    const first = await ref.set({ v: 1 });
    const snap1 = await ref.get();
    expect(snap1.createTime?.isEqual(first.writeTime)).toBe(true);
    expect(snap1.updateTime?.isEqual(first.writeTime)).toBe(true);
    expect(snap1.readTime.toMillis()).toBeGreaterThanOrEqual(first.writeTime.toMillis());

    // Back-to-back writes each get a distinct, increasing update time (Firestore has µs precision).
    const writeTimes: Timestamp[] = [];
    for (let v = 2; v <= 6; v++) writeTimes.push((await ref.set({ v })).writeTime);
    for (let i = 1; i < writeTimes.length; i++) {
      expect(writeTimes[i]!.valueOf() > writeTimes[i - 1]!.valueOf()).toBe(true);
    }
    const snap2 = await ref.get();
    expect(snap2.createTime?.isEqual(first.writeTime)).toBe(true);
    expect(snap2.updateTime?.isEqual(writeTimes.at(-1)!)).toBe(true);

    const query = await db.collection('times').get();
    expect(query.docs[0]!.updateTime.isEqual(writeTimes.at(-1)!)).toBe(true);
    expect(query.docs[0]!.createTime.isEqual(first.writeTime)).toBe(true);
    expect(query.readTime.valueOf() >= writeTimes.at(-1)!.valueOf()).toBe(true);
  });

  it('set replaces the document; merge and update change only the named fields', async () => {
    const ref = db.collection('writes').doc('w');
    await ref.set({ a: 1, b: 2, m: { x: 1, y: 2 } });
    await ref.set({ c: 3, m: { x: 1, y: 2 } });
    expect((await ref.get()).data()).toEqual({ c: 3, m: { x: 1, y: 2 } });

    await ref.set({ d: 4, m: { y: 3 } }, { merge: true });
    expect((await ref.get()).data()).toEqual({ c: 3, d: 4, m: { x: 1, y: 3 } });

    await ref.update({ 'm.x': 5, c: 'three' });
    expect((await ref.get()).data()).toEqual({ c: 'three', d: 4, m: { x: 5, y: 3 } });

    await ref.set({ m: { z: 1 } }, { mergeFields: ['m'] });
    expect((await ref.get()).data()).toEqual({ c: 'three', d: 4, m: { z: 1 } });
  });

  it('FieldValue.delete() removes top-level and nested fields', async () => {
    const ref = db.collection('deletes').doc('d');
    await ref.set({ a: 1, b: 2, m: { x: 1, y: 2 } });
    await ref.update({ b: FieldValue.delete(), 'm.x': FieldValue.delete() });
    expect((await ref.get()).data()).toEqual({ a: 1, m: { y: 2 } });

    await ref.set({ a: FieldValue.delete(), c: 3 }, { merge: true });
    expect((await ref.get()).data()).toEqual({ c: 3, m: { y: 2 } });
  });

  it('applies increment, arrayUnion, arrayRemove and serverTimestamp transforms together', async () => {
    const ref = db.collection('transforms').doc('t');
    await ref.set({ n: 1, d: 1.5, tags: ['a'], gone: ['q', 'r'] });
    const result = await ref.update({
      n: FieldValue.increment(2),
      d: FieldValue.increment(1),
      tags: FieldValue.arrayUnion('b', 'a'),
      fresh: FieldValue.arrayUnion('x'),
      gone: FieldValue.arrayRemove('q'),
      at: FieldValue.serverTimestamp(),
      'stats.count': FieldValue.increment(1),
    });
    const snap = await ref.get();
    // The server's clock at the write: the emulator stamps it a moment before the write's own time.
    expect(snap.get('at')).toBeInstanceOf(Timestamp);
    expect(Math.abs((snap.get('at') as Timestamp).toMillis() - result.writeTime.toMillis())).toBeLessThan(1000);
    const { at: _at, ...rest } = snap.data()!;
    expect(rest).toEqual({ n: 3, d: 2.5, tags: ['a', 'b'], fresh: ['x'], gone: ['r'], stats: { count: 1 } });

    await ref.update({ tags: FieldValue.arrayRemove('a'), n: FieldValue.increment(0.5), none: FieldValue.arrayRemove('z') });
    const after = (await ref.get()).data()!;
    expect([after.tags, after.n, after.none]).toEqual([['b'], 3.5, []]);

    const created = db.collection('transforms').doc('new');
    await created.set({ c: FieldValue.increment(5), l: FieldValue.arrayUnion(1, 1, 2) }, { merge: true });
    expect((await created.get()).data()).toEqual({ c: 5, l: [1, 2] });
  });

  it('enforces preconditions: create, update, lastUpdateTime, delete with exists', async () => {
    const col = db.collection('preconditions');
    const ref = col.doc('p');
    const created = await ref.create({ v: 1 });
    expect(await codeOf(ref.create({ v: 2 }))).toBe(GRPC.ALREADY_EXISTS);
    expect(await codeOf(col.doc('missing').update({ v: 1 }))).toBe(GRPC.NOT_FOUND);
    expect(await codeOf(col.doc('missing').delete({ exists: true }))).toBe(GRPC.NOT_FOUND);

    const second = await ref.update({ v: 2 });
    expect(await codeOf(ref.update({ v: 3 }, { lastUpdateTime: created.writeTime }))).toBe(GRPC.FAILED_PRECONDITION);
    expect(await codeOf(ref.delete({ lastUpdateTime: created.writeTime }))).toBe(GRPC.FAILED_PRECONDITION);
    expect((await ref.get()).get('v')).toBe(2);
    await ref.update({ v: 4 }, { lastUpdateTime: second.writeTime });
    expect((await ref.get()).get('v')).toBe(4);
  });

  it('commits a batch atomically: one failing write rejects all of them', async () => {
    const col = db.collection('batches');
    await col.doc('existing').set({ v: 1 });
    await col.doc('other').set({ v: 1 });
    const batch = db.batch();
    batch.set(col.doc('fresh'), { v: 1 });
    batch.update(col.doc('other'), { v: 2 });
    batch.create(col.doc('existing'), { v: 3 });
    expect(await codeOf(batch.commit())).toBe(GRPC.ALREADY_EXISTS);
    expect((await col.doc('fresh').get()).exists).toBe(false);
    expect((await col.doc('existing').get()).get('v')).toBe(1);
    expect((await col.doc('other').get()).get('v')).toBe(1);
  });

  it('getAll returns documents in request order, missing ones included, with field masks', async () => {
    const col = db.collection('getall');
    await col.doc('a').set({ x: 1, y: 2 });
    await col.doc('b').set({ x: 3, y: 4 });
    const snaps = await db.getAll(col.doc('b'), col.doc('missing'), col.doc('a'));
    expect(snaps.map((s) => [s.id, s.exists])).toEqual([
      ['b', true],
      ['missing', false],
      ['a', true],
    ]);
    const masked = await db.getAll(col.doc('a'), col.doc('b'), { fieldMask: ['y'] });
    expect(masked.map((s) => s.data())).toEqual([{ y: 2 }, { y: 4 }]);
  });
});

describe('queries', () => {
  // i0..i9: n = 0..9, group a when n % 3 == 0, prices mix integers and doubles, meta.rank = 9 - n,
  // opt present only on i1, i4, i7 (numbers) and i2 (null). Written in shuffled order.
  const items: CollectionReference = db.collection('items');
  const data = (n: number) => ({
    n,
    group: n % 3 === 0 ? 'a' : 'b',
    price: n % 2 === 0 ? n * 2 : n * 2 + 0.5,
    tags: [...(n % 2 === 0 ? ['even'] : []), ...(n % 3 === 0 ? ['three'] : [])],
    meta: { rank: 9 - n },
    ...([1, 4, 7].includes(n) ? { opt: n } : n === 2 ? { opt: null } : {}),
  });
  beforeAll(async () => {
    for (const n of [7, 2, 9, 0, 5, 3, 8, 1, 6, 4]) await items.doc(`i${n}`).set(data(n));
  });

  it('orders by document id by default', async () => {
    const col = db.collection('ordering');
    for (const id of ['b', '10', 'a', '2', 'B']) await col.doc(id).set({ v: 1 });
    expect(ids(await col.get())).toEqual(['10', '2', 'B', 'a', 'b']);
    expect(ids(await items.get())).toEqual(['i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7', 'i8', 'i9']);
  });

  it('combines equality with orderBy on another field, and orders on several fields', async () => {
    expect(ids(await items.where('group', '==', 'a').orderBy('n', 'desc').get())).toEqual(['i9', 'i6', 'i3', 'i0']);
    expect(ids(await items.orderBy('group').orderBy('n', 'desc').get())).toEqual(
      ['i9', 'i6', 'i3', 'i0', 'i8', 'i7', 'i5', 'i4', 'i2', 'i1'],
    );
    expect(ids(await items.orderBy('group', 'desc').orderBy('price').get())).toEqual(
      ['i1', 'i2', 'i4', 'i5', 'i7', 'i8', 'i0', 'i3', 'i6', 'i9'],
    );
    expect(ids(await items.orderBy('n').limitToLast(3).get())).toEqual(['i7', 'i8', 'i9']);
  });

  it('compares integers and doubles as numbers', async () => {
    expect(ids(await items.where('price', '>=', 10).get())).toEqual(['i5', 'i6', 'i7', 'i8', 'i9']);
    expect(ids(await items.where('price', '>', 4).where('price', '<', 12).get())).toEqual(['i3', 'i4', 'i5']);
    expect(ids(await items.where('price', '==', 12).get())).toEqual(['i6']);
    expect(ids(await items.where('price', 'in', [4.0, 6.5]).get())).toEqual(['i2', 'i3']);
  });

  it('supports in (30 values), not-in, !=, array-contains(-any), null, nested fields, or, document id', async () => {
    const many = [2, 7, ...Array.from({ length: 28 }, (_, i) => 100 + i)];
    expect(ids(await items.where('n', 'in', many).get())).toEqual(['i2', 'i7']);
    expect(ids(await items.where('n', 'not-in', [0, 1, 2, 3, 4, 5, 6, 7]).get())).toEqual(['i8', 'i9']);
    expect(ids(await items.where('tags', 'array-contains', 'three').get())).toEqual(['i0', 'i3', 'i6', 'i9']);
    expect(ids(await items.where('tags', 'array-contains-any', ['three', 'even']).get())).toEqual(
      ['i0', 'i2', 'i3', 'i4', 'i6', 'i8', 'i9'],
    );
    expect(ids(await items.where('opt', '==', null).get())).toEqual(['i2']);
    expect(ids(await items.where('opt', '!=', null).get())).toEqual(['i1', 'i4', 'i7']);
    expect(ids(await items.where('opt', '!=', 4).get())).toEqual(['i1', 'i7']);
    expect(ids(await items.orderBy('opt').get())).toEqual(['i2', 'i1', 'i4', 'i7']);
    expect(ids(await items.where('meta.rank', '<', 3).get())).toEqual(['i9', 'i8', 'i7']);
    expect(ids(await items.where(Filter.or(Filter.where('n', '==', 1), Filter.where('group', '==', 'a'))).get())).toEqual(
      ['i0', 'i1', 'i3', 'i6', 'i9'],
    );
    expect(ids(await items.where(FieldPath.documentId(), 'in', [items.doc('i5'), items.doc('i3')]).get())).toEqual(
      ['i3', 'i5'],
    );
  });

  it('applies offset after ordering and before limit', async () => {
    expect(ids(await items.orderBy('n').offset(3).limit(4).get())).toEqual(['i3', 'i4', 'i5', 'i6']);
    expect(ids(await items.orderBy('n').offset(8).get())).toEqual(['i8', 'i9']);
    expect(ids(await items.orderBy('n').offset(20).get())).toEqual([]);
    expect(ids(await items.where('group', '==', 'b').offset(2).get())).toEqual(['i4', 'i5', 'i7', 'i8']);
  });

  it('honours startAt/startAfter/endAt/endBefore cursors, by value and by snapshot', async () => {
    expect(ids(await items.orderBy('n').startAt(3).endAt(6).get())).toEqual(['i3', 'i4', 'i5', 'i6']);
    expect(ids(await items.orderBy('n').startAfter(3).endBefore(6).get())).toEqual(['i4', 'i5']);
    expect(ids(await items.orderBy('n', 'desc').startAfter(7).get())).toEqual(['i6', 'i5', 'i4', 'i3', 'i2', 'i1', 'i0']);
    expect(ids(await items.orderBy('group').orderBy('n').startAfter('a', 6).get())).toEqual(
      ['i9', 'i1', 'i2', 'i4', 'i5', 'i7', 'i8'],
    );
    expect(ids(await items.orderBy('n').startAfter(2).limit(2).get())).toEqual(['i3', 'i4']);

    const i4 = await items.doc('i4').get();
    const i7 = await items.doc('i7').get();
    expect(ids(await items.orderBy('price').startAfter(i4).get())).toEqual(['i5', 'i6', 'i7', 'i8', 'i9']);
    // A snapshot cursor pins the position on ties through the implicit document-id order.
    expect(ids(await items.orderBy('group').startAt(i4).endBefore(i7).get())).toEqual(['i4', 'i5']);
    expect(ids(await items.startAfter(i7).get())).toEqual(['i8', 'i9']);

    // Paging with startAfter(last snapshot) walks the whole ordered result exactly once.
    const paged: string[] = [];
    let page = await items.orderBy('price', 'desc').limit(3).get();
    while (!page.empty) {
      paged.push(...ids(page));
      page = await items.orderBy('price', 'desc').startAfter(page.docs.at(-1)!).limit(3).get();
    }
    expect(paged).toEqual(['i9', 'i8', 'i7', 'i6', 'i5', 'i4', 'i3', 'i2', 'i1', 'i0']);
  });

  it('projects fields with select()', async () => {
    const snap = await items.where('group', '==', 'a').select('n', 'meta.rank').get();
    expect(ids(snap)).toEqual(['i0', 'i3', 'i6', 'i9']);
    expect(snap.docs.map((d) => d.data())).toEqual([
      { n: 0, meta: { rank: 9 } },
      { n: 3, meta: { rank: 6 } },
      { n: 6, meta: { rank: 3 } },
      { n: 9, meta: { rank: 0 } },
    ]);
    const keysOnly = await items.orderBy('n').limit(2).select().get();
    expect(keysOnly.docs.map((d) => [d.id, d.data()])).toEqual([
      ['i0', {}],
      ['i1', {}],
    ]);
  });

  it('computes count, sum and average aggregations honouring filters, order, offset and limit', async () => {
    expect((await items.count().get()).data().count).toBe(10);
    expect((await items.where('group', '==', 'b').count().get()).data().count).toBe(6);
    expect((await items.where('group', '==', 'b').limit(4).count().get()).data().count).toBe(4);
    expect((await items.orderBy('opt').count().get()).data().count).toBe(4);
    expect((await items.orderBy('n').offset(7).count().get()).data().count).toBe(3);
    const agg = await items
      .where('group', '==', 'a')
      .aggregate({ total: AggregateField.sum('price'), mean: AggregateField.average('n'), c: AggregateField.count(), s: AggregateField.sum('n') })
      .get();
    expect(agg.data()).toEqual({ total: 37, mean: 4.5, c: 4, s: 18 });
    expect((await items.where('n', '>', 100).aggregate({ s: AggregateField.sum('n'), a: AggregateField.average('n') }).get()).data())
      .toEqual({ s: 0, a: null });
  });

  it('runs collection-group queries across all parents', async () => {
    await db.doc('cg/u1').set({ user: true });
    await db.doc('cg/u1/posts/p1').set({ n: 1, status: 'open' });
    await db.doc('cg/u2/posts/p2').set({ n: 2, status: 'closed' });
    await db.doc('posts/p3').set({ n: 3, status: 'open' });
    await db.doc('cg/u1/posts/p1/posts/p4').set({ n: 4, status: 'open' });
    await db.doc('cg/u1/notposts/p5').set({ n: 5, status: 'open' });
    const group = db.collectionGroup('posts');
    expect((await group.get()).docs.map((d) => d.ref.path)).toEqual([
      'cg/u1/posts/p1',
      'cg/u1/posts/p1/posts/p4',
      'cg/u2/posts/p2',
      'posts/p3',
    ]);
    expect(ids(await group.where('status', '==', 'open').orderBy('n', 'desc').get())).toEqual(['p4', 'p3', 'p1']);
    expect(ids(await group.orderBy('n').offset(1).limit(2).get())).toEqual(['p2', 'p3']);
    expect((await group.where('status', '==', 'open').count().get()).data().count).toBe(3);
  });
});

describe('bulk and collection listing', () => {
  it('BulkWriter writes 1,200 documents and reports per-write failures', async () => {
    const col = db.collection('bulk');
    const writer = db.bulkWriter({ throttling: false });
    const results: Promise<string>[] = [];
    for (let i = 0; i < 1200; i++) {
      const ref = col.doc(`d${String(i).padStart(4, '0')}`);
      results.push(writer.create(ref, { i }).then(() => 'ok', (e: { code?: number }) => `failed ${e.code}`));
    }
    await writer.close();
    expect(new Set(await Promise.all(results))).toEqual(new Set(['ok']));

    expect((await col.count().get()).data().count).toBe(1200);
    expect((await col.aggregate({ s: AggregateField.sum('i') }).get()).data().s).toBe((1199 * 1200) / 2);
    expect(ids(await col.orderBy('i').offset(1195).get())).toEqual(['d1195', 'd1196', 'd1197', 'd1198', 'd1199']);
    const [d0, d1199] = await db.getAll(col.doc('d0000'), col.doc('d1199'));
    expect([d0!.get('i'), d1199!.get('i')]).toEqual([0, 1199]);

    // BulkWriter uses BatchWrite: each write succeeds or fails on its own.
    const second = db.bulkWriter({ throttling: false });
    const settled = Promise.allSettled([
      second.create(col.doc('d0000'), { i: -1 }),
      second.update(col.doc('nope'), { i: -1 }),
      second.set(col.doc('extra'), { i: 1200 }),
      second.delete(col.doc('d0001')),
    ]);
    await second.close(); // sends the buffered writes
    const outcomes = await settled;
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as { code: number }).code))).toEqual(
      [GRPC.ALREADY_EXISTS, GRPC.NOT_FOUND, 'ok', 'ok'],
    );
    expect((await col.count().get()).data().count).toBe(1200);
  });

  it('lists collection ids and documents, including documents that only have subcollections', async () => {
    const fresh = newDb();
    await fresh.doc('alpha/a1').set({ v: 1 });
    await fresh.doc('alpha/a1/pets/p1').set({ v: 1 });
    await fresh.doc('alpha/a1/kids/k1').set({ v: 1 });
    await fresh.doc('beta/b1/sub/s1').set({ v: 1 });
    expect((await fresh.listCollections()).map((c) => c.id)).toEqual(['alpha', 'beta']);
    expect((await fresh.doc('alpha/a1').listCollections()).map((c) => c.id)).toEqual(['kids', 'pets']);
    expect((await fresh.doc('beta/b1').listCollections()).map((c) => c.id)).toEqual(['sub']);
    expect((await fresh.doc('alpha/none').listCollections()).map((c) => c.id)).toEqual([]);
    expect((await fresh.collection('beta').listDocuments()).map((d) => d.id)).toEqual(['b1']);

    await fresh.recursiveDelete(fresh.doc('alpha/a1'));
    expect((await fresh.doc('alpha/a1').get()).exists).toBe(false);
    expect((await fresh.listCollections()).map((c) => c.id)).toEqual(['beta']);
  });
});

describe('transactions', () => {
  it('serialises 20 concurrent read-modify-write transactions without losing an update', async () => {
    const ref = db.collection('txn').doc('counter');
    await ref.set({ n: 0 });
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.runTransaction(async (t) => {
          const snap = await t.get(ref);
          t.update(ref, { n: (snap.get('n') as number) + 1 });
        }),
      ),
    );
    expect((await ref.get()).get('n')).toBe(20);
  });

  it('loses no write made outside a transaction between its read and its commit', async () => {
    const ref = db.collection('txn').doc('conflict');
    await ref.set({ n: 0 });
    const seen: number[] = [];
    let outside: Promise<unknown> = Promise.resolve();
    await db.runTransaction(async (t) => {
      const n = (await t.get(ref)).get('n') as number;
      seen.push(n);
      if (seen.length === 1) {
        // Production lets the outside write commit and retries the transaction (it reads 10); the
        // emulator locks what the transaction read, so the write waits and lands after it.
        outside = ref.update({ n: FieldValue.increment(10) });
        await Promise.race([outside, new Promise((r) => setTimeout(r, 300))]);
      }
      t.update(ref, { n: n + 1 });
    });
    await outside;
    expect((await ref.get()).get('n')).toBe(11);
    expect([[0], [0, 10]]).toContainEqual(seen);
  });

  it('lets exactly one of two concurrent create-if-absent transactions create', async () => {
    const ref = db.collection('txn').doc('claim');
    const claim = (owner: string) =>
      db.runTransaction(async (t) => {
        if ((await t.get(ref)).exists) return false;
        t.create(ref, { owner });
        return true;
      });
    const outcomes = await Promise.all([claim('x'), claim('y')]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect((await ref.get()).get('owner')).toBe(outcomes[0] ? 'x' : 'y');
  });

  it('reads queries and aggregations inside a transaction and discards writes of a failed one', async () => {
    const col = db.collection('txnq');
    await col.doc('a').set({ open: true, n: 1 });
    await col.doc('b').set({ open: true, n: 2 });
    await col.doc('c').set({ open: false, n: 3 });
    const total = await db.runTransaction(async (t) => {
      const open = await t.get(col.where('open', '==', true));
      const count = await t.get(col.count());
      for (const doc of open.docs) t.update(doc.ref, { open: false });
      return [ids(open), count.data().count];
    });
    expect(total).toEqual([['a', 'b'], 3]);
    expect(ids(await col.where('open', '==', true).get())).toEqual([]);

    const failed = db.runTransaction(async (t) => {
      await t.get(col.doc('a'));
      t.set(col.doc('a'), { open: 'never' });
      throw new Error('callback failed');
    });
    await expect(failed).rejects.toThrow('callback failed');
    expect((await col.doc('a').get()).get('open')).toBe(false);
  });
});

describe('listeners', () => {
  /** Collects snapshots; next() resolves with the next one (or fails after a short wait). */
  function collect<T>(subscribe: (onNext: (s: T) => void, onError: (e: Error) => void) => () => void) {
    const queue: T[] = [];
    let waiter: { resolve: (s: T) => void; reject: (e: Error) => void } | undefined;
    let failure: Error | undefined;
    const unsubscribe = subscribe(
      (s) => {
        if (waiter) {
          waiter.resolve(s);
          waiter = undefined;
        } else queue.push(s);
      },
      (e) => {
        failure = e;
        waiter?.reject(e);
      },
    );
    const next = () =>
      new Promise<T>((resolve, reject) => {
        if (failure) return reject(failure);
        if (queue.length) return resolve(queue.shift()!);
        const timer = setTimeout(() => reject(new Error('no snapshot within 5 s')), 5000);
        waiter = {
          resolve: (s) => (clearTimeout(timer), resolve(s)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        };
      });
    return { next, unsubscribe, pending: () => queue.length };
  }
  const changes = (s: QuerySnapshot) => s.docChanges().map((c) => `${c.type}:${c.doc.id}`);

  it('delivers added, modified and removed changes of a filtered query in order', async () => {
    const col = db.collection('live');
    await col.doc('early').set({ status: 'open', v: 0 });
    const live = collect<QuerySnapshot>((next, error) => col.where('status', '==', 'open').onSnapshot(next, error));
    try {
      expect(changes(await live.next())).toEqual(['added:early']);
      await col.doc('a').set({ status: 'open', v: 1 });
      expect(changes(await live.next())).toEqual(['added:a']);
      await col.doc('b').set({ status: 'closed', v: 1 }); // outside the filter: no snapshot
      await col.doc('a').update({ v: 2 });
      const modified = await live.next();
      expect(changes(modified)).toEqual(['modified:a']);
      expect(modified.docs.map((d) => [d.id, d.get('v')])).toEqual([['a', 2], ['early', 0]]);
      await col.doc('a').update({ status: 'closed' });
      expect(changes(await live.next())).toEqual(['removed:a']);
      await col.doc('early').delete();
      const last = await live.next();
      expect(changes(last)).toEqual(['removed:early']);
      expect(last.size).toBe(0);
      expect(live.pending()).toBe(0);
    } finally {
      live.unsubscribe();
    }
  });

  it('keeps an ordered, limited query current as documents enter and leave it', async () => {
    const col = db.collection('leaders');
    await col.doc('a').set({ score: 10 });
    await col.doc('b').set({ score: 20 });
    await col.doc('c').set({ score: 5 });
    const live = collect<QuerySnapshot>((next, error) => col.orderBy('score', 'desc').limit(2).onSnapshot(next, error));
    try {
      expect(ids(await live.next())).toEqual(['b', 'a']);
      await col.doc('c').update({ score: 15 });
      const entered = await live.next();
      expect(ids(entered)).toEqual(['b', 'c']);
      expect(changes(entered).sort()).toEqual(['added:c', 'removed:a']);
    } finally {
      live.unsubscribe();
    }
  });

  it('follows a single document through create, update and delete', async () => {
    const ref = db.collection('livedoc').doc('d');
    const live = collect<DocumentSnapshot>((next, error) => ref.onSnapshot(next, error));
    try {
      expect((await live.next()).exists).toBe(false);
      await ref.set({ v: 1 });
      expect((await live.next()).data()).toEqual({ v: 1 });
      await ref.update({ v: 2 });
      expect((await live.next()).data()).toEqual({ v: 2 });
      await ref.delete();
      expect((await live.next()).exists).toBe(false);
    } finally {
      live.unsubscribe();
    }
  });
});
