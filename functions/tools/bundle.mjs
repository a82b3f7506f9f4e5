// Bundles the functions (src/index.ts and everything it imports) into lib/bundle/, what
// package.json's `main` names: `firebase deploy`, the Functions emulator and the served stack run
// it. The API's first answer then loads a few dozen files instead of ~210 modules (issue 21;
// functions/bench/README.md).
// index.ts's lazy import()s stay separate chunks, loaded on first use: the app, each trigger's
// handlers, the importer, sharp's thumbnails; and app.ts's: each domain of the API (its routes,
// schemas and services), loaded by the first request that needs it. Our code and zod are bundled (zod-to-openapi with it:
// one zod instance); every other package stays in node_modules. firebase-functions must: deploy
// discovery and the runtime load it from there, and so do firebase-admin and express, which they
// share with the app.
// Source maps: lib/bundle/*.js.map, which src/lib/stack-traces.ts reads when a stack trace first
// needs them, so that traces name src/ files and lines without a cost at cold start.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import path from 'node:path';

const BUNDLED = new Set(['zod', '@asteasolutions/zod-to-openapi']);

/** A bare import's package name: `zod/v4/core` → `zod`, `@scope/name/sub` → `@scope/name`. */
const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

// zod's `locales` export holds every language's messages, 64 modules and a third of zod's code,
// which a bundle would parse at every cold start (about 8 ms of CPU, measured). zod itself imports
// only English (`locales/en.js`), the default, and nothing here uses another, so the export keeps
// English alone.
const zodInEnglish = {
  name: 'zod-in-english',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, ({ importer }) => (packageOf(importer.split('/node_modules/').at(-1)) === 'zod' ? { path: path.join(path.dirname(importer), '../locales/index.js'), namespace: 'zod-locales' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: "export { default as en } from './en.js';", resolveDir: path.dirname(args.path) }));
  },
};

const onlyBundled = {
  name: 'only-bundled-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, ({ path }) => (BUNDLED.has(packageOf(path)) ? undefined : { path, external: true }));
  },
};

const outdir = new URL('../lib/bundle/', import.meta.url).pathname;
// Chunk names change with their contents: an earlier build's would stay beside the new ones and be deployed.
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  sourcemap: 'linked',
  sourcesContent: false,
  plugins: [onlyBundled, zodInEnglish],
  logLevel: 'warning',
});
