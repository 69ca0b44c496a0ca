/**
 * By-name lookups have two paths: the first few scan the string table and the type section,
 * later ones use the hash index. Both must give the same ids, for base and split BTF, and
 * the mapped vmlinux must decode like the read one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BtfSpec } from '../../../src/btf/spec.js';
import { kernelBtfSource, loadKernelBtf } from '../../../src/kernel/btf.js';
import { dumpRaw } from '../../../src/btf/dump.js';
import { fixtureBytes } from './helpers.js';

/** ids of every name, each asked of a fresh spec (so it is answered by scanning). */
function scanned(make: () => BtfSpec, names: readonly string[]): number[][] {
  return names.map((n) => make().idsByName(n));
}

function indexed(spec: BtfSpec, names: readonly string[]): number[][] {
  spec.buildNameIndex();
  return names.map((n) => spec.idsByName(n));
}

function namesOf(spec: BtfSpec): string[] {
  return [...spec.names(), 'no_such_name', 'x'];
}

describe('scan lookups equal index lookups', () => {
  for (const [name, baseName] of [
    ['kinds.btf', undefined],
    ['tags.be.btf', undefined],
    ['split.btf', 'kinds.btf'],
    ['split.be.btf', 'kinds.be.btf'],
  ] as const) {
    it(name, () => {
      const make = (): BtfSpec => {
        const base = baseName ? BtfSpec.parse(fixtureBytes(baseName)) : undefined;
        return BtfSpec.parse(fixtureBytes(name), base ? { base } : {});
      };
      const names = namesOf(make());
      const want = indexed(make(), names);
      expect(scanned(make, names)).toEqual(want);
      expect(want.some((ids) => ids.length > 0)).toBe(true);
    });
  }

  const VMLINUX = '/sys/kernel/btf/vmlinux';
  it.skipIf(!existsSync(VMLINUX) && process.env.CI !== 'true')('vmlinux: mapped equals read, scans equal the index', () => {
    const spec = loadKernelBtf();
    expect(['mmap', 'read']).toContain(kernelBtfSource);
    const bytes = new Uint8Array(readFileSync(VMLINUX));
    const read = BtfSpec.parse(bytes);
    expect(spec.count).toBe(read.count);
    // A sample of names: every 997th type's name plus common member-ish names.
    const names = ['vfs_read', 'task_struct', 'long int', 'next', 'list_head', 'int'];
    for (let id = 1; id < read.count; id += 997) names.push(read.nameOf(id));
    const fresh = (): BtfSpec => BtfSpec.parse(bytes);
    expect(scanned(fresh, names)).toEqual(indexed(read, names));
    expect(dumpRaw(spec).length).toBe(dumpRaw(read).length);
  });
});
