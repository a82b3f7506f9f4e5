// One HTTP attempt of a delivery: a POST to the checked address (the host name still names the
// site for TLS and the Host header), no redirects followed, a hard time limit, and only the start
// of the answer kept.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Target } from './targets.js';

/** The first bytes of an answer a delivery records. */
export const ANSWER_BYTES = 1024;

export interface AttemptResult {
  /** The receiver's status code; null when no answer came (refused, reset, timed out). */
  statusCode: number | null;
  durationMs: number;
  /** The first ANSWER_BYTES of the answer's body, as text. */
  answer: string;
  error: string | null;
}

/** A lookup that always answers with the address already checked. */
function pinned(target: Target): LookupFunction {
  return (_host, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

export function postJson(target: Target, headers: Record<string, string>, body: string, timeoutMs: number): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const client = target.url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<AttemptResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: elapsed() });
    };
    const req = client.request(
      target.url,
      { method: 'POST', headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }, lookup: pinned(target), agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const done = () => {
          finish({ statusCode: res.statusCode ?? null, answer: Buffer.concat(chunks).subarray(0, ANSWER_BYTES).toString('utf8'), error: null });
          res.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          kept += chunk.length;
          if (kept >= ANSWER_BYTES) done();
        });
        res.on('end', done);
        res.on('error', done);
      },
    );
    const timer = setTimeout(() => {
      finish({ statusCode: null, answer: '', error: `no answer within ${timeoutMs / 1000} s` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ statusCode: null, answer: '', error: `${err.code ?? 'request failed'}: ${err.message}`.slice(0, 300) }));
    req.end(body);
  });
}
