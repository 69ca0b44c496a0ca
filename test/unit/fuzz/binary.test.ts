/**
 * Fuzz properties of the binary parsers: ELF (header, program headers, sections, symbols,
 * notes, build-id, debuglink, address translation), USDT notes read from ELF, and
 * ld.so.cache. Inputs are random bytes and mutations of real files, with edits aimed at the
 * structures the parsers walk. Every case must parse or throw a TracerError with a message.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ElfFile } from '../../../src/symbols/elf.js';
import { usdtNotes } from '../../../src/symbols/usdt/note.js';
import { usdtProbes } from '../../../src/symbols/usdt/probes.js';
import { parseLdCache } from '../../../src/symbols/ldcache.js';
import { buildC, haveGcc } from '../../helpers/cbuild.js';
import { USDT_SRC } from '../../helpers/usdt-source.js';
import { mutateBytes, params, typedOnly } from './harness.js';

function realElfs(): Array<{ name: string; bytes: Uint8Array }> {
  const out: Array<{ name: string; bytes: Uint8Array }> = [{ name: '/bin/true', bytes: readFileSync('/bin/true') }];
  if (haveGcc()) {
    out.push({ name: 'usdt (pie)', bytes: readFileSync(buildC('fuzz-usdt', USDT_SRC, ['-O1', '-Wl,--build-id', '-Wl,--compress-debug-sections=none'])) });
    out.push({ name: 'usdt (shared)', bytes: readFileSync(buildC('fuzz-usdt-so', USDT_SRC, ['-O1', '-fPIC', '-shared', '-Wl,--build-id'])) });
  }
  return out;
}

/** Byte ranges worth mutating: headers, tables, notes, symbol and string tables. */
function hotRanges(bytes: Uint8Array): Array<[number, number]> {
  const elf = ElfFile.parse(bytes);
  const h = elf.header;
  const ranges: Array<[number, number]> = [[0, 64]];
  const phentsize = h.class === 64 ? 56 : 32;
  const shentsize = h.class === 64 ? 64 : 40;
  if (h.phoff) ranges.push([h.phoff, h.phoff + elf.programHeaders.length * phentsize]);
  if (h.shoff) ranges.push([h.shoff, h.shoff + elf.sections.length * shentsize]);
  for (const s of elf.sections) {
    if (/^\.note|^\.(sym|dynsym|dynstr|strtab|shstrtab|gnu_debuglink|gnu\.version|stapsdt\.base)/.test(s.name) && s.size > 0 && s.type !== 8) {
      ranges.push([s.offset, Math.min(s.offset + s.size, s.offset + 2048, bytes.length)]);
    }
  }
  return ranges;
}

/** Everything a tool asks of an ELF file. */
function exerciseElf(bytes: Uint8Array): void {
  const elf = ElfFile.parse(bytes);
  for (const s of elf.sections) {
    try {
      elf.sectionData(s);
    } catch (e) {
      // A section pointing past the end is a typed error; keep walking the others.
      typedOnly(() => {
        throw e;
      });
    }
  }
  const segs = elf.loadSegments();
  for (const p of segs.slice(0, 8)) {
    elf.vaddrToFileOffset(p.vaddr);
    elf.fileOffsetToVaddr(p.offset);
  }
  elf.sectionAt(elf.header.entry);
  const fns = elf.functionSymbols();
  elf.symtab();
  elf.dynsym();
  elf.lookupFunction('main');
  elf.lookupObject('counter');
  for (const f of fns.slice(0, 4)) elf.symbolize(f.value + 1n);
  elf.symbolize(elf.header.entry);
  elf.buildId();
  elf.debugLink();
  let n = 0;
  for (const _ of elf.notes()) if (++n > 10_000) throw new Error('runaway note walk');
  usdtNotes(elf);
  usdtProbes(elf, 'x64');
  usdtProbes(elf, 'arm64');
}

describe('fuzz: ELF', () => {
  const elfs = realElfs();

  it('the real inputs parse cleanly (the mutations start from valid files)', () => {
    for (const { bytes } of elfs) exerciseElf(bytes);
    if (elfs.length > 1) {
      const probes = usdtProbes(ElfFile.parse(elfs[1]!.bytes), 'x64');
      expect(probes.map((p) => `${p.provider}:${p.name}`)).toEqual(['fz:two', 'fz:none']);
      expect(probes[0]!.sites[0]!.args).toHaveLength(2);
    }
  });

  it('random bytes, with and without an ELF magic', () => {
    const magic = fc
      .tuple(fc.constantFrom(1, 2, 0, 3), fc.constantFrom(1, 2, 0), fc.uint8Array({ maxLength: 512 }))
      .map(([cls, data, rest]) => new Uint8Array([0x7f, 0x45, 0x4c, 0x46, cls, data, 1, 0, ...rest]));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 256 }), magic), (b) => typedOnly(() => exerciseElf(b))),
      params(1500),
    );
  });

  for (const { name, bytes } of elfs) {
    it(`mutations of ${name} aimed at its headers, tables and notes`, () => {
      fc.assert(
        fc.property(mutateBytes(bytes, hotRanges(bytes)), (b) => typedOnly(() => exerciseElf(b))),
        params(600),
      );
    });
  }
});

describe('fuzz: ld.so.cache', () => {
  const real = (() => {
    try {
      return readFileSync('/etc/ld.so.cache');
    } catch {
      return undefined;
    }
  })();

  it('random bytes after each magic', () => {
    const enc = (s: string) => [...s].map((c) => c.charCodeAt(0));
    const withMagic = fc
      .tuple(fc.constantFrom(enc('glibc-ld.so.cache1.1'), [...enc('ld.so-1.7.0'), 0]), fc.uint8Array({ maxLength: 400 }))
      .map(([m, rest]) => new Uint8Array([...m, ...rest]));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 128 }), withMagic), (b) => typedOnly(() => parseLdCache(b))),
      params(1500),
    );
  });

  it.skipIf(!real && process.env.CI !== 'true')('mutations of /etc/ld.so.cache (header, entry table, strings)', () => {
    const b = real!;
    const nlibs = new DataView(b.buffer, b.byteOffset).getUint32(20, true);
    const hot: Array<[number, number]> = [
      [0, 48],
      [48, Math.min(b.length, 48 + nlibs * 24)],
      [Math.max(0, b.length - 512), b.length],
    ];
    fc.assert(
      fc.property(mutateBytes(new Uint8Array(b), hot), (m) => typedOnly(() => parseLdCache(m))),
      params(800),
    );
  });
});
