// A real HTTP proxy in front of the Firestore emulator's REST API, for the failures a network or
// Firestore itself can cause: it forwards every request, except those `refuse` answers for, and
// can lose an answer (the request reaches the emulator, its answer never reaches the caller).
// Code that reads FIRESTORE_EMULATOR_HOST when it sends (lib/firestore-rest.ts) is pointed at it
// for the duration of `during`; the Firestore client, already connected, keeps the emulator.
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** `loseAnswer`: forward the request, then cut the connection instead of answering. */
export type Refusal = { loseAnswer: true } | Answer;

interface Answer {
  loseAnswer?: undefined;
  status: number;
  /** The REST API's error status (UNAVAILABLE, ABORTED...), or none for a body that is not Firestore's. */
  grpcStatus?: string;
  message?: string;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  body: string;
}

export async function throughFirestoreProxy<T>(refuse: (req: ProxiedRequest) => Refusal | undefined, during: (seen: ProxiedRequest[]) => Promise<T>): Promise<T> {
  const upstream = process.env.FIRESTORE_EMULATOR_HOST!;
  const [host, port] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.slice(upstream.lastIndexOf(':') + 1))];
  const seen: ProxiedRequest[] = [];
  const server = createServer(async (req, res) => {
    const body = Buffer.concat(await req.toArray());
    const proxied = { method: req.method ?? 'GET', path: req.url ?? '/', body: body.toString('utf8') };
    seen.push(proxied);
    const refusal = refuse(proxied);
    if (refusal && !refusal.loseAnswer) {
      res.writeHead(refusal.status, { 'content-type': 'application/json' });
      res.end(refusal.grpcStatus ? JSON.stringify({ error: { code: refusal.status, message: refusal.message ?? refusal.grpcStatus, status: refusal.grpcStatus } }) : (refusal.message ?? ''));
      return;
    }
    const forwarded = request({ host, port, method: req.method, path: req.url, headers: req.headers }, (answer: IncomingMessage) => {
      if (refusal?.loseAnswer) {
        answer.resume();
        answer.once('end', () => res.destroy());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => res.destroy());
    forwarded.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.FIRESTORE_EMULATOR_HOST = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    return await during(seen);
  } finally {
    process.env.FIRESTORE_EMULATOR_HOST = upstream;
    await new Promise((resolve) => server.close(resolve));
  }
}
