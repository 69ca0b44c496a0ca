import { defineConfig } from 'vitest/config';

// The soak test only (scripts/soak.mjs); the default config does not include test/soak.
export default defineConfig({
  test: {
    include: ['test/soak/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 0,
  },
});
