import { describe, expect, it } from 'vitest';
import { formatC, formatDecl, formatFuncSignature } from '../../../src/btf/format.js';
import type { BtfSpec } from '../../../src/btf/spec.js';
import { BPFTOOL, FIXTURES, bpftool, firstDiff, fixture, formatCBlocks } from './helpers.js';

const spec = fixture('kinds.btf');
const tags = fixture('tags.btf');
const one = (s: BtfSpec, name: string, kind: 'struct' | 'func' | 'typedef' | 'enum' | 'union'): number => s.idsByName(name, kind)[0]!;

describe('formatC', () => {
  it('prints type references and declarators', () => {
    expect(formatC(spec, one(spec, 'outer', 'struct'))).toBe('struct outer');
    expect(formatC(spec, 28)).toBe('const volatile int *');
    expect(formatC(spec, 28, 'p')).toBe('const volatile int *p');
    expect(formatC(spec, 25, 'name')).toBe('char name[16]');
    expect(formatC(spec, 39, 'cb')).toBe('void (*cb)(int, const char *, ...)');
    expect(formatC(spec, 40, 'fpa')).toBe('int (**fpa[4])(void)');
    expect(formatC(spec, 30, 'rp')).toBe('char * restrict rp');
    expect(formatC(spec, 32)).toBe('struct opaque *');
    expect(formatC(spec, 0)).toBe('void');
    expect(formatC(tags, 6, 'buf')).toBe('char __attribute__((btf_type_tag("user"))) *buf');
  });
  it('prints function signatures', () => {
    expect(formatFuncSignature(spec, one(spec, 'vfs_read', 'func'))).toBe('ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)');
    expect(formatC(spec, one(spec, 'helper', 'func'))).toBe('int helper(int a)');
    expect(formatFuncSignature(tags, 14)).toBe('int tagged_fn(struct tagged *t, int n)');
  });
  it('prints full declarations with inlined anonymous members and bitfields', () => {
    expect(formatDecl(spec, one(spec, 'flags', 'struct'))).toBe(
      'struct flags {\n\tunsigned int a: 3;\n\tunsigned int b: 5;\n\tint c: 7;\n\tunsigned char d;\n\tlong long unsigned int e: 40;\n\tint tail;\n};',
    );
    expect(formatDecl(spec, one(spec, 'packed_s', 'struct'))).toBe('struct packed_s {\n\tchar c;\n\tint i;\n\tlong int l;\n} __attribute__((packed));');
    expect(formatDecl(spec, one(spec, 'empty', 'struct'))).toBe('struct empty {};');
    expect(formatDecl(spec, one(spec, 'big', 'enum'))).toBe('enum big {\n\tBIG_SMALL = 1ULL,\n\tBIG_LARGE = 4294967296ULL,\n};');
    expect(formatDecl(spec, one(spec, 'size_t', 'typedef'))).toBe('typedef long unsigned int size_t;');
    expect(formatDecl(spec, 31)).toBe('struct opaque;');
    expect(formatDecl(tags, 27)).toBe('typedef void __attribute__((btf_type_tag("rcu"))) * const tp_t;');
    expect(formatDecl(tags, 23)).toBe('enum nothing;');
  });
});

describe.skipIf(!BPFTOOL && process.env.CI !== 'true')('formatDecl equals bpftool format c on the fixtures', () => {
  for (const file of ['kinds.btf', 'tags.btf']) {
    it(file, () => {
      const s = fixture(file);
      const blocks = formatCBlocks(bpftool(['btf', 'dump', 'file', `${FIXTURES}${file}`, 'format', 'c']));
      let compared = 0;
      for (const kind of ['struct', 'union', 'enum', 'typedef'] as const) {
        for (const id of s.idsOfKind(kind)) {
          const name = s.nameOf(id);
          const want = name && blocks.get(`${kind} ${name}`);
          if (!want) continue;
          expect(firstDiff(formatDecl(s, id), want), `${kind} ${name}`).toBeUndefined();
          compared++;
        }
      }
      expect(compared).toBeGreaterThanOrEqual(file === 'kinds.btf' ? 13 : 3);
    });
  }
});
