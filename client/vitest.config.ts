import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url));

export default defineConfig({
  // The package's own names, as an app imports them, run from the sources.
  resolve: {
    alias: [
      { find: /^@montu\/client$/, replacement: src('index.ts') },
      { find: /^@montu\/client\/(realtime|node)$/, replacement: src('$1.ts') },
    ],
  },
  test: {
    globalSetup: ['./test/support/served-stack.ts'],
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
