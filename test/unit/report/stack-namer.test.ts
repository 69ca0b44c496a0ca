/**
 * StackNamer without a kernel: fake counts and stack maps, kallsyms from text and a process
 * under a fake /proc whose maps are this process's own (so its libc frames resolve). Each stack
 * id is read once until the interval's read resets it; the live counts are read in chunks; an
 * exited process loses its maps at the tick that found it gone, keeping the names it had.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StackNamer } from '../../../src/report/stack-namer.js';
import { Symbolizer, UNKNOWN } from '../../../src/output/symbolize.js';
import { Kallsyms } from '../../../src/symbols/kallsyms.js';
import { ElfFile } from '../../../src/symbols/elf.js';
import { mapsFor } from '../../../src/symbols/procmaps.js';
import { MAX_STACK_DEPTH, STACK_KEY_SIZE } from '../../../src/compile/tools/stacks.js';
import type { MapChunk } from '../../../src/kernel/map.js';

const KALLSYMS = ['ffffffff81000000 T _text', 'ffffffff81001000 T schedule', 'ffffffff81002000 T do_work', 'ffffffff81003000 T _etext', ''].join('\n');
const PID = 4242;

/** A fake /proc holding PID with this process's maps; `state` writes its status. */
const root = mkdtempSync(join(tmpdir(), 'stack-namer-'));
mkdirSync(join(root, String(PID)));
writeFileSync(join(root, String(PID), 'maps'), readFileSync('/proc/self/maps'));
const state = (s: string) => writeFileSync(join(root, String(PID), 'status'), `Name:\tfake\nState:\t${s}\n`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A libc function's address in this process (so in PID too): the frame named by libc's index. */
function libcAddress(): bigint | undefined {
  const m = mapsFor(process.pid).find((x) => /libc\.so/.test(x.path) && x.perms.includes('x'));
  if (!m) return undefined;
  const elf = ElfFile.parse(readFileSync(m.path));
  const off = elf.vaddrToFileOffset(elf.lookupFunction('malloc')!.value)!;
  return m.start + (off - m.offset) + 4n;
}

function key(tgid: number, kernelId: number, userId: number): Uint8Array {
  const k = new Uint8Array(STACK_KEY_SIZE);
  const dv = new DataView(k.buffer);
  dv.setUint32(0, tgid, true);
  dv.setInt32(4, kernelId, true);
  dv.setInt32(8, userId, true);
  k.set(new TextEncoder().encode('fake'), 12);
  return k;
}

/** The stack map: id → addresses, as the kernel's value (zero-padded); lookups counted. */
function stackMap(stacks: Map<number, bigint[]>) {
  const m = {
    lookups: 0,
    lookup(k: Uint8Array): Uint8Array | undefined {
      m.lookups++;
      const addrs = stacks.get(new DataView(k.buffer, k.byteOffset).getInt32(0, true));
      if (!addrs) return undefined;
      const v = new Uint8Array(8 * MAX_STACK_DEPTH);
      addrs.forEach((a, i) => new DataView(v.buffer).setBigUint64(8 * i, a, true));
      return v;
    },
  };
  return m;
}

/**
 * The live counts, handed out `chunk` keys at a time in one reused buffer, as BpfMap.chunks
 * does (a chunk is valid until the next); how many chunks were read.
 */
function liveCounts(keys: Uint8Array[]) {
  const l = {
    reads: 0,
    *chunks(chunk = 256): Generator<MapChunk, void, undefined> {
      const buf = new Uint8Array(chunk * STACK_KEY_SIZE);
      for (let i = 0; i < keys.length; i += chunk) {
        l.reads++;
        buf.fill(0xff);
        const part = keys.slice(i, i + chunk);
        part.forEach((k, j) => buf.set(k, j * STACK_KEY_SIZE));
        yield { count: part.length, keys: buf, values: new Uint8Array(8 * chunk) };
      }
    },
  };
  return l;
}

const names = (fs: ReadonlyArray<{ name: string }>) => fs.map((f) => f.name);

describe('StackNamer', () => {
  const malloc = libcAddress();
  const stacks = new Map<number, bigint[]>([
    [0, [0xffffffff81001010n]],
    [1, [0xffffffff81002004n, 0xffffffff81001020n]],
    [2, [0xffffffff81002008n]],
    [10, malloc !== undefined ? [malloc] : []],
  ]);
  // 600 counts over three kernel stacks and one user stack: more than one chunk.
  const keys = Array.from({ length: 600 }, (_, i) => key(PID, i % 3, 10));
  const expectedUser = malloc !== undefined ? new Symbolizer().user(process.pid, malloc) : undefined;

  it('names every stack the live counts hold, reads each stack id once until reset, in chunks', async () => {
    state('S (sleeping)');
    const sym = new Symbolizer({ kallsyms: () => Kallsyms.parse(KALLSYMS), procRoot: root });
    const map = stackMap(stacks);
    const namer = new StackNamer(sym, map, { kernelStack: true, userStack: true }, { offset: false });
    const live = liveCounts(keys);
    expect(await namer.tick(live)).toBe(true);
    expect(live.reads).toBe(3);
    expect(map.lookups).toBe(4);
    expect(names(namer.kernelFrames(1))).toEqual(['do_work', 'schedule']);
    expect(names(namer.kernelFrames(0))).toEqual(['schedule']);
    if (expectedUser !== undefined) {
      expect(expectedUser).not.toBe(UNKNOWN);
      expect(names(namer.userFrames(PID, 10))).toEqual([expectedUser]);
    }
    // Named already: a second tick and the read itself look nothing up again.
    await namer.tick(live);
    expect(map.lookups).toBe(4);
    // The read freed the ids: they may name other stacks now, so they are read again.
    namer.reset();
    await namer.tick(live);
    expect(map.lookups).toBe(8);
    expect(sym.stats()).toMatchObject({ processes: 1, withMaps: 1 });
  });

  it('-K and -U: only the asked-for stacks are read; a negative id (no stack) is no frame', async () => {
    const sym = new Symbolizer({ kallsyms: () => Kallsyms.parse(KALLSYMS), procRoot: root });
    const map = stackMap(stacks);
    const kernelOnly = new StackNamer(sym, map, { kernelStack: true, userStack: false }, { offset: true });
    await kernelOnly.tick(liveCounts(keys));
    expect(map.lookups).toBe(3);
    expect(names(kernelOnly.kernelFrames(1))).toEqual(['do_work+0x4', 'schedule+0x20']);
    expect(sym.stats().processes).toBe(0);
    expect(kernelOnly.kernelFrames(-14)).toEqual([]);
    expect(kernelOnly.userFrames(PID, -14)).toEqual([]);
    expect(map.lookups).toBe(3);
  });

  it('raw frames (after the stop budget) are addresses and are not kept', () => {
    const sym = new Symbolizer({ kallsyms: () => Kallsyms.parse(KALLSYMS), procRoot: root });
    const map = stackMap(stacks);
    const namer = new StackNamer(sym, map, { kernelStack: true, userStack: true }, { offset: false });
    expect(names(namer.kernelFrames(1, true))).toEqual(['0xffffffff81002004', '0xffffffff81001020']);
    expect(names(namer.kernelFrames(1))).toEqual(['do_work', 'schedule']);
    expect(map.lookups).toBe(2);
    expect(sym.stats().kernelAddresses).toBe(2);
  });

  it('an exited process loses its maps at the tick that found it gone, and keeps the names it had', async () => {
    state('S (sleeping)');
    const sym = new Symbolizer({ kallsyms: () => Kallsyms.parse(KALLSYMS), procRoot: root });
    const namer = new StackNamer(sym, stackMap(stacks), { kernelStack: false, userStack: true }, { offset: false });
    await namer.tick(liveCounts(keys));
    expect(sym.stats()).toMatchObject({ processes: 1, withMaps: 1 });
    state('Z (zombie)');
    await namer.tick(liveCounts([...keys, key(PID, -1, 11)]));
    expect(sym.stats()).toMatchObject({ processes: 1, withMaps: 0 });
    expect(sym.gone()).toEqual([PID]);
    if (expectedUser !== undefined) expect(names(namer.userFrames(PID, 10))).toEqual([expectedUser]);
    // Printed: the interval's read released it.
    namer.reset();
    sym.release(sym.gone());
    expect(sym.stats()).toMatchObject({ processes: 0, withMaps: 0, userAddresses: 0 });
  });
});
