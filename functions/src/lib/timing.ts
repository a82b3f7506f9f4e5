// Opt-in per-step timing (config.serverTiming): a request run under `timedRequest` records how long
// its named steps took, and the router returns them as a Server-Timing header, which the benchmarks
// read. Outside a timed request `step` only runs the work, so the steps cost nothing in production.
import { AsyncLocalStorage } from 'node:async_hooks';

type Steps = Map<string, number>;
const current = new AsyncLocalStorage<Steps>();

/** Runs `work`, adding its duration to the step `name` of the timed request it belongs to, if any. */
export async function step<T>(name: string, work: () => Promise<T> | T): Promise<T> {
  const steps = current.getStore();
  if (!steps) return work();
  const started = performance.now();
  try {
    return await work();
  } finally {
    steps.set(name, (steps.get(name) ?? 0) + performance.now() - started);
  }
}

/** Runs `work` as a timed request; `steps` is filled in as it goes. */
export function timedRequest<T>(steps: Steps, work: () => Promise<T>): Promise<T> {
  return current.run(steps, work);
}

/** `auth;dur=1.20, page;dur=8.31`: the Server-Timing header value. */
export function serverTimingHeader(steps: Steps): string {
  return [...steps].map(([name, ms]) => `${name};dur=${ms.toFixed(2)}`).join(', ');
}
