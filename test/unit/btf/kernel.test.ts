/**
 * Cross-check against the live kernel and bpftool (an independent implementation). Runs when
 * /sys/kernel/btf/vmlinux and bpftool exist; with CI=true their absence is a failure.
 * (Module BTF is checked in the VM, test/vm/btf.test.ts: this host has no modules.)
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dumpRaw } from '../../../src/btf/dump.js';
import { formatDecl, formatFuncSignature } from '../../../src/btf/format.js';
import { funcProto } from '../../../src/btf/func.js';
import { loadKernelBtf } from '../../../src/kernel/btf.js';
import { BPFTOOL, bpftool, firstDiff, formatCBlocks } from './helpers.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const have = existsSync(VMLINUX) && BPFTOOL !== undefined;
const live = it.skipIf(!have && process.env.CI !== 'true');

describe('live kernel BTF', () => {
  live('dumpRaw equals `bpftool btf dump file /sys/kernel/btf/vmlinux` line for line', () => {
    const want = bpftool(['btf', 'dump', 'file', VMLINUX]);
    const got = dumpRaw(loadKernelBtf());
    const diff = firstDiff(got, want);
    expect(diff, diff).toBeUndefined();
  });

  live('formatDecl equals `format c` for real structs, unions, enums and typedefs', () => {
    const spec = loadKernelBtf();
    const blocks = formatCBlocks(bpftool(['btf', 'dump', 'file', VMLINUX, 'format', 'c']));
    const wanted = [
      'struct task_struct',
      'struct file',
      'struct inode',
      'struct sk_buff',
      'struct hrtimer_sleeper',
      'struct file_operations',
      'struct list_head',
      'struct page',
      'union bpf_attr',
      'struct bpf_map',
      'enum bpf_prog_type',
      'enum bpf_map_type',
      'enum hrtimer_mode',
      'typedef size_t',
      'typedef atomic_t',
      'typedef rcu_callback_t',
      'typedef cpumask_t',
    ];
    for (const key of wanted) {
      const [kind, name] = key.split(' ') as ['struct' | 'union' | 'enum' | 'typedef', string];
      const want = blocks.get(key);
      expect(want, `${key} in bpftool output`).toBeDefined();
      const ids = spec.idsByName(name, kind);
      expect(ids.length, key).toBeGreaterThan(0);
      const diff = firstDiff(formatDecl(spec, ids[0]!), want!);
      expect(diff, `${key}: ${diff}`).toBeUndefined();
    }
    // And every uniquely named declaration (names libbpf renames with ___N are not comparable).
    let compared = 0;
    const bad: string[] = [];
    for (const kind of ['struct', 'union', 'enum', 'typedef'] as const) {
      for (const id of spec.idsOfKind(kind)) {
        const name = spec.nameOf(id);
        if (!name || spec.idsByName(name, kind).length > 1) continue;
        const want = blocks.get(`${kind} ${name}`);
        if (!want || want.includes('___')) continue;
        compared++;
        if (formatDecl(spec, id) !== want) bad.push(`${kind} ${name}`);
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(compared).toBeGreaterThan(10_000);
  });

  live('function signatures', () => {
    const spec = loadKernelBtf();
    expect(formatFuncSignature(spec, funcProto(spec, 'vfs_read').func.id)).toBe('ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)');
    expect(formatFuncSignature(spec, funcProto(spec, 'do_nanosleep').func.id)).toBe('int do_nanosleep(struct hrtimer_sleeper *t, enum hrtimer_mode mode)');
    const fp = funcProto(spec, 'vfs_write');
    expect(fp.params.map((p) => p.name)).toEqual(['file', 'buf', 'count', 'pos']);
    expect(spec.memberPath(spec.one('task_struct', 'struct').id, ['pid']).bitSize).toBe(0);
  });
});
