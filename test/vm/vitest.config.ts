import { defineConfig } from 'vitest/config';

/** test/vm runs inside the stock-kernel VM (scripts/test-vm.mjs): one file at a time, slowly. */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/vm/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
  },
});
