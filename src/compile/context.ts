/**
 * Where values live at a probe. A ProbeContext tells the checker what an expression may name
 * (argN, retval, signature and BTF parameter names, args->field, ctx) and tells the lowerer
 * where each of those is when the program runs (an ArgLocation).
 *
 *   kprobe/uprobe (+ret)   ctx = struct pt_regs *      argN, retval in register slots
 *   fentry/fexit           ctx = u64 args[]            argN at 8*(N-1); fexit retval after the args
 *   raw_tracepoint         ctx = u64 args[]            argN at 8*(N-1); args->name typed from BTF
 *   tracepoint             ctx = the record            args->field at the field's offset
 *   usdt                   ctx = struct pt_regs *      argN per the note (register, constant, memory)
 */
import { CheckError } from '../errors.js';
import type { BtfSpec } from '../btf/index.js';
import { funcProto, tracepointProto, type FuncProto, type TracepointProto } from '../btf/func.js';
import type { Param } from '../specs/ast.js';
import type { TracepointField } from '../symbols/tracefs.js';
import { SYSCALL_WRAPPER_RE } from '../symbols/syscalls.js';
import type { UsdtArg } from '../symbols/usdt/types.js';
import type { IntSize } from './types.js';
import type { UserTypes } from './usertypes.js';
import { BUILTIN_USER_TYPES } from './usertypes.js';
import type { EntryValues } from './entry.js';
import type { MacroScope } from './macros/scope.js';
import { hostArch, PT_REGS, type Arch } from '../symbols/arch.js';

export type ProbeSite =
  | { readonly kind: 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe'; readonly symbol?: string }
  | { readonly kind: 'fentry' | 'fexit'; readonly symbol: string }
  | { readonly kind: 'tracepoint'; readonly category: string; readonly event: string; readonly fields: readonly TracepointField[] }
  | { readonly kind: 'usdt'; readonly args: readonly UsdtArg[] }
  /**
   * ctx = u64 args[]; `nargs` bounds argN when known. `name` is the kernel's tracepoint: where
   * BTF has its `btf_trace_<name>`, `args->arg` reads its arguments named and typed (see
   * `rawTracepointProto`). Without a name (tests, BPF_PROG_TEST_RUN) only argN.
   */
  | { readonly kind: 'raw_tracepoint'; readonly name?: string; readonly nargs?: number };

export type SiteKind = ProbeSite['kind'];
export type { Arch };

export interface ProbeContext {
  readonly site: ProbeSite;
  /** Written by the user: names → argN, types override BTF. */
  readonly signature?: readonly Param[];
  /** Kernel BTF, for casts, members, `$task`, named args of kernel functions. */
  readonly btf?: BtfSpec;
  /** User-space C types (built-ins and -I headers). */
  readonly userTypes?: UserTypes;
  /** uprobe/usdt: dereferences read user memory. */
  readonly userMemory: boolean;
  /** Return probes: values stashed by the entry probe ($entry(x), $latency). */
  readonly entry?: EntryValues;
  /** Register layout; defaults to the host's. */
  readonly arch?: Arch;
  /** Constants and member aliases (`O_CREAT`, `sk->sk_dport`); defaults to `defaultMacros`. */
  readonly macros?: MacroScope;
}

/** The registers' places in struct pt_regs, one row per architecture (`symbols/arch.ts`). */
export { PT_REGS, hostArch, type RegLayout } from '../symbols/arch.js';

export type MemSpace = 'user' | 'kernel';

/** Where a scalar lives when the program runs (libbpf's usdt_arg_spec, generalised). */
export type ArgLocation =
  /** `size` bytes at ctx + offset, loaded directly (pt_regs slot, args[] slot, tracepoint field). */
  | { readonly kind: 'ctx'; readonly offset: number; readonly size: IntSize; readonly signed: boolean }
  | { readonly kind: 'const'; readonly value: bigint; readonly size: IntSize; readonly signed: boolean }
  /** Memory at (u64 at ctx + baseOffset) + disp, read with a probe read. */
  | { readonly kind: 'deref'; readonly baseOffset: number; readonly disp: number; readonly size: IntSize; readonly signed: boolean; readonly space: MemSpace }
  /** Memory at base + index * scale + disp (both registers are ctx slots). */
  | {
      readonly kind: 'sib';
      readonly baseOffset: number;
      readonly indexOffset: number;
      readonly scale: 1 | 2 | 4 | 8;
      readonly disp: number;
      readonly size: IntSize;
      readonly signed: boolean;
      readonly space: MemSpace;
    };

export function isReturnSite(site: ProbeSite): boolean {
  return site.kind === 'kretprobe' || site.kind === 'uretprobe' || site.kind === 'fexit';
}

export function isPtRegsSite(site: ProbeSite): boolean {
  return site.kind === 'kprobe' || site.kind === 'kretprobe' || site.kind === 'uprobe' || site.kind === 'uretprobe' || site.kind === 'usdt';
}

/** Syscall wrappers take `struct pt_regs *regs` and read the real arguments from it (`SYSCALL_WRAPPERS`). */
export function isSyscallWrapper(symbol: string | undefined): boolean {
  return symbol !== undefined && (SYSCALL_WRAPPER_RE.test(symbol) || symbol.startsWith('__se_sys_'));
}

/** The BTF prototype of the probed kernel function, when there is one. */
export function kernelProto(ctx: ProbeContext): FuncProto | undefined {
  const s = ctx.site;
  if (s.kind !== 'kprobe' && s.kind !== 'kretprobe' && s.kind !== 'fentry' && s.kind !== 'fexit') return undefined;
  if (!s.symbol || !ctx.btf) return undefined;
  const cache = protoCache(ctx.btf);
  if (cache.has(s.symbol)) return cache.get(s.symbol);
  let p: FuncProto | undefined;
  const base = s.symbol.replace(/\.(isra|constprop|part|cold|llvm)\.\d+.*$/, '');
  // A syscall wrapper's own prototype is (struct pt_regs *): the typed one is __do_sys_<name>.
  const wrapped = isSyscallWrapper(base) ? base.replace(SYSCALL_WRAPPER_RE, '').replace(/^__se_sys_/, '') : undefined;
  for (const name of wrapped ? [`__do_sys_${wrapped}`, `__se_sys_${wrapped}`] : [base]) {
    try {
      p = funcProto(ctx.btf, name);
      break;
    } catch {
      p = undefined;
    }
  }
  cache.set(s.symbol, p);
  return p;
}
/**
 * The BTF prototype of a raw tracepoint site's tracepoint (`btf_trace_<name>`, its arguments
 * named from the tracepoint's probe stub), when BTF describes it.
 */
export function rawTracepointProto(ctx: ProbeContext): TracepointProto | undefined {
  const s = ctx.site;
  if (s.kind !== 'raw_tracepoint' || s.name === undefined || !ctx.btf) return undefined;
  let m = tpCaches.get(ctx.btf);
  if (!m) tpCaches.set(ctx.btf, (m = new Map()));
  if (!m.has(s.name)) m.set(s.name, tracepointProto(ctx.btf, s.name));
  return m.get(s.name);
}
const tpCaches = new WeakMap<BtfSpec, Map<string, TracepointProto | undefined>>();
const protoCaches = new WeakMap<BtfSpec, Map<string, FuncProto | undefined>>();
function protoCache(btf: BtfSpec): Map<string, FuncProto | undefined> {
  let m = protoCaches.get(btf);
  if (!m) protoCaches.set(btf, (m = new Map()));
  return m;
}

/**
 * Where argN (1-based) is, as a 64-bit slot. Types are applied by the checker. Throws
 * CheckError (without a span: the checker adds it) when the site has no such argument.
 */
export function argLocation(ctx: ProbeContext, n: number): ArgLocation {
  const s = ctx.site;
  const arch = ctx.arch ?? hostArch();
  const regs = PT_REGS[arch];
  switch (s.kind) {
    case 'kprobe':
    case 'uprobe': {
      if (s.kind === 'kprobe' && isSyscallWrapper(s.symbol)) {
        if (n > 6) throw new CheckError(`arg${n}: system calls take at most 6 arguments`);
        return { kind: 'deref', baseOffset: regs.args[0]!, disp: regs.args[n - 1]!, size: 8, signed: false, space: 'kernel' };
      }
      if (n <= regs.args.length) return { kind: 'ctx', offset: regs.args[n - 1]!, size: 8, signed: false };
      return {
        kind: 'deref',
        baseOffset: regs.sp,
        disp: regs.stackArgBase + 8 * (n - 1 - regs.args.length),
        size: 8,
        signed: false,
        space: s.kind === 'uprobe' ? 'user' : 'kernel',
      };
    }
    case 'kretprobe':
    case 'uretprobe':
      throw new CheckError(`arg${n} is not available in a return probe: the argument registers are gone at return`, [
        'save it at entry with $entry(name) (argdist), or probe the entry instead',
      ]);
    case 'fentry':
    case 'fexit':
      // A trampoline passes the wrapper's own argument, `struct pt_regs *regs`: the system
      // call's arguments are in the registers it points at, as for a kprobe on the wrapper.
      if (isSyscallWrapper(s.symbol)) {
        if (n > 6) throw new CheckError(`arg${n}: system calls take at most 6 arguments`);
        return { kind: 'deref', baseOffset: 0, disp: regs.args[n - 1]!, size: 8, signed: false, space: 'kernel' };
      }
      if (n > 12) throw new CheckError(`arg${n}: BPF trampolines pass at most 12 arguments`);
      return { kind: 'ctx', offset: 8 * (n - 1), size: 8, signed: false };
    case 'raw_tracepoint':
      if (n > (s.nargs ?? 12)) throw new CheckError(`arg${n}: ${s.name ?? 'the raw tracepoint'} has ${s.nargs ?? 12} arguments`);
      return { kind: 'ctx', offset: 8 * (n - 1), size: 8, signed: false };
    case 'tracepoint':
      throw new CheckError(`arg${n} is not available on a tracepoint`, ["use args->field: the fields are in the tracepoint's format file"]);
    case 'usdt': {
      const a = s.args[n - 1];
      if (!a) throw new CheckError(`arg${n}: this USDT probe has ${s.args.length} argument${s.args.length === 1 ? '' : 's'}`);
      switch (a.kind) {
        case 'reg':
          // A narrower alias reads the low bytes of the slot (little-endian): same offset.
          return { kind: 'ctx', offset: a.ptRegsOffset, size: a.size, signed: a.signed };
        case 'const':
          return { kind: 'const', value: a.value, size: a.size, signed: a.signed };
        case 'deref':
          if (a.symbol !== undefined) {
            throw new CheckError(`arg${n}: USDT argument at ${a.symbol}(%rip) is not supported yet`);
          }
          return { kind: 'deref', baseOffset: a.base.ptRegsOffset, disp: a.disp, size: a.size, signed: a.signed, space: 'user' };
        case 'sib':
          return {
            kind: 'sib',
            baseOffset: a.base.ptRegsOffset,
            indexOffset: a.index.ptRegsOffset,
            scale: a.scale,
            disp: a.disp,
            size: a.size,
            signed: a.signed,
            space: 'user',
          };
      }
    }
  }
}

/** Where the return value is (u64 slot); CheckError when the site has none. */
export function retvalLocation(ctx: ProbeContext): ArgLocation {
  const s = ctx.site;
  const regs = PT_REGS[ctx.arch ?? hostArch()];
  switch (s.kind) {
    case 'kretprobe':
    case 'uretprobe':
      return { kind: 'ctx', offset: regs.ret, size: 8, signed: false };
    case 'fexit': {
      // The return value follows the traced function's own arguments in the trampoline's
      // context; a syscall wrapper has one (regs), whatever the typed __do_sys_ prototype says.
      const nparams = isSyscallWrapper(s.symbol) ? 1 : kernelProto(ctx)?.params.length;
      if (nparams === undefined) throw new CheckError(`retval: no BTF prototype for ${s.symbol}`);
      return { kind: 'ctx', offset: 8 * nparams, size: 8, signed: false };
    }
    default:
      throw new CheckError('retval is only available in return probes (r:…)', ['probe the return with r:: instead of p::']);
  }
}

/** Kernel BTF, or how to get it when first needed (loading it costs start-up time). */
export type BtfSource = BtfSpec | (() => BtfSpec | undefined);

export interface ProbeContextOptions {
  readonly signature?: readonly Param[];
  readonly btf?: BtfSource;
  readonly userTypes?: UserTypes;
  readonly entry?: EntryValues;
  readonly arch?: Arch;
  readonly macros?: MacroScope;
}

/**
 * A ProbeContext for a site: user probes (uprobe, uretprobe, USDT) read user memory and get the
 * built-in user types; kernel probes read kernel memory. BTF is kept for every site (`$task`,
 * casts to kernel structs), but only kernel sites take parameter names from it.
 */
export function probeContext(site: ProbeSite, opts: ProbeContextOptions = {}): ProbeContext {
  const userMemory = site.kind === 'uprobe' || site.kind === 'uretprobe' || site.kind === 'usdt';
  const c: {
    -readonly [K in keyof ProbeContext]: ProbeContext[K];
  } = { site, userMemory, userTypes: opts.userTypes ?? BUILTIN_USER_TYPES };
  if (opts.signature) c.signature = opts.signature;
  const btf = opts.btf;
  if (typeof btf === 'function') {
    // Asked for only when an expression needs a kernel type: a probe that needs none runs
    // without BTF (and without paying for loading it).
    let loaded: { spec: BtfSpec | undefined } | undefined;
    Object.defineProperty(c, 'btf', { enumerable: true, get: () => (loaded ??= { spec: btf() }).spec });
  } else if (btf) {
    c.btf = btf;
  }
  if (opts.entry) c.entry = opts.entry;
  if (opts.arch) c.arch = opts.arch;
  if (opts.macros) c.macros = opts.macros;
  return c;
}

/** The context an entry probe runs in, for a return site (kretprobe → kprobe, …). */
export function entrySite(site: ProbeSite): ProbeSite {
  switch (site.kind) {
    case 'kretprobe':
      return site.symbol === undefined ? { kind: 'kprobe' } : { kind: 'kprobe', symbol: site.symbol };
    case 'uretprobe':
      return site.symbol === undefined ? { kind: 'uprobe' } : { kind: 'uprobe', symbol: site.symbol };
    case 'fexit':
      return { kind: 'fentry', symbol: site.symbol };
    default:
      return site;
  }
}
