// The offline client's stores keep the queue across a restart: a new store over the same IndexedDB
// database (fake-indexeddb stands in for a browser's) or the same file reads back what the last
// one wrote, and a later write never lands before an earlier one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IDBFactory } from 'fake-indexeddb';
import { afterAll, describe, expect, it } from 'vitest';
import { IndexedDbStorage, type OfflineStorage } from '../src/index.js';
import { FileStorage } from '../src/node.js';

const dir = mkdtempSync(path.join(tmpdir(), 'montu-storage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const indexedDb = new IDBFactory();
const stores: [string, () => OfflineStorage][] = [
  ['IndexedDbStorage', () => new IndexedDbStorage('montu-test', indexedDb)],
  ['FileStorage', () => new FileStorage(path.join(dir, 'nested', 'offline.json'))],
];

describe.each(stores)('%s', (_name, open) => {
  it('reads back, after a restart, what was written last', async () => {
    const first = open();
    expect(await first.get('queue')).toBeUndefined();
    const writes = [1, 2, 3].map((n) => first.set('queue', [{ id: `op${n}`, updates: { status: 'in_progress' } }]));
    await first.set('cache', { tasks: {} });
    await Promise.all(writes);

    const restarted = open();
    expect(await restarted.get('queue')).toEqual([{ id: 'op3', updates: { status: 'in_progress' } }]);
    expect(await restarted.get('cache')).toEqual({ tasks: {} });
  });

  it('hands out copies: changing what get returned changes nothing stored', async () => {
    const store = open();
    await store.set('value', { n: 1 });
    const read = await store.get<{ n: number }>('value');
    read!.n = 2;
    expect(await store.get('value')).toEqual({ n: 1 });
  });
});
