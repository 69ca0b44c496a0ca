/**
 * Module BTF on a stock kernel (the host has no modules): every loaded module's split BTF
 * (9p, 9pnet, overlay, ... are always loaded in the VM; brd too after tools.test.ts) decodes
 * line for line as `bpftool btf dump -B vmlinux` does, and `polytrace list -v` prints module
 * functions' signatures from that BTF, with the parameter names bpftool shows.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { dumpRaw } from '../../src/btf/dump.js';
import { listModuleBtf, loadModuleBtf } from '../../src/kernel/btf.js';
import { requireKernel, runTool } from '../helpers/kernel.js';
import { bpftool, firstDiff } from '../unit/btf/helpers.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';

/**
 * FUNC name → its parameter names, from bpftool's raw dump of a split blob; undefined when the
 * prototype is vmlinux's (deduplicated against the base, so not in this dump).
 */
function bpftoolFuncParams(raw: string): Map<string, string[] | undefined> {
  const protoParams = new Map<string, string[]>();
  const funcs: Array<[string, string]> = [];
  let params: string[] | undefined;
  for (const line of raw.split('\n')) {
    const head = /^\[(\d+)\] (\w+) '([^']*)'(.*)$/.exec(line);
    if (head) {
      params = undefined;
      const [, id, kind, name, rest] = head;
      if (kind === 'FUNC_PROTO') protoParams.set(id!, (params = []));
      if (kind === 'FUNC') funcs.push([name!, /type_id=(\d+)/.exec(rest!)![1]!]);
      continue;
    }
    const member = /^\t'([^']*)' type_id=/.exec(line);
    if (member && params) params.push(member[1]!);
  }
  return new Map(funcs.map(([name, proto]) => [name, protoParams.get(proto)]));
}

describe('module BTF (VM)', () => {
  beforeAll(() => requireKernel());

  it('every loaded module: split BTF equals bpftool btf dump -B vmlinux', () => {
    const modules = listModuleBtf();
    expect(modules).toEqual(expect.arrayContaining(['9p', '9pnet', 'overlay']));
    for (const name of modules) {
      const want = bpftool(['btf', 'dump', 'file', `/sys/kernel/btf/${name}`, '-B', VMLINUX]);
      const diff = firstDiff(dumpRaw(loadModuleBtf(name)), want);
      expect(diff, `${name}: ${diff}`).toBeUndefined();
    }
  });

  it("list -v 'kprobe:v9fs_*': each module function BTF describes has its signature, with bpftool's parameter names", async () => {
    // v9fs_* functions live in 9p and (6.12) 9pnet: every module's BTF is asked.
    const params = new Map<string, string[] | undefined>();
    for (const name of listModuleBtf()) {
      for (const [f, p] of bpftoolFuncParams(bpftool(['btf', 'dump', 'file', `/sys/kernel/btf/${name}`, '-B', VMLINUX]))) {
        if (!params.has(f)) params.set(f, p);
      }
    }
    const r = await runTool('polytrace', ['list', '-v', 'kprobe:v9fs_*']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    let described = 0;
    let compared = 0;
    for (let i = 0; i < lines.length; i++) {
      const m = /^kprobe:(\S+)$/.exec(lines[i]!);
      if (!m) continue;
      const sig = lines[i + 1]?.startsWith('    ') ? lines[i + 1]!.trim() : undefined;
      if (!params.has(m[1]!)) {
        expect(sig, m[1]).toBeUndefined();
        continue;
      }
      described++;
      expect(sig, m[1]).toBeDefined();
      // `ret name(type a, type *b)`: the name, then each parameter name in order.
      const inner = new RegExp(`\\b${m[1]}\\((.*)\\)$`).exec(sig!);
      expect(inner, sig).not.toBeNull();
      const want = params.get(m[1]!);
      if (!want) continue;
      compared++;
      const names = inner![1] === 'void' ? [] : inner![1]!.split(', ').map((p) => /(\w+)(\[\d*\])?$/.exec(p)?.[1] ?? '');
      expect(names, sig).toEqual(want.map((p, k) => (p === '' ? names[k] : p)));
    }
    expect(described).toBeGreaterThan(20);
    expect(compared, `${described} described`).toBeGreaterThan(5);
    expect(lines).toContain('    struct dentry *v9fs_vfs_lookup(struct inode *dir, struct dentry *dentry, unsigned int flags)');
  });
});
