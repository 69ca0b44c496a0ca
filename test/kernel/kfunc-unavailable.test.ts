/**
 * On a kernel with no way to probe kernel functions (this development host: no kprobes,
 * fentry refused), funccount says so in one line, names tracepoints instead, and exits 1.
 * Kernels that do have kprobes or fentry are covered by test/vm instead.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { skipKernel, requireKernel, runTool, root } from '../helpers/kernel.js';

async function hostCanProbeKernelFunctions(): Promise<boolean> {
  const { haveKprobePmu, haveTracefsKprobeEvents } = (await import(
    join(root, 'dist', 'features', 'probes.js')
  )) as typeof import('../../src/features/probes.js');
  const { haveFentry } = (await import(join(root, 'dist', 'features', 'fentry.js'))) as typeof import('../../src/features/fentry.js');
  return haveKprobePmu.available() || haveTracefsKprobeEvents.available() || haveFentry.available();
}

describe.skipIf(skipKernel)('kernel functions on a kernel without kprobes or fentry', () => {
  let applies = false;
  beforeAll(async () => {
    requireKernel();
    applies = existsSync(join(root, 'dist', 'features', 'probes.js')) && !(await hostCanProbeKernelFunctions());
  });

  it('funccount vfs_read: one line naming what is missing and a tracepoint to use, exit 1', async (ctx) => {
    if (!applies) ctx.skip();
    const r = await runTool('funccount', ['vfs_read']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^funccount: cannot probe kernel function 'vfs_read': this kernel offers no way to attach to kernel functions \(kprobes: .+; fentry\/fexit: .+\)\. /,
    );
    expect(lines[0]).toContain("'t:syscalls:sys_enter_read'");
  });
});
