// Offline storage for Node and Electron's main process: one JSON file, replaced atomically (write
// a temporary file, then rename), so a crash mid-write leaves the previous queue intact. And the
// check a webhook receiver makes of each delivery's signature.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { OfflineStorage } from './storage.js';

export { verifyWebhookSignature, type VerifyOptions } from './webhooks.js';

export class FileStorage implements OfflineStorage {
  private values: Promise<Record<string, unknown>> | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  private load(): Promise<Record<string, unknown>> {
    this.values ??= readFile(this.file, 'utf8').then(
      (text) => JSON.parse(text) as Record<string, unknown>,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return {};
        throw err;
      },
    );
    return this.values;
  }

  async get<T>(key: string): Promise<T | undefined> {
    return structuredClone((await this.load())[key]) as T | undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    const values = await this.load();
    values[key] = structuredClone(value);
    const text = JSON.stringify(values);
    // Writes one after another: a later snapshot never lands before an earlier one.
    this.writing = this.writing.catch(() => {}).then(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      const temporary = `${this.file}.${process.pid}.tmp`;
      await writeFile(temporary, text);
      await rename(temporary, this.file);
    });
    return this.writing;
  }
}
