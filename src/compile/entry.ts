/**
 * `$entry(param)` and `$latency` in return probes: an entry program stashes, per thread, the
 * parameters the return program needs and the entry timestamp; the return program loads them.
 *
 *   map:   hash, key = u32 thread id, value = [u64 entry ns][u64 param]…
 *   entry: value = {ktime, params…}; map_update(tid, value)
 *   return: v = map_lookup(tid); no entry ⇒ skip the event; copy v to the stack; map_delete(tid)
 *
 * Unlike BCC, the entry is deleted at return, so stale values never leak into later calls (and
 * the map does not fill up). Recursion keeps only the innermost call, as in BCC.
 */
import { walk } from '../specs/walk.js';
import type { Expr } from '../specs/ast.js';
import type { ProgramBuilder } from '../emit/builder.js';
import { call, jmp, ldx, stx, R0, R1, FP, type Insn, type Label } from '../emit/asm.js';
import { Helper } from '../emit/helpers.gen.js';
import { MapType, type MapSpec } from '../emit/types.js';
import { checkExpr, requireScalar, type TypedExpr } from './check.js';
import { kernelProto, type MemSpace, type ProbeContext } from './context.js';
import { Lowerer } from './lower.js';
import { mapDelete, mapLookup, mapUpdate } from './map-calls.js';
import type { CType } from './types.js';

export interface EntryParam {
  readonly name: string;
  readonly type: CType;
  readonly space: MemSpace;
  /** The parameter as the entry probe reads it. */
  readonly atEntry: TypedExpr;
}

export class EntryValues {
  /** Where the return program copied the stashed value (FP-relative), set by emitEntryLoad. */
  stackOffset: number | undefined;
  readonly paramOffsets: readonly number[];
  readonly latencyOffset: number | undefined;
  readonly valueSize: number;

  constructor(
    readonly map: MapSpec,
    readonly params: readonly EntryParam[],
    /** Every parameter name the entry probe knows (for messages). */
    readonly available: readonly string[],
    readonly latency: boolean,
  ) {
    let off = 0;
    if (latency) {
      this.latencyOffset = 0;
      off = 8;
    } else {
      this.latencyOffset = undefined;
    }
    this.paramOffsets = params.map((_, i) => off + 8 * i);
    this.valueSize = Math.max(8, off + 8 * params.length);
  }

  /** True when the return program needs an entry program at all. */
  get needed(): boolean {
    return this.latency || this.params.length > 0;
  }
}

export interface EntryNeedsOptions {
  /** Map name, unique per probe (≤ 15 characters). Default `entry_vals`. */
  readonly mapName?: string;
  readonly maxEntries?: number;
  /** Stash the timestamp even if no expression says $latency (funclatency-style tools). */
  readonly latency?: boolean;
}

/**
 * What the entry program must stash for `exprs` (the return probe's expressions and filter).
 * `entryCtx` is the context at function entry (signature, BTF). Unknown `$entry(x)` names are
 * left out here: checking the expressions against the return context reports them.
 */
export function entryNeeds(exprs: readonly (Expr | undefined)[], entryCtx: ProbeContext, opts: EntryNeedsOptions = {}): EntryValues {
  const names: string[] = [];
  let latency = opts.latency ?? false;
  for (const e of exprs) {
    if (!e) continue;
    walk(e, (x) => {
      if (x.kind === 'latency') latency = true;
      if (x.kind === 'entry' && !names.includes(x.name)) names.push(x.name);
    });
  }
  const available = entryParamNames(entryCtx);
  const params: EntryParam[] = [];
  for (const name of names) {
    if (!available.includes(name)) continue;
    const atEntry = checkExpr({ kind: 'ident', name, span: { start: 0, end: 0 } }, entryCtx);
    requireScalar(atEntry, `$entry(${name})`);
    params.push({ name, type: atEntry.type, space: atEntry.space, atEntry });
  }
  const map: MapSpec = {
    name: opts.mapName ?? 'entry_vals',
    type: MapType.Hash,
    keySize: 4,
    valueSize: Math.max(8, (latency ? 8 : 0) + 8 * params.length),
    maxEntries: opts.maxEntries ?? 10240,
  };
  return new EntryValues(map, params, available, latency);
}

/** The map key of the current thread: its id (the low half of pid_tgid) at FP + key. */
function threadKey(key: number): Insn[] {
  return [call(Helper.GetCurrentPidTgid), stx('W', FP, key, R0)];
}

function entryParamNames(ctx: ProbeContext): string[] {
  if (ctx.signature && ctx.signature.length > 0) return ctx.signature.map((p) => p.name);
  return (
    kernelProto(ctx)
      ?.params.map((p) => p.name)
      .filter((n) => n !== '') ?? []
  );
}

/** Entry side: store {now, params…} under the current thread id. Clobbers R0–R5. */
export function emitEntryStash(b: ProgramBuilder, entryCtx: ProbeContext, needs: EntryValues): void {
  if (!needs.needed) return;
  const lower = new Lowerer(b, entryCtx);
  const val = b.stackAlloc(needs.valueSize);
  const key = b.stackAlloc(8);
  needs.params.forEach((p, i) => {
    lower.scalar(p.atEntry, R0);
    b.emit(stx('DW', FP, val + needs.paramOffsets[i]!, R0, `$entry(${p.name})`));
  });
  if (needs.latencyOffset !== undefined) {
    b.emit(call(Helper.KtimeGetNs), stx('DW', FP, val + needs.latencyOffset, R0));
  }
  const map = b.map(needs.map);
  b.emit(...threadKey(key), ...mapUpdate(map, key, val, 0));
}

/**
 * Return side: copy this thread's stashed values to the stack (where `$entry`/`$latency` lower
 * to loads) and delete the entry; jump to `missingLabel` when there is none. Clobbers R0–R5.
 */
export function emitEntryLoad(b: ProgramBuilder, needs: EntryValues, missingLabel: Label): void {
  if (!needs.needed) return;
  const frame = b.stackAlloc(needs.valueSize);
  const key = b.stackAlloc(8);
  const map = b.map(needs.map);
  b.emit(...threadKey(key), ...mapLookup(map, key), jmp.jeq.imm(R0, 0, missingLabel, 'no entry: skip'));
  for (let i = 0; i < needs.valueSize; i += 8) b.emit(ldx('DW', R1, R0, i), stx('DW', FP, frame + i, R1));
  b.emit(...mapDelete(map, key));
  needs.stackOffset = frame;
}
