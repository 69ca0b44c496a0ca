/**
 * USDT argument spec strings → `UsdtArg[]`.
 *
 * A note's argument string is a space-separated list of `[-]SIZE@LOCATION` (sdt.h v3):
 * `-4@%edi 8@-24(%rbp) -4@$5`. This file holds the arch-neutral policy, as libbpf's
 * `parse_usdt_spec` does: splitting, the size (1, 2, 4 or 8 bytes), the sign (a negative size
 * means signed), and the 12-argument limit. The location syntax belongs to each arch
 * (`arch/x64.ts`, `arch/arm64.ts`); every arch is parsed on every host, so all are tested.
 *
 * Old (sdt.h v1/v2) notes may omit the size: such an argument is taken as a signed 8-byte
 * value, as BCC does.
 */
import { assertNever } from '../../errors.js';
import { ARCHES } from '../arch.js';
import { x64Syntax } from './arch/x64.js';
import { arm64Syntax } from './arch/arm64.js';
import { UsdtSpecError, type ArchSyntax, type ArgSize, type UsdtArch, type UsdtArg } from './types.js';

export * from './types.js';

/** bpf_usdt_readarg numbers arguments 1..12 (BCC, libbpf `BPF_USDT_MAX_ARG_CNT`). */
export const USDT_MAX_ARGS = 12;

/** This machine's architecture (`symbols/arch.ts`), when polytrace knows its operands. */
export function hostUsdtArch(arch: string = process.arch): UsdtArch {
  const known = ARCHES.find((a) => a === arch);
  if (known) return known;
  throw new UsdtSpecError(`USDT arguments are not supported on ${arch}`, '', 0);
}

function syntaxOf(arch: UsdtArch): ArchSyntax {
  switch (arch) {
    case 'x64':
      return x64Syntax;
    case 'arm64':
      return arm64Syntax;
    default:
      return assertNever(arch, 'USDT arch');
  }
}

/**
 * Splits an argument string into the arguments' texts. Separators are spaces outside
 * brackets, so arm64's `-4@[sp, 96]` stays one argument.
 */
export function splitUsdtArgs(spec: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of spec) {
    if (ch === '[' || ch === '(') depth++;
    else if (ch === ']' || ch === ')') depth = Math.max(0, depth - 1);
    if ((ch === ' ' || ch === '\t') && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** Parses one argument (`-4@%edi`). `index` and `note` only label errors. */
export function parseUsdtArg(text: string, arch: UsdtArch = hostUsdtArch(), index = 0, note?: string): UsdtArg {
  const at = /^([-+]?\d+)@(.+)$/.exec(text);
  let size: number;
  let loc: string;
  if (at) {
    size = Number(at[1]);
    loc = at[2]!;
  } else {
    size = -8;
    loc = text;
  }
  const signed = size < 0;
  const abs = Math.abs(size);
  if (abs !== 1 && abs !== 2 && abs !== 4 && abs !== 8) throw new UsdtSpecError(`unsupported size ${size} (expected ±1, ±2, ±4 or ±8)`, text, index, note);
  const sz = abs as ArgSize;
  let l;
  try {
    l = syntaxOf(arch).parseLocation(loc.trim());
  } catch (e) {
    throw new UsdtSpecError((e as Error).message, text, index, note);
  }
  switch (l.kind) {
    case 'reg':
      return { kind: 'reg', reg: l.reg.name, ptRegsOffset: l.reg.ptRegsOffset, size: sz, signed };
    case 'const':
      return { kind: 'const', value: l.value, size: sz, signed };
    case 'deref':
      return l.symbol === undefined
        ? { kind: 'deref', base: l.base, disp: l.disp, size: sz, signed }
        : { kind: 'deref', base: l.base, disp: l.disp, symbol: l.symbol, size: sz, signed };
    case 'sib':
      return { kind: 'sib', base: l.base, index: l.index, scale: l.scale, disp: l.disp, size: sz, signed };
    default:
      return assertNever(l, 'USDT location');
  }
}

/** Parses a whole argument string. `note` (e.g. `python:function__entry`) labels errors. */
export function parseUsdtArgs(spec: string, arch: UsdtArch = hostUsdtArch(), note?: string): UsdtArg[] {
  const s = spec.trim();
  // libbpf: an empty string or one starting with ':' (old notes) has no arguments.
  if (s === '' || s.startsWith(':')) return [];
  const parts = splitUsdtArgs(s);
  if (parts.length > USDT_MAX_ARGS) {
    throw new UsdtSpecError(`too many arguments (${parts.length} > ${USDT_MAX_ARGS})`, spec, USDT_MAX_ARGS, note);
  }
  return parts.map((p, i) => parseUsdtArg(p, arch, i, note));
}

/** BCC's C type for an argument (`bcc_usdt_get_probe_argctype`): `int32_t`, `uint64_t`, ... */
export function usdtArgCType(a: Pick<UsdtArg, 'size' | 'signed'>): string {
  return `${a.signed ? '' : 'u'}int${a.size * 8}_t`;
}

/** The canonical text of an argument (for messages and `--dump`), in x86-64 syntax. */
export function formatUsdtArg(a: UsdtArg): string {
  const sz = `${a.signed ? '-' : ''}${a.size}@`;
  switch (a.kind) {
    case 'reg':
      return `${sz}%${a.reg}`;
    case 'const':
      return `${sz}$${a.value}`;
    case 'deref':
      return `${sz}${a.symbol ?? ''}${a.symbol && a.disp > 0 ? '+' : ''}${a.disp !== 0 || !a.symbol ? (a.disp === 0 ? '' : a.disp) : ''}(%${a.base.name})`;
    case 'sib':
      return `${sz}${a.disp === 0 ? '' : a.disp}(%${a.base.name},%${a.index.name},${a.scale})`;
    default:
      return assertNever(a, 'USDT arg');
  }
}
