/** Kernel-function name rules: BCC's blacklist filtering, the probe limit, kallsyms ∩ BTF. */
import { describe, it, expect } from 'vitest';
import { deniedByName, filterKernelFunctions, probeLimit, probeLimitError, kallsymsFunctions, DEFAULT_PROBE_LIMIT } from '../../../src/probes/kernel.js';
import { parseKprobeBlacklist } from '../../../src/symbols/tracefs.js';
import { Kallsyms } from '../../../src/symbols/kallsyms.js';

describe('deniedByName', () => {
  it('refuses .cold and .part clones, also when further suffixed', () => {
    for (const n of ['vfs_read.cold', 'do_thing.cold.12', 'vfs_kern_mount.part.0', 'vfs_statfs.part.0.isra.0']) {
      expect(deniedByName(n), n).not.toBe('');
    }
  });
  it("refuses BCC's perf, kprobe-blacklist-address and static-call trampoline names", () => {
    for (const n of ['__perf_event_overflow', 'perf_event_open', '_kbl_addr_do_int3', '__SCT__tp_func_sys_enter']) {
      expect(deniedByName(n), n).not.toBe('');
    }
  });
  it('keeps ordinary functions and other compiler clones', () => {
    for (const n of ['vfs_read', '__x64_sys_umask', 'tcp_v4_connect.isra.0', 'foo.constprop.0', 'coldness', 'partition_x', 'xperf_thing', 'my_perf_fn']) {
      expect(deniedByName(n), n).toBe('');
    }
  });
});

describe('filterKernelFunctions', () => {
  const blacklist = parseKprobeBlacklist('0xffffffff81c00990-0xffffffff81c009b0\tasm_exc_divide_error\n0xffffffff810be350-0xffffffff810be360\tnotify_die\n');

  it('drops blacklisted and denied names, de-duplicates, keeps order', () => {
    const r = filterKernelFunctions(
      ['vfs_write', 'notify_die', 'vfs_read', 'vfs_write', 'vfs_read.cold', 'perf_event_open', 'asm_exc_divide_error', 'vfs_open'],
      blacklist,
    );
    expect(r.kept).toEqual(['vfs_write', 'vfs_read', 'vfs_open']);
    expect(r.dropped).toEqual({ blacklist: 2, name: 2 });
  });

  it('an unknown blacklist (empty set) drops only by name', () => {
    expect(filterKernelFunctions(['notify_die', '__SCT__x'], new Set()).kept).toEqual(['notify_die']);
  });
});

describe('probe limit', () => {
  it("is BCC's 1000 unless BCC_PROBE_LIMIT is all digits", () => {
    expect(probeLimit({})).toBe(DEFAULT_PROBE_LIMIT);
    expect(DEFAULT_PROBE_LIMIT).toBe(1000);
    expect(probeLimit({ BCC_PROBE_LIMIT: '5000' })).toBe(5000);
    expect(probeLimit({ BCC_PROBE_LIMIT: ' 12 ' })).toBe(12);
    expect(probeLimit({ BCC_PROBE_LIMIT: '-1' })).toBe(1000);
    expect(probeLimit({ BCC_PROBE_LIMIT: 'lots' })).toBe(1000);
  });
  it("says BCC's words and how to raise it", () => {
    const e = probeLimitError(1000, 1234);
    expect(e.message).toBe('maximum of 1000 probes allowed, attempted 1234');
    expect(e.hints.join(' ')).toContain('BCC_PROBE_LIMIT');
  });
});

describe('kallsymsFunctions (when available_filter_functions cannot be read)', () => {
  const ks = Kallsyms.parse(
    [
      'ffffffff81000000 T _stext',
      'ffffffff81001000 T vfs_read',
      'ffffffff81002000 t helper_no_btf',
      'ffffffff81003000 W weak_fn',
      'ffffffff81004000 D some_data',
      'ffffffff81005000 T __irqentry_text_start',
      'ffffffff81005100 T irq_entry_fn',
      'ffffffff81006000 T __irqentry_text_end',
      'ffffffff82000000 T __init_begin',
      'ffffffff82000100 t init_only_fn',
      'ffffffff82100000 T __init_end',
      'ffffffffc0001000 t mod_fn\t[ext4]',
    ].join('\n'),
  );
  const btf = new Set(['vfs_read', 'weak_fn', 'some_data', 'irq_entry_fn', 'init_only_fn', 'mod_fn']);

  it('keeps text symbols with a BTF FUNC outside init and irqentry text', () => {
    expect(kallsymsFunctions(ks, (n) => btf.has(n))).toEqual(['vfs_read', 'weak_fn', 'mod_fn']);
  });
});
