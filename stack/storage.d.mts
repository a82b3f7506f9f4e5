export function startStorageEmulator(options: {
  host?: string;
  port: number;
  projectId: string;
  functions?: { host: string; port: number };
}): Promise<{ host: string; blobs: string; emulator: unknown; stop(): Promise<void> }>;
