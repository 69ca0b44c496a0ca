import { defineConfig } from 'vitest/config';

/**
 * test/vm-arm64 runs inside the emulated arm64 VM (`POLYTRACE_VM_KERNELS=arm64 npm run test:vm`,
 * scripts/vm/run.mjs --arch arm64): one boot, one file at a time, slowly (TCG).
 */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/vm-arm64/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
