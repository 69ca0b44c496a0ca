/**
 * `--dump=ast,resolved,ir,asm`: every stage printed the same way by every tool. Structures
 * are pretty JSON with one convention for u64s (bigint): hex, `"0x1f"` (addresses, offsets and
 * literals alike); programs print as IR (emit/ir.ts: symbolic, with maps and comments) or as
 * assembly (bpftool's xlated text).
 */
import { disasm } from '../emit/disasm.js';
import { formatIr } from '../emit/ir.js';
import type { ProgramSpec } from '../emit/types.js';
import { out } from '../report/lifecycle.js';
import type { ResolvedProbe } from '../probes/provider.js';

export const DUMP_STAGES = ['ast', 'resolved', 'ir', 'asm'] as const;
export type DumpStage = (typeof DUMP_STAGES)[number];

/** Pretty JSON with bigints in hex. */
export function dumpText(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v < 0n ? '-' : ''}0x${(v < 0n ? -v : v).toString(16)}` : v), 2)}\n`;
}

/**
 * The programs as `--dump` asks for them (`ir` and/or `asm`; `asm` also for the tools' own
 * -v/-D/--ebpf), in load order; '' when neither. `note` adds to each `; program NAME` line.
 */
export function dumpPrograms(specs: readonly ProgramSpec[], stages: readonly string[], o: { asm?: boolean; note?: string } = {}): string {
  let text = '';
  const note = o.note ? ` (${o.note})` : '';
  if (stages.includes('ir')) for (const s of specs) text += `; ir ${s.name}${note}\n${formatIr(s)}\n`;
  if (stages.includes('asm') || o.asm) for (const s of specs) text += `; program ${s.name}${note}\n${disasm(s.insns)}\n`;
  return text;
}

/**
 * `--dump=resolved`, the same shape for every tool: each probe as written, and where its
 * provider resolved it (the target, the site its expressions were checked against, entry or
 * return), with whatever the tool laid out for it (trace's record layout).
 */
export interface ResolvedDump {
  readonly probe: string;
  readonly resolved: readonly ResolvedProbe[];
  readonly layout?: unknown;
  /** The constants and member aliases its expressions used, each with the source that answered. */
  readonly names?: readonly unknown[];
}

export function dumpResolved(stages: readonly string[], entries: readonly ResolvedDump[]): Promise<void> {
  return dumpStage(
    stages,
    'resolved',
    entries.map((e) => ({
      probe: e.probe,
      resolved: e.resolved.map((r) => ({ target: r.target, site: r.site, ret: r.ret })),
      ...(e.layout !== undefined ? { layout: e.layout } : {}),
      ...(e.names?.length ? { names: dedupe(e.names) } : {}),
    })),
  );
}

/** Each name once (a probe checked at several sites asks again). */
function dedupe(names: readonly unknown[]): unknown[] {
  const seen = new Set<string>();
  return names.filter((n) => {
    const k = JSON.stringify(n, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Prints `value` when `--dump` asked for `stage`. */
export async function dumpStage(stages: readonly string[], stage: 'ast' | 'resolved', value: unknown): Promise<void> {
  if (stages.includes(stage)) await out(dumpText(value));
}

/** Prints the programs as `--dump` (and -v/-D/--ebpf, as `asm`) asks for them. */
export async function dumpProgramStages(specs: readonly ProgramSpec[], stages: readonly string[], o: { asm?: boolean; note?: string } = {}): Promise<void> {
  const text = dumpPrograms(specs, stages, o);
  if (text) await out(text);
}
