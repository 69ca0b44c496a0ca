import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { AddrTable, SymbolTables, readSparse } from '../../../src/symbols/addrtable.js';
import { ElfFile } from '../../../src/symbols/elf.js';
import { mapsFor, ProcessSymbolizer, type MapEntry } from '../../../src/symbols/procmaps.js';
import { Symbolizer, UNKNOWN } from '../../../src/output/symbolize.js';
import { Kallsyms } from '../../../src/symbols/kallsyms.js';

/** Shared libraries this process maps (libc at least), and the node binary. */
function ownFiles(): string[] {
  const files = new Set<string>();
  for (const m of mapsFor(process.pid)) if (m.path.startsWith('/') && m.inode !== 0 && m.perms.includes('x') && !m.deleted) files.add(m.path);
  return [...files];
}

/** The run-time address of `fn` + 2 in the executable mapping `m` of a file. */
function runtimeOf(m: MapEntry, fn: string): bigint {
  const elf = ElfFile.parse(readFileSync(m.path));
  const off = elf.vaddrToFileOffset(elf.lookupFunction(fn)!.value)!;
  return m.start + (off - m.offset) + 2n;
}

/** Addresses around every n-th function: its start, inside, its end, just before it. */
function probes(elf: ElfFile, count = 2000): bigint[] {
  const funcs = elf.functionSymbols();
  const step = Math.max(1, Math.floor(funcs.length / count));
  const out: bigint[] = [];
  for (let i = 0; i < funcs.length; i += step) {
    const f = funcs[i]!;
    out.push(f.value, f.value + 1n, f.value + BigInt(f.size), f.value - 1n, f.value + BigInt(f.size) + 7n);
  }
  return out;
}

describe('AddrTable (compact per-file index)', () => {
  it('answers as ElfFile.symbolize on the files this process maps', () => {
    const files = ownFiles().slice(0, 6);
    expect(files.length).toBeGreaterThan(0);
    for (const path of files) {
      const elf = ElfFile.parse(readFileSync(path));
      const table = AddrTable.read(path);
      let compared = 0;
      for (const v of probes(elf)) {
        const want = elf.symbolize(v);
        const got = table.symbolize(v);
        expect(got?.name, `${path} 0x${v.toString(16)}`).toBe(want?.name);
        if (want) expect(got!.offset).toBe(want.offset);
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
      for (const p of elf.loadSegments()) {
        expect(table.fileOffsetToVaddr(p.offset)).toBe(elf.fileOffsetToVaddr(p.offset));
      }
    }
  });

  it('reads only the parts it needs: the sparse copy has the symbol tables and zeros elsewhere', () => {
    const libc = ownFiles().find((p) => /libc\.so/.test(p));
    if (!libc) return;
    const whole = readFileSync(libc);
    const sparse = readSparse(libc);
    expect(sparse.length).toBe(whole.length);
    const elf = ElfFile.parse(whole);
    const dynsym = elf.sections.find((s) => s.name === '.dynsym')!;
    expect(Buffer.compare(sparse.subarray(dynsym.offset, dynsym.offset + dynsym.size), whole.subarray(dynsym.offset, dynsym.offset + dynsym.size))).toBe(0);
    const text = elf.section('.text')!;
    expect(sparse.subarray(text.offset, text.offset + 4096).every((b) => b === 0)).toBe(true);
  });

  it('a file that is not ELF is null, a missing one undefined', () => {
    const t = new SymbolTables();
    expect(t.get('/proc/self/status')).toBeNull();
    expect(t.get('/proc/self')).toBeUndefined(); // a directory
    expect(t.get('/nonexistent/lib.so')).toBeUndefined();
    expect(t.get(__filename)).toBeNull();
  });
});

describe('SymbolTables: one parse per file across processes', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });
  const sleeper = async (): Promise<number> => {
    const c = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(c);
    // Wait for the exec: the maps then show sleep and its libc.
    for (let i = 0; i < 200; i++) {
      if (/\/sleep$/m.test(readFileSync(`/proc/${c.pid}/maps`, 'utf8'))) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    return c.pid!;
  };

  it('two processes mapping the same libc (through /proc/PID/root) parse it once', async () => {
    const [a, b] = [await sleeper(), await sleeper()];
    const tables = new SymbolTables();
    const libcText = (pid: number) => mapsFor(pid).find((m) => /libc\.so/.test(m.path) && m.perms.includes('x'));
    const ma = libcText(a);
    const mb = libcText(b);
    if (!ma || !mb) return; // static sleep
    const pa = new ProcessSymbolizer(a, '/proc', tables);
    const pb = new ProcessSymbolizer(b, '/proc', tables);
    const sa = pa.symbolize(runtimeOf(ma, 'malloc'));
    const sb = pb.symbolize(runtimeOf(mb, 'malloc'));
    expect(sa).toMatchObject({ offset: 2 });
    expect(sb?.name).toBe(sa?.name);
    expect(tables.parses).toBe(1);
    expect(tables.files).toBe(1);
    expect(pa.tableFor(ma)).toBe(pb.tableFor(mb));
    // The sleep binary is another file: one more parse, shared by both again.
    const sleepMap = (pid: number) => mapsFor(pid).find((m) => m.path.endsWith('/sleep') && m.perms.includes('x'))!;
    pa.symbolize(sleepMap(a).start);
    pb.symbolize(sleepMap(b).start);
    expect(tables.parses).toBe(2);
  });

  it('Symbolizer: an exited process loses its maps at sweep, its looked-up names at release', async () => {
    const pid = await sleeper();
    const child = children.at(-1)!;
    const s = new Symbolizer({ kallsyms: () => Kallsyms.parse('ffffffff81000000 T _text\n') });
    expect(s.notice(pid)).toBe(true);
    const text = mapsFor(pid).find((m) => /libc\.so/.test(m.path) && m.perms.includes('x'));
    if (!text) return;
    const addr = runtimeOf(text, 'malloc');
    const name = s.user(pid, addr);
    expect(name).not.toBe(UNKNOWN);
    expect(s.sweep()).toEqual([]); // alive: nothing dropped
    expect(s.stats()).toMatchObject({ processes: 1, withMaps: 1, userAddresses: 1 });

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.sweep()).toEqual([pid]);
    expect(s.stats()).toMatchObject({ processes: 1, withMaps: 0, userAddresses: 1 });
    // Looked up before the sweep: still named; a new address of the process has no maps now.
    expect(s.user(pid, addr)).toBe(name);
    expect(s.user(pid, addr + 1n)).toBe(UNKNOWN);
    expect(s.notice(pid)).toBe(false);
    expect(s.gone()).toEqual([pid]);
    s.release([pid]);
    expect(s.stats()).toMatchObject({ processes: 0, withMaps: 0, userAddresses: 0 });
    expect(s.gone()).toEqual([]);
    // The file's index stays for other processes.
    expect(s.stats().files).toBeGreaterThan(0);
  });

  it('SymbolTables drops the least recently used indexes past its byte bound', () => {
    const files = ownFiles().slice(0, 3);
    if (files.length < 3) return;
    const sizes = files.map((f) => AddrTable.read(f).bytes);
    // Room for the first two: the third pushes out whichever was used least recently.
    const tables = new SymbolTables(sizes[0]! + sizes[1]!);
    const a = tables.get(files[0]!);
    tables.get(files[1]!);
    expect(tables.get(files[0]!)).toBe(a); // used again: now the most recent
    expect(tables.parses).toBe(2);
    tables.get(files[2]!);
    expect(tables.evictions).toBeGreaterThanOrEqual(1);
    expect(tables.bytes).toBeLessThanOrEqual(Math.max(sizes[0]! + sizes[1]!, sizes[2]!));
    // files[1] went first (files[0] was used after it); files[0] is still shared, unparsed.
    if (sizes[2]! <= sizes[1]!) {
      expect(tables.get(files[0]!)).toBe(a);
      expect(tables.parses).toBe(3);
    }
    tables.get(files[1]!);
    expect(tables.parses).toBeGreaterThanOrEqual(4);
  });

  it('retire only drops what exited() reported; release ignores processes not swept', () => {
    const s = new Symbolizer({ kallsyms: () => Kallsyms.parse('ffffffff81000000 T _text\n') });
    expect(s.notice(process.pid)).toBe(true);
    expect(s.exited(() => true)).toEqual([]);
    s.release([process.pid]);
    expect(s.stats().withMaps).toBe(1);
    expect(s.exited(() => false)).toEqual([process.pid]);
    s.retire([process.pid]);
    expect(s.stats().withMaps).toBe(0);
  });
});
