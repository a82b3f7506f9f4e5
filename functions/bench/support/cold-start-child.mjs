// One cold start: loads the `api` function's module (the product's: functions/package.json's `main`,
// as deploys run it; or the bare app), serves it on a free port as the Functions runtime does (an
// express host), and tells the parent how long the module took to load, then, when asked after the
// first answer, which of the heavy packages it has loaded. `node cold-start-child.mjs product|bare`.
import { createRequire, registerHooks } from 'node:module';
import express from 'express';

const loaded = new Set();
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    loaded.add(resolved.url);
    return resolved;
  },
});

// (zod and zod-to-openapi are in the product's bundle, not node_modules.)
const HEAVY = ['sharp', 'csv-parse', 'busboy', 'swagger-ui-dist', '@google-cloud/storage', 'firebase-admin/lib/auth'];

const started = performance.now();
const { api } = await import(process.argv[2] === 'product' ? createRequire(import.meta.url).resolve('../../') : './bare-api.mjs');
const loadMs = performance.now() - started;
const host = express();
host.use((req, res) => api(req, res));
const server = host.listen(0, '127.0.0.1', () => process.send({ port: server.address().port, loadMs }));
process.on('message', () => {
  const urls = [...loaded];
  process.send({ modules: urls.length, heavy: HEAVY.filter((m) => urls.some((u) => u.includes(`/node_modules/${m}/`))) });
});
