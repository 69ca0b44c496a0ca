/**
 * Kernel BTF objects found by name (what fentry on a module's function passes as
 * attach_btf_obj_fd). This host has no modules, but vmlinux's BTF is such an object too, under
 * the name "vmlinux"; the module case runs in the VM (test/vm/tools.test.ts, brd).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readlinkSync } from 'node:fs';
import { skipKernel, requireKernel } from '../helpers/kernel.js';
import { moduleBtfObjectFd } from '../../src/kernel/btf-object.js';
import { ResolveError } from '../../src/errors.js';

describe.skipIf(skipKernel)('kernel BTF objects by name (kernel)', () => {
  beforeAll(() => requireKernel());

  it("walks the loaded BTF objects to vmlinux's, holds one fd for it, and names a missing module", () => {
    const fd = moduleBtfObjectFd('vmlinux');
    expect(readlinkSync(`/proc/self/fd/${fd}`)).toBe('anon_inode:btf');
    expect(moduleBtfObjectFd('vmlinux')).toBe(fd);
    expect(() => moduleBtfObjectFd('no_such_module')).toThrow(ResolveError);
    expect(() => moduleBtfObjectFd('no_such_module')).toThrow(/no BTF object for module 'no_such_module'/);
  });
});
