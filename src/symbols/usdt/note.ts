/**
 * `.note.stapsdt` → `UsdtNote`.
 *
 * Quick crash course. `STAP_PROBEn(provider, name, args...)` in C compiles to a `nop` at the
 * probe site plus one ELF note (owner "stapsdt", type 3) whose descriptor is:
 *
 *   pc        u32/u64   link-time address of the nop
 *   base      u32/u64   link-time address of the `.stapsdt.base` section
 *   semaphore u32/u64   address of a u16 counter in `.probes`, or 0
 *   provider\0 name\0 args\0                 e.g. "python\0function__entry\0 8@%rbx 8@%r15 -4@%eax\0"
 *
 * Tools that rewrite addresses after linking (prelink) move sections but not note contents, so
 * a note is corrected by (actual `.stapsdt.base` address - recorded base): applied to pc and,
 * when set, to the semaphore. A uprobe needs file offsets: pc through the executable PT_LOAD
 * segment, the semaphore through the (writable) segment that holds `.probes` — the kernel
 * increments the semaphore at that file offset (`ref_ctr_offset`) while the probe is attached.
 */
import { ElfError } from '../../errors.js';
import { PT_LOAD, type ElfFile } from '../elf.js';

export const STAPSDT_OWNER = 'stapsdt';
export const NT_STAPSDT = 3;

export interface UsdtNote {
  readonly provider: string;
  readonly name: string;
  /** The argument string, e.g. `-4@%edi 8@-24(%rbp)`; '' when the probe has none. */
  readonly args: string;
  /** Link-time address of the probe site, after the prelink adjustment. */
  readonly pc: bigint;
  /** The recorded `.stapsdt.base` address. */
  readonly base: bigint;
  /** Semaphore address after the prelink adjustment; 0n when the probe has none. */
  readonly semaphore: bigint;
  /** As recorded in the note, before adjustment. */
  readonly rawPc: bigint;
  /** File offset of the probe site (for the uprobe). */
  readonly fileOffset: bigint;
  /** File offset of the semaphore (uprobe `ref_ctr_offset`), when there is one. */
  readonly semaphoreFileOffset?: bigint;
}

function cstrAt(d: Uint8Array, off: number, what: string, where: string): [string, number] {
  const end = d.indexOf(0, off);
  if (end < 0) throw new ElfError(`${where}: ${what} is not NUL-terminated`);
  return [Buffer.from(d.subarray(off, end)).toString('latin1'), end + 1];
}

/** All stapsdt notes of an ELF file, in file order. Throws `ElfError` on a malformed note. */
export function usdtNotes(elf: ElfFile): UsdtNote[] {
  const baseSec = elf.section('.stapsdt.base');
  const probesSec = elf.section('.probes');
  const wordSize = elf.header.class === 64 ? 8 : 4;
  const le = elf.header.endian === 'le';
  const out: UsdtNote[] = [];
  let i = 0;
  // Notes live in `.note.stapsdt`; a stripped file without sections still has them in PT_NOTE.
  const source = elf.sections.length > 0 ? '.note.stapsdt' : undefined;
  for (const n of elf.notes(source)) {
    if (n.owner !== STAPSDT_OWNER || n.type !== NT_STAPSDT) continue;
    const where = `${elf.path || 'ELF'}: stapsdt note #${i++}`;
    const d = n.desc;
    // Three addresses plus, at the very least, three empty strings.
    if (d.length < 3 * wordSize + 3) throw new ElfError(`${where}: descriptor too short (${d.length} bytes)`);
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const word = (o: number): bigint => (wordSize === 8 ? dv.getBigUint64(o, le) : BigInt(dv.getUint32(o, le)));
    const rawPc = word(0);
    const base = word(wordSize);
    const rawSema = word(2 * wordSize);
    let off = 3 * wordSize;
    const [provider, o1] = cstrAt(d, off, 'provider', where);
    off = o1;
    if (off >= d.length) throw new ElfError(`${where}: missing probe name`);
    const [name, o2] = cstrAt(d, off, 'name', where);
    if (name === '') throw new ElfError(`${where}: empty probe name`);
    off = o2;
    if (off >= d.length) throw new ElfError(`${where} (${provider}:${name}): missing argument string`);
    let [args] = cstrAt(d, off, 'argument string', where);
    if (args.startsWith(':')) args = '';

    const adjust = baseSec && base !== 0n ? baseSec.addr - base : 0n;
    const pc = rawPc + adjust;
    const semaphore = rawSema === 0n ? 0n : rawSema + adjust;
    const fileOffset = elf.vaddrToFileOffset(pc);
    if (fileOffset === undefined) throw new ElfError(`${where} (${provider}:${name}): probe address 0x${pc.toString(16)} is in no loadable segment`);
    let semaphoreFileOffset: bigint | undefined;
    if (semaphore !== 0n) {
      semaphoreFileOffset = semaphoreOffset(elf, semaphore, probesSec);
      if (semaphoreFileOffset === undefined) {
        throw new ElfError(`${where} (${provider}:${name}): semaphore address 0x${semaphore.toString(16)} is in no file-backed loadable segment`);
      }
    }
    const note: UsdtNote = { provider, name, args, pc, base, semaphore, rawPc, fileOffset };
    out.push(semaphoreFileOffset === undefined ? note : { ...note, semaphoreFileOffset });
  }
  return out;
}

/** Semaphore vaddr → file offset: the `.probes` section when it holds it, else any PT_LOAD. */
function semaphoreOffset(elf: ElfFile, sema: bigint, probes: ReturnType<ElfFile['section']>): bigint | undefined {
  if (probes && probes.type !== 8 && sema >= probes.addr && sema + 2n <= probes.addr + BigInt(probes.size)) {
    return sema - probes.addr + BigInt(probes.offset);
  }
  for (const p of elf.programHeaders) {
    if (p.type !== PT_LOAD) continue;
    if (sema >= p.vaddr && sema + 2n <= p.vaddr + p.filesz) return sema - p.vaddr + p.offset;
  }
  return undefined;
}
