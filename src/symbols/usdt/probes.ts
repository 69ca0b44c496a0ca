/**
 * USDT probes of one ELF file, grouped by `provider:name`. One probe may have many sites (each
 * inlined copy of the call is its own note), each with its own argument locations.
 */
import type { ElfFile } from '../elf.js';
import { usdtNotes } from './note.js';
import { elfArch } from '../arch.js';
import { hostUsdtArch, parseUsdtArgs, UsdtSpecError, type UsdtArch, type UsdtArg } from './args.js';

export interface UsdtSite {
  /** Link-time address of the probe site (after the prelink adjustment). */
  readonly pc: bigint;
  readonly fileOffset: bigint;
  readonly semaphore?: bigint;
  readonly semaphoreFileOffset?: bigint;
  /** The argument string as written in the note. */
  readonly argSpec: string;
  /** Parsed arguments; empty when `error` is set. */
  readonly args: readonly UsdtArg[];
  /** Set when the argument string does not parse: a probe that uses arguments must report it. */
  readonly error?: UsdtSpecError;
}

export interface UsdtProbe {
  readonly provider: string;
  readonly name: string;
  readonly sites: readonly UsdtSite[];
}

/**
 * Probes in note order; sites in note order. The operands are read in the file's own
 * architecture (its e_machine), else this machine's.
 */
export function usdtProbes(elf: ElfFile, arch: UsdtArch = elfArch(elf.header.machine) ?? hostUsdtArch()): UsdtProbe[] {
  const byKey = new Map<string, { provider: string; name: string; sites: UsdtSite[] }>();
  for (const n of usdtNotes(elf)) {
    const key = `${n.provider}:${n.name}`;
    let p = byKey.get(key);
    if (!p) byKey.set(key, (p = { provider: n.provider, name: n.name, sites: [] }));
    let args: UsdtArg[] = [];
    let error: UsdtSpecError | undefined;
    try {
      args = parseUsdtArgs(n.args, arch, key);
    } catch (e) {
      if (!(e instanceof UsdtSpecError)) throw e;
      error = e;
    }
    const site: UsdtSite = { pc: n.pc, fileOffset: n.fileOffset, argSpec: n.args, args };
    p.sites.push({
      ...site,
      ...(n.semaphore !== 0n ? { semaphore: n.semaphore, semaphoreFileOffset: n.semaphoreFileOffset } : {}),
      ...(error ? { error } : {}),
    });
  }
  return [...byKey.values()];
}

/** Finds probes by `name` or `provider:name` (BCC `enable_probe`). */
export function findUsdtProbes(probes: readonly UsdtProbe[], spec: string): UsdtProbe[] {
  const colon = spec.indexOf(':');
  if (colon >= 0) {
    const provider = spec.slice(0, colon);
    const name = spec.slice(colon + 1);
    return probes.filter((p) => p.provider === provider && p.name === name);
  }
  return probes.filter((p) => p.name === spec);
}
