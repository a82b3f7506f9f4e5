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
    // One file at a time: on two cores, files in parallel make the Functions emulator start a cold
    // worker for each concurrent call, and every file waits on all of them.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Stopping the served stack (the emulators' own shutdown) takes longer than vitest's 10 s default.
    teardownTimeout: 45_000,
  },
});
