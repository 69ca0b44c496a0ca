/**
 * The live host's IFUNC answer (pipeline/ifunc.ts): this process's dynamic linker resolves
 * glibc's strlen to an implementation inside libc, away from the resolver; a library this
 * process has not loaded gets no answer and stays unloaded (RTLD_NOLOAD: no constructor runs).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hostIfuncImplementation } from '../../../src/pipeline/ifunc.js';
import { ElfFile } from '../../../src/symbols/elf.js';
import { parseMaps } from '../../../src/symbols/procmaps.js';
import { buildC } from '../../helpers/cbuild.js';

const ownMaps = () => parseMaps(readFileSync('/proc/self/maps', 'utf8'));

describe('hostIfuncImplementation', () => {
  it("resolves libc's strlen to an implementation in libc", () => {
    const libc = ownMaps().find((m) => /\/libc\.so\.6$/.test(m.path));
    expect(libc).toBeDefined();
    const elf = ElfFile.open(libc!.path);
    const strlen = elf.lookupFunction('strlen')!;
    expect(strlen.type).toBe('ifunc');
    const impl = hostIfuncImplementation(libc!.path, elf, strlen);
    expect(impl).toBeDefined();
    expect(impl).not.toBe(strlen.value);
    expect(elf.vaddrToFileOffset(impl!)).toBeDefined();
    expect(elf.sectionAt(impl!)?.name).toBe('.text');
  });

  it('answers nothing for a library this process has not loaded, and does not load it', () => {
    const lib = buildC('ifunc-unloaded', 'static int f(void) { return 1; }\nstatic void *r(void) { return f; }\nint g(void) __attribute__((ifunc("r")));\n', [
      '-fPIC',
      '-shared',
    ]);
    const elf = ElfFile.open(lib);
    expect(hostIfuncImplementation(lib, elf, elf.lookupFunction('g')!)).toBeUndefined();
    expect(ownMaps().some((m) => m.path === lib)).toBe(false);
  });
});
