import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The client package's listeners (../client) import `firebase` too: one copy, this one, or the
  // web SDK refuses a Firestore made by the other.
  resolve: { dedupe: ['firebase'] },
  test: {
    globalSetup: ['./test/support/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
