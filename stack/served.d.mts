import type { Ports } from './emulators.mjs';
export interface ServedStack {
  ports: Ports;
  /** Everything the serve command printed so far. */
  output(): string;
  stop(): Promise<void>;
}
export function startServedStack(options: { ports: Ports; logFile: string; startMs?: number; seed?: boolean }): Promise<ServedStack>;
