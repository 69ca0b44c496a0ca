/**
 * `/proc/kallsyms`: `ffffffff81000000 T _text` and `ffffffffc0a01000 t fn\t[module]`.
 *
 * Kernel addresses do not fit a double, so each address is kept as two u32 halves in typed
 * arrays; lookups compare (hi, lo). The text is scanned with indexOf, not per-line regexes:
 * ~200k lines parse in tens of milliseconds. Without root the kernel prints zero addresses
 * (`kptr_restrict`); `addressesHidden` says so and address lookups then return undefined.
 *
 * Names are not split out of the text: each symbol keeps the start and end of its name in the
 * text (two u32s), and a name becomes a string only when asked for. The index is the text
 * (one byte per character) plus 19 bytes per symbol.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { FormatError } from '../errors.js';

export interface KernelSymbol {
  readonly addr: bigint;
  /** The type letter as printed: T/t text, W/w weak, D/d data, B/b bss, R/r rodata, ... */
  readonly type: string;
  readonly name: string;
  /** `ext4` for `[ext4]`; undefined for vmlinux. */
  readonly module?: string;
}

const TEXT_TYPES = new Set(['t', 'T', 'w', 'W']);
const U32 = 0x1_0000_0000n;

export class Kallsyms {
  readonly size: number;
  /** True when every address reads as 0 (not root, or kptr_restrict). */
  readonly addressesHidden: boolean;
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly types: Uint8Array;
  private readonly text: string;
  private readonly nameStart: Uint32Array;
  private readonly nameEnd: Uint32Array;
  /** Index into `moduleNames`, 0 for vmlinux. */
  private readonly module: Uint16Array;
  private readonly moduleNames: readonly (string | undefined)[];
  private nameIndex?: Map<string, number>;

  private constructor(
    text: string,
    a: { hi: Uint32Array; lo: Uint32Array; types: Uint8Array; nameStart: Uint32Array; nameEnd: Uint32Array; module: Uint16Array },
    moduleNames: readonly (string | undefined)[],
  ) {
    this.text = text;
    this.hi = a.hi;
    this.lo = a.lo;
    this.types = a.types;
    this.nameStart = a.nameStart;
    this.nameEnd = a.nameEnd;
    this.module = a.module;
    this.moduleNames = moduleNames;
    this.size = a.hi.length;
    const hi = a.hi;
    const lo = a.lo;
    let hidden = true;
    for (let i = 0; i < hi.length && hidden; i++) if (hi[i] !== 0 || lo[i] !== 0) hidden = false;
    this.addressesHidden = hidden;
  }

  /** Parses kallsyms text. A line that does not parse raises `FormatError` with its number. */
  static parse(text: string): Kallsyms {
    let cap = 1024;
    let a = {
      hi: new Uint32Array(cap),
      lo: new Uint32Array(cap),
      types: new Uint8Array(cap),
      nameStart: new Uint32Array(cap),
      nameEnd: new Uint32Array(cap),
      module: new Uint16Array(cap),
    };
    const moduleNames: (string | undefined)[] = [undefined];
    const moduleIndex = new Map<string, number>();
    let n = 0;
    let pos = 0;
    let lineNo = 0;
    const len = text.length;
    while (pos < len) {
      let eol = text.indexOf('\n', pos);
      if (eol < 0) eol = len;
      lineNo++;
      if (eol > pos) {
        const sp = text.indexOf(' ', pos);
        if (sp < 0 || sp > eol || sp === pos || sp + 3 > eol || text.charCodeAt(sp + 2) !== 32) {
          throw new FormatError(`kallsyms line ${lineNo} does not parse: ${JSON.stringify(text.slice(pos, eol))}`);
        }
        const hexLen = sp - pos;
        let h = 0;
        let l = 0;
        if (hexLen > 8) {
          h = parseHex(text, pos, sp - 8);
          l = parseHex(text, sp - 8, sp);
        } else {
          l = parseHex(text, pos, sp);
        }
        if (h < 0 || l < 0 || hexLen > 16) throw new FormatError(`kallsyms line ${lineNo}: bad address ${JSON.stringify(text.slice(pos, sp))}`);
        // Scan this line only: indexOf would run on to the next tab, lines away.
        let tab = -1;
        for (let j = sp + 3; j < eol; j++) {
          if (text.charCodeAt(j) === 9) {
            tab = j;
            break;
          }
        }
        let nameEnd = eol;
        let mod = 0;
        if (tab >= 0 && tab < eol) {
          nameEnd = tab;
          let m = text.slice(tab + 1, eol).trim();
          if (m.startsWith('[') && m.endsWith(']')) m = m.slice(1, -1);
          let k = moduleIndex.get(m);
          if (k === undefined) {
            k = moduleNames.length;
            if (k > 0xffff) throw new FormatError(`kallsyms line ${lineNo}: more than 65535 modules`);
            moduleNames.push(m);
            moduleIndex.set(m, k);
          }
          mod = k;
        }
        if (n === cap) {
          cap *= 2;
          a = {
            hi: grow(a.hi, cap),
            lo: grow(a.lo, cap),
            types: grow(a.types, cap),
            nameStart: grow(a.nameStart, cap),
            nameEnd: grow(a.nameEnd, cap),
            module: grow(a.module, cap),
          };
        }
        a.hi[n] = h;
        a.lo[n] = l;
        a.types[n] = text.charCodeAt(sp + 1);
        a.nameStart[n] = sp + 3;
        a.nameEnd[n] = nameEnd;
        a.module[n] = mod;
        n++;
      }
      pos = eol + 1;
    }
    const cut = {
      hi: a.hi.slice(0, n),
      lo: a.lo.slice(0, n),
      types: a.types.slice(0, n),
      nameStart: a.nameStart.slice(0, n),
      nameEnd: a.nameEnd.slice(0, n),
      module: a.module.slice(0, n),
    };
    const { hi, lo } = cut;
    // Already sorted in the common case (vmlinux first, then modules); sort only if needed.
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) {
      if (hi[i]! < hi[i - 1]! || (hi[i] === hi[i - 1] && lo[i]! < lo[i - 1]!)) sorted = false;
    }
    if (!sorted) {
      const order = Uint32Array.from({ length: n }, (_, i) => i);
      order.sort((x, y) => hi[x]! - hi[y]! || lo[x]! - lo[y]! || x - y);
      const permute = <T extends Uint32Array | Uint16Array | Uint8Array>(src: T): T => {
        const dst = src.slice() as T;
        for (let i = 0; i < n; i++) dst[i] = src[order[i]!]!;
        return dst;
      };
      return new Kallsyms(
        text,
        {
          hi: permute(hi),
          lo: permute(lo),
          types: permute(cut.types),
          nameStart: permute(cut.nameStart),
          nameEnd: permute(cut.nameEnd),
          module: permute(cut.module),
        },
        moduleNames,
      );
    }
    return new Kallsyms(text, cut, moduleNames);
  }

  static read(path = '/proc/kallsyms'): Kallsyms {
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (e) {
      throw new FormatError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    return Kallsyms.parse(text);
  }

  /** `read`, with the file read off the main thread (the kernel takes tens of ms to print it). */
  static async readAsync(path = '/proc/kallsyms'): Promise<Kallsyms> {
    let text: string;
    try {
      text = await readFile(path, 'latin1');
    } catch (e) {
      throw new FormatError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    return Kallsyms.parse(text);
  }

  /** The name of the i-th symbol (address order). */
  name(i: number): string {
    return this.text.slice(this.nameStart[i]!, this.nameEnd[i]!);
  }

  at(i: number): KernelSymbol {
    const mod = this.moduleNames[this.module[i]!];
    const s = { addr: BigInt(this.hi[i]!) * U32 + BigInt(this.lo[i]!), type: String.fromCharCode(this.types[i]!), name: this.name(i) };
    return mod === undefined ? s : { ...s, module: mod };
  }

  /**
   * The symbol at or below `addr` (the nearest preceding one; kallsyms has no sizes).
   * Among symbols at one address the first listed wins. Undefined below the first symbol or
   * when addresses are hidden.
   */
  lookup(addr: bigint): { name: string; offset: number; module?: string; type: string } | undefined {
    if (this.addressesHidden || addr < 0n) return undefined;
    const h = Number(addr / U32);
    const l = Number(addr % U32);
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const mh = this.hi[mid]!;
      if (mh < h || (mh === h && this.lo[mid]! <= l)) lo = mid + 1;
      else hi = mid;
    }
    let i = lo - 1;
    if (i < 0) return undefined;
    while (i > 0 && this.hi[i - 1] === this.hi[i] && this.lo[i - 1] === this.lo[i]) i--;
    const s = this.at(i);
    const r = { name: s.name, offset: Number(addr - s.addr), type: s.type };
    return s.module === undefined ? r : { ...r, module: s.module };
  }

  private index(): Map<string, number> {
    if (!this.nameIndex) {
      const m = new Map<string, number>();
      for (let i = 0; i < this.size; i++) {
        const name = this.name(i);
        if (!m.has(name)) m.set(name, i);
      }
      this.nameIndex = m;
    }
    return this.nameIndex;
  }

  exists(name: string): boolean {
    return this.index().has(name);
  }

  /** The first symbol of that name. */
  find(name: string): KernelSymbol | undefined {
    const i = this.index().get(name);
    return i === undefined ? undefined : this.at(i);
  }

  /** Text symbols (t, T, w, W), optionally filtered by name, in address order. */
  functions(filter?: RegExp | ((name: string) => boolean)): KernelSymbol[] {
    const ok = filter === undefined ? () => true : filter instanceof RegExp ? (n: string) => filter.test(n) : filter;
    const out: KernelSymbol[] = [];
    for (let i = 0; i < this.size; i++) {
      if (!TEXT_TYPES.has(String.fromCharCode(this.types[i]!))) continue;
      if (ok(this.name(i))) out.push(this.at(i));
    }
    return out;
  }

  *[Symbol.iterator](): Iterator<KernelSymbol> {
    for (let i = 0; i < this.size; i++) yield this.at(i);
  }
}

function grow<T extends Uint32Array | Uint16Array | Uint8Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

/** Parses [start, end) hex digits; -1 on a non-hex character. */
function parseHex(s: string, start: number, end: number): number {
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}
