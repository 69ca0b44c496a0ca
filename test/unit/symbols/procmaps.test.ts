import { describe, expect, it } from 'vitest';
import { ElfFile } from '../../../src/symbols/elf.js';
import { elfVaddrOf, fileOffsetOf, findMapping, mapsFor, parseMaps, ProcessSymbolizer } from '../../../src/symbols/procmaps.js';
import { FormatError, ResolveError } from '../../../src/errors.js';

const TEXT = `55ef34c32000-55ef34c34000 r--p 00000000 fe:00 260131                     /usr/bin/cat
55ef34c34000-55ef34c39000 r-xp 00002000 fe:00 260131                     /usr/bin/cat
55ef70daf000-55ef70dd0000 rw-p 00000000 00:00 0                          [heap]
7efe2572f000-7efe25751000 rw-p 00000000 00:00 0 
7efe257da000-7efe25930000 r-xp 00026000 fe:00 339380                     /usr/lib/x86_64-linux-gnu/libc.so.6
7efe25990000-7efe25991000 r-xp 00001000 08:01 4242                       /tmp/my lib.so (deleted)
`;

describe('procmaps', () => {
  const maps = parseMaps(TEXT);
  it('parses every field, spaces in paths and (deleted)', () => {
    expect(maps).toHaveLength(6);
    expect(maps[1]).toEqual({
      start: 0x55ef34c34000n,
      end: 0x55ef34c39000n,
      perms: 'r-xp',
      offset: 0x2000n,
      dev: 'fe:00',
      inode: 260131,
      path: '/usr/bin/cat',
      deleted: false,
    });
    expect(maps[3]!.path).toBe('');
    expect(maps[2]!.path).toBe('[heap]');
    expect(maps[5]).toMatchObject({ path: '/tmp/my lib.so', deleted: true, dev: '08:01' });
    expect(() => parseMaps('garbage line')).toThrow(FormatError);
  });
  it('finds the mapping of an address, with edges', () => {
    expect(findMapping(maps, 0x55ef34c34000n)).toBe(maps[1]);
    expect(findMapping(maps, 0x55ef34c38fffn)).toBe(maps[1]);
    expect(findMapping(maps, 0x55ef34c39000n)).toBeUndefined();
    expect(findMapping(maps, 0x1000n)).toBeUndefined();
    expect(fileOffsetOf(maps[4]!, 0x7efe257da010n)).toBe(0x26010n);
  });
  it('symbolizes our own process: a libc function through PIE/shared-library math', () => {
    const own = mapsFor(process.pid);
    const libcMap = own.find((m) => /\/libc\.so\.6$/.test(m.path) && m.perms.includes('x'))!;
    expect(libcMap).toBeDefined();
    const elf = ElfFile.open(libcMap.path);
    const malloc = elf.lookupFunction('malloc')!;
    // The run-time address of malloc in this process: invert the math.
    const fileOff = elf.vaddrToFileOffset(malloc.value)!;
    const runtime = libcMap.start + (fileOff - libcMap.offset);
    expect(elfVaddrOf(libcMap, runtime, elf)).toBe(malloc.value);
    const sym = new ProcessSymbolizer(process.pid).symbolize(runtime + 2n);
    expect(sym).toMatchObject({ offset: 2, module: libcMap.path });
    expect(elf.lookupFunction(sym!.name!)!.value).toBe(malloc.value);
  });
  it('a missing pid is a ResolveError', () => {
    expect(() => mapsFor(0x7ffffff0)).toThrow(ResolveError);
  });
});
