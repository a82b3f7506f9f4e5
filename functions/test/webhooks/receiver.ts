// A webhook receiver as a studio runs one: a real Node HTTP server on 127.0.0.1 that keeps every
// request it gets, answering with the statuses it is told (200 once those run out).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as the signature covers it. */
  body: string;
  json: { id: string; type: string; project_id: string; occurred_at: string | null; actor: string | null; data: Record<string, unknown> };
  /** Date.now() on arrival. */
  at: number;
}

export interface Receiver {
  /** The base URL; each webhook of a test gets its own path below it. */
  url: string;
  received: Received[];
  /** Answers the next requests to `path` with these statuses, in order. */
  answer(path: string, ...statuses: number[]): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const scripted = new Map<string, number[]>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body, json: JSON.parse(body), at: Date.now() });
      const status = scripted.get(path)?.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`answered ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer: (path, ...statuses) => scripted.set(path, statuses),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
