import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Kallsyms } from '../../../src/symbols/kallsyms.js';
import { FormatError } from '../../../src/errors.js';

const FIXTURE = [
  'ffffffff81000000 T _stext',
  'ffffffff81000000 T _text',
  'ffffffff81000100 t helper',
  'ffffffff81000200 W weak_fn',
  'ffffffff81000300 D some_data',
  'ffffffff81000400 T vfs_read',
  'ffffffffc0a00000 t ext4_fill_super\t[ext4]',
  'ffffffffc0a00100 T ext4_iget\t[ext4]',
  'ffffffffc0900000 t zzz_mod_fn\t[zmod]',
  '',
].join('\n');

describe('kallsyms', () => {
  const k = Kallsyms.parse(FIXTURE);

  it('parses addresses, types, names and modules; sorts unsorted module sections', () => {
    expect(k.size).toBe(9);
    expect(k.addressesHidden).toBe(false);
    expect(k.find('ext4_iget')).toEqual({ addr: 0xffffffffc0a00100n, type: 'T', name: 'ext4_iget', module: 'ext4' });
    expect(k.find('vfs_read')).toEqual({ addr: 0xffffffff81000400n, type: 'T', name: 'vfs_read' });
    const addrs = [...k].map((s) => s.addr);
    expect(addrs).toEqual([...addrs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('lookup: exact, inside, aliases, before the first, after the last, module boundaries', () => {
    expect(k.lookup(0xffffffff81000000n)).toEqual({ name: '_stext', offset: 0, type: 'T' });
    expect(k.lookup(0xffffffff81000105n)).toEqual({ name: 'helper', offset: 5, type: 't' });
    expect(k.lookup(0xffffffff810003ffn)?.name).toBe('some_data');
    expect(k.lookup(0xffffffff80ffffffn)).toBeUndefined();
    expect(k.lookup(0xffffffffc0a00180n)).toEqual({ name: 'ext4_iget', offset: 0x80, module: 'ext4', type: 'T' });
    expect(k.lookup(0xffffffffc0900010n)).toEqual({ name: 'zzz_mod_fn', offset: 0x10, module: 'zmod', type: 't' });
    expect(k.lookup(0xffffffffc0a000ffn)?.name).toBe('ext4_fill_super');
    expect(k.lookup(0n)).toBeUndefined();
  });

  it('functions() keeps t/T/w/W and filters; exists()', () => {
    expect(k.functions().map((s) => s.name)).toEqual(['_stext', '_text', 'helper', 'weak_fn', 'vfs_read', 'zzz_mod_fn', 'ext4_fill_super', 'ext4_iget']);
    expect(k.functions(/^ext4_/).map((s) => s.name)).toEqual(['ext4_fill_super', 'ext4_iget']);
    expect(k.functions((n) => n.endsWith('_fn')).length).toBe(2);
    expect(k.exists('some_data')).toBe(true);
    expect(k.exists('nope')).toBe(false);
  });

  it('hidden addresses (not root) are reported, lookups refuse', () => {
    const h = Kallsyms.parse('0000000000000000 T a\n0000000000000000 t b\n');
    expect(h.addressesHidden).toBe(true);
    expect(h.lookup(0x10n)).toBeUndefined();
    expect(h.exists('b')).toBe(true);
  });

  it('rejects malformed lines with the line number', () => {
    expect(() => Kallsyms.parse('ffffffff81000000 T ok\nbogus\n')).toThrow(FormatError);
    expect(() => Kallsyms.parse('ffffffff81000000 T ok\nbogus\n')).toThrow(/line 2/);
    expect(() => Kallsyms.parse('zz T x\n')).toThrow(/bad address/);
  });

  it('parses the live /proc/kallsyms and agrees with it', () => {
    const text = readFileSync('/proc/kallsyms', 'latin1');
    const live = Kallsyms.parse(text);
    const lines = text.trim().split('\n');
    expect(live.size).toBe(lines.length);
    if (process.getuid?.() === 0 && !live.addressesHidden) {
      // Every 997th line: its address looks up to a symbol at that same address.
      for (let i = 0; i < lines.length; i += 997) {
        const [addr] = lines[i]!.split(' ');
        const a = BigInt(`0x${addr}`);
        const r = live.lookup(a)!;
        expect(r.offset).toBe(0);
        expect(live.find(r.name)).toBeDefined();
      }
      expect(live.exists('vfs_read')).toBe(true);
      const vfs = live.find('vfs_read')!;
      expect(live.lookup(vfs.addr + 3n)?.name).toBe('vfs_read');
    }
  });
});

/**
 * The straightforward reading of kallsyms (each line split into address, type, name and
 * module, sorted by address, the first of equal addresses kept): the typed-array index with
 * lazily decoded names must answer every lookup as this does.
 */
function reference(text: string): (addr: bigint) => { name: string; offset: number; type: string; module?: string } | undefined {
  const rows = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l, i) => {
      const [addr, type, rest] = [l.slice(0, l.indexOf(' ')), l[l.indexOf(' ') + 1]!, l.slice(l.indexOf(' ') + 3)];
      const [name, mod] = rest.split('\t');
      return { addr: BigInt(`0x${addr}`), type, name: name!, module: mod?.trim().replace(/^\[(.*)\]$/, '$1'), i };
    })
    .sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : a.i - b.i));
  return (addr) => {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rows[mid]!.addr <= addr) lo = mid + 1;
      else hi = mid;
    }
    let i = lo - 1;
    if (i < 0) return undefined;
    while (i > 0 && rows[i - 1]!.addr === rows[i]!.addr) i--;
    const r = rows[i]!;
    const out = { name: r.name, offset: Number(addr - r.addr), type: r.type };
    return r.module === undefined ? out : { ...out, module: r.module };
  };
}

describe('kallsyms index against the plain reading', () => {
  it('the fixture: every symbol address, ±1, and between modules', () => {
    const ref = reference(FIXTURE);
    const k = Kallsyms.parse(FIXTURE);
    for (const s of k) for (const d of [-1n, 0n, 1n, 0x7fn]) expect(k.lookup(s.addr + d)).toEqual(ref(s.addr + d));
  });

  it('the live /proc/kallsyms: 20,000 addresses', () => {
    const text = readFileSync('/proc/kallsyms', 'latin1');
    const k = Kallsyms.parse(text);
    if (k.addressesHidden) return;
    const ref = reference(text);
    const syms = [...k];
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let n = 0; n < 20000; n++) {
      const s = syms[rnd() % syms.length]!;
      const a = s.addr + BigInt(rnd() % 0x200) - 0x10n;
      expect(k.lookup(a)).toEqual(ref(a));
    }
    // Names decoded from the text match the lines, modules too.
    const lines = text.trim().split('\n');
    for (let i = 0; i < lines.length; i += 499) {
      const [, , rest] = [0, 0, lines[i]!.slice(lines[i]!.indexOf(' ') + 3)];
      const name = rest.split('\t')[0]!;
      expect(k.find(name)?.name).toBe(name);
    }
  });

  it('readAsync reads what read reads', async () => {
    const a = await Kallsyms.readAsync();
    const b = Kallsyms.read();
    expect(a.size).toBe(b.size);
    if (!a.addressesHidden) expect(a.lookup(b.find('vfs_read')!.addr + 1n)?.name).toBe('vfs_read');
  });
});
