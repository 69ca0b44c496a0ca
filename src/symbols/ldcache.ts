/**
 * `/etc/ld.so.cache` reader, both formats glibc has written:
 *
 *   old  "ld.so-1.7.0": magic[12], nlibs u32, nlibs × { flags i32, key u32, value u32 },
 *        then strings; offsets are relative to the first byte after the entries.
 *   new  "glibc-ld.so.cache" "1.1": magic[17] version[3], nlibs u32, len_strings u32, flags u8,
 *        pad[3], extension_offset u32, unused[3] u32, then nlibs × { flags i32, key u32,
 *        value u32, osversion u32, hwcap u64 }; offsets are relative to the new header.
 *
 * glibc 2.31 and older wrote the old format followed by the new one (8-byte aligned); the
 * reader prefers the embedded new table, as the dynamic loader does. Entry order is kept: it is
 * the order `ldconfig -p` prints and the order BCC's first-match rule depends on.
 */
import { readFileSync, statSync } from 'node:fs';
import { FormatError } from '../errors.js';

export interface LdCacheEntry {
  /** e.g. `libc.so.6` */
  readonly name: string;
  /** e.g. `/lib/x86_64-linux-gnu/libc.so.6` */
  readonly path: string;
  readonly flags: number;
  readonly osVersion: number;
  readonly hwcap: bigint;
}

export interface LdCache {
  readonly format: 'old' | 'new';
  readonly entries: readonly LdCacheEntry[];
  /** "ldconfig (Debian GLIBC 2.36-9) ..." from the generator extension, when present. */
  readonly generator?: string;
}

export const FLAG_TYPE_MASK = 0x00ff;
export const FLAG_ELF_LIBC6 = 0x0003;
export const FLAG_REQUIRED_MASK = 0xff00;
export const FLAG_X8664_LIB64 = 0x0300;
export const FLAG_AARCH64_LIB64 = 0x0a00;

const TYPE_NAMES: Record<number, string> = { 0: 'libc4', 1: 'ELF', 2: 'libc5', 3: 'libc6' };
const ABI_NAMES: Record<number, string> = {
  256: 'SPARC 64-bit',
  512: 'IA-64',
  768: 'x86-64',
  1024: '64bit',
  1280: '64bit',
  1536: 'N32',
  1792: '64bit',
  2048: 'x32',
  2304: 'hard-float',
  2560: 'AArch64',
  2816: 'soft-float',
  3072: 'nan2008',
  3328: 'N32,nan2008',
  3584: '64bit,nan2008',
  3840: 'soft-float',
  4096: 'double-float',
  4352: 'soft-float',
  4608: 'double-float',
};
/** ABI flags of 64-bit libraries (BCC `match_so_flags`). */
const ABI_64 = new Set([0x0100, 0x0200, 0x0300, 0x0400, 0x0500, 0x0a00]);

const OLD_MAGIC = 'ld.so-1.7.0';
const NEW_MAGIC = 'glibc-ld.so.cache1.1';
const EXT_MAGIC = 0xeaa42174;

function ascii(b: Uint8Array, off: number, len: number): string {
  return String.fromCharCode(...b.subarray(off, off + len));
}

function cstr(b: Uint8Array, off: number, what: string): string {
  if (off < 0 || off >= b.length) throw new FormatError(`ld.so.cache: ${what} string offset ${off} out of range`);
  const end = b.indexOf(0, off);
  if (end < 0) throw new FormatError(`ld.so.cache: unterminated ${what} string at ${off}`);
  return Buffer.from(b.subarray(off, end)).toString('utf8');
}

/** Parses ld.so.cache bytes. Throws `FormatError` on anything malformed. */
export function parseLdCache(bytes: Uint8Array): LdCache {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (off: number, len: number, what: string): void => {
    if (off + len > bytes.length) throw new FormatError(`ld.so.cache truncated: ${what} needs bytes up to ${off + len}, file has ${bytes.length}`);
  };
  let newStart = -1;
  if (bytes.length >= 20 && ascii(bytes, 0, 20) === NEW_MAGIC) {
    newStart = 0;
  } else if (bytes.length >= 16 && ascii(bytes, 0, 11) === OLD_MAGIC) {
    const nlibs = dv.getUint32(12, true);
    const entriesEnd = 16 + nlibs * 12;
    need(16, nlibs * 12, 'old entry table');
    const embedded = Math.ceil(entriesEnd / 8) * 8;
    if (embedded + 20 <= bytes.length && ascii(bytes, embedded, 20) === NEW_MAGIC) {
      newStart = embedded;
    } else {
      const entries: LdCacheEntry[] = [];
      const strBase = entriesEnd;
      for (let i = 0; i < nlibs; i++) {
        const o = 16 + i * 12;
        const flags = dv.getInt32(o, true);
        entries.push({
          name: cstr(bytes, strBase + dv.getUint32(o + 4, true), 'key'),
          path: cstr(bytes, strBase + dv.getUint32(o + 8, true), 'value'),
          flags,
          osVersion: 0,
          hwcap: 0n,
        });
      }
      return { format: 'old', entries };
    }
  } else {
    throw new FormatError('not an ld.so.cache file (unknown magic)');
  }

  // New format, in the byte order of the machine that wrote it; glibc only reads a cache of
  // its own architecture, and ours (x86-64, aarch64) are little-endian.
  const h = newStart;
  need(h, 48, 'new header');
  const le = true;
  const nlibs = dv.getUint32(h + 20, le);
  const extOff = dv.getUint32(h + 32, le);
  need(h + 48, nlibs * 24, 'new entry table');
  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const o = h + 48 + i * 24;
    entries.push({
      flags: dv.getInt32(o, le),
      name: cstr(bytes, h + dv.getUint32(o + 4, le), 'key'),
      path: cstr(bytes, h + dv.getUint32(o + 8, le), 'value'),
      osVersion: dv.getUint32(o + 12, le),
      hwcap: dv.getBigUint64(o + 16, le),
    });
  }
  let generator: string | undefined;
  if (extOff !== 0 && h + extOff + 8 <= bytes.length && dv.getUint32(h + extOff, le) === EXT_MAGIC) {
    const count = dv.getUint32(h + extOff + 4, le);
    for (let i = 0; i < count; i++) {
      const s = h + extOff + 8 + i * 16;
      if (s + 16 > bytes.length) break;
      const tag = dv.getUint32(s, le);
      const off = dv.getUint32(s + 8, le);
      const size = dv.getUint32(s + 12, le);
      if (tag === 0 && h + off + size <= bytes.length) {
        generator = Buffer.from(bytes.subarray(h + off, h + off + size)).toString('utf8');
      }
    }
  }
  return generator === undefined ? { format: 'new', entries } : { format: 'new', entries, generator };
}

let cached: { path: string; mtimeMs: number; cache: LdCache } | undefined;

/** Reads and parses `/etc/ld.so.cache` (cached while its mtime does not change). */
export function readLdCache(path = '/etc/ld.so.cache'): LdCache {
  let bytes: Buffer;
  let mtimeMs = 0;
  try {
    mtimeMs = statSync(path).mtimeMs;
    if (cached && cached.path === path && cached.mtimeMs === mtimeMs) return cached.cache;
    bytes = readFileSync(path);
  } catch (e) {
    throw new FormatError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const cache = parseLdCache(bytes);
  cached = { path, mtimeMs, cache };
  return cache;
}

/** `ldconfig -p`'s description of an entry's flags: `libc6,x86-64`, `libc6, hwcap: 0x…`. */
export function describeFlags(e: Pick<LdCacheEntry, 'flags' | 'hwcap' | 'osVersion'>): string {
  let s = TYPE_NAMES[e.flags & FLAG_TYPE_MASK] ?? 'unknown';
  const abi = e.flags & FLAG_REQUIRED_MASK;
  if (abi !== 0) s += `,${ABI_NAMES[abi] ?? `abi 0x${abi.toString(16)}`}`;
  if (e.hwcap !== 0n) s += `, hwcap: 0x${e.hwcap.toString(16).padStart(16, '0')}`;
  if (e.osVersion !== 0) {
    const os = ['Linux', 'Hurd', 'Solaris', 'FreeBSD', 'kNetBSD', 'Syllable'][e.osVersion >>> 24] ?? 'Unknown OS';
    s += `, OS ABI: ${os} ${(e.osVersion >> 16) & 0xff}.${(e.osVersion >> 8) & 0xff}.${e.osVersion & 0xff}`;
  }
  return s;
}

/**
 * BCC's `match_so_flags`: an ELF libc6 library whose ABI width is the host's (64-bit ABI flags
 * on a 64-bit host, none of them on a 32-bit one).
 */
export function matchesHostAbi(flags: number, arch: string = process.arch): boolean {
  if ((flags & FLAG_TYPE_MASK) !== FLAG_ELF_LIBC6) return false;
  const host64 = arch === 'x64' || arch === 'arm64' || arch === 'ppc64' || arch === 's390x' || arch === 'riscv64' || arch === 'loong64' || arch === 'mips64el';
  const abi = flags & FLAG_REQUIRED_MASK;
  return ABI_64.has(abi) ? host64 : !host64;
}
