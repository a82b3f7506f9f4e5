// Where the offline client keeps its queue and cache. Injectable: memory for tests, IndexedDB in
// a browser or an Electron renderer, a file in Node or Electron's main process (./node).

export interface OfflineStorage {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
}

export class MemoryStorage implements OfflineStorage {
  private readonly values = new Map<string, string>();

  async get<T>(key: string): Promise<T | undefined> {
    const text = this.values.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  async set(key: string, value: unknown): Promise<void> {
    // Stored as JSON, as the persistent stores do: nothing kept by reference leaks through.
    this.values.set(key, JSON.stringify(value));
  }
}

/** One IndexedDB object store holding the client's values by key. */
export class IndexedDbStorage implements OfflineStorage {
  private db: Promise<IDBDatabase> | null = null;

  constructor(
    private readonly name = 'montu-offline',
    private readonly factory: IDBFactory = globalThis.indexedDB,
  ) {}

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      const request = this.factory.open(this.name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore('kv');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return this.db;
  }

  private async run<T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest): Promise<T> {
    const db = await this.open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction('kv', mode);
      const request = action(tx.objectStore('kv'));
      // Resolved on commit, not on the request's success: only then is a write durable.
      tx.oncomplete = () => resolve(request.result as T);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.run<T | undefined>('readonly', (store) => store.get(key));
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.run('readwrite', (store) => store.put(value, key));
  }
}
