import { defineConfig } from 'vitest/config';

/**
 * test/vm runs inside the stock-kernel VMs (scripts/test-vm.mjs): one file at a time, slowly.
 * Besides the kernel-function tests, the raw tracepoint tests run there too, so the raw path
 * (sys_enter/sys_exit families, pt_regs from BTF) is proven on 6.1 and 6.12 as on the host.
 */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/vm/**/*.test.ts', 'test/kernel/raw-tracepoints.test.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
    reporters: ['default', './test/vm/progress-reporter.ts'],
  },
});
