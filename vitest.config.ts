import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/kernel/**/*.test.ts'],
    // Kernel tests attach real probes and count exact events: run files one at a time
    // so two tests never see each other's workloads.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
