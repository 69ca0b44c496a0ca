/**
 * What providers read of the host, behind one interface: tracefs (tracepoint names and
 * formats), ELF files and USDT notes, library name resolution, the kernel's functions and
 * which mechanisms it offers for them, and BTF. Resolving, listing (`polytrace list`) and
 * completing all read through it. The live implementation is `pipeline/host.ts`; tests give
 * a fixture (test/helpers/probe-host.ts), so planning a command line, listing and completing
 * need no kernel.
 */
import type { BtfSpec } from '../btf/index.js';
import type { ElfFile, ElfSymbol } from '../symbols/elf.js';
import type { ResolvedLibrary } from '../symbols/library.js';
import type { TracepointFormat, TracepointName } from '../symbols/tracefs.js';
import type { UsdtProbe } from '../symbols/usdt/probes.js';

/** How the kernel lets us attach to its functions, decided once per run from feature probes. */
export type KernelFunctionMechanism =
  /** One kprobe_multi link for every function of a probe (5.18+ with CONFIG_FPROBE); pt_regs. */
  | 'kprobe_multi'
  /** A kprobe per function (kprobe PMU, else tracefs kprobe_events); pt_regs. */
  | 'kprobe'
  /** BPF trampolines: the program sees the function's arguments as u64s. */
  | 'fentry';

/**
 * How uprobes and USDT sites are attached, decided once per run: one uprobe_multi link per
 * file (6.6+), else a perf event per site.
 */
export type UserProbeMechanism = 'uprobe_multi' | 'perf_event';

export interface KernelFunctionSupport {
  /** undefined when the kernel offers neither; `why` then says what is missing. */
  readonly mechanism?: KernelFunctionMechanism;
  readonly why: { readonly kprobes: string; readonly fentry: string };
}

export interface ProbeHost {
  /** The tracefs root (mounted first when root and missing). */
  tracefs(): string;
  /** Every tracepoint directory (category, event). */
  tracepoints(): readonly TracepointName[];
  /** Does this tracepoint exist (with an id we can attach to)? */
  hasTracepoint(category: string, event: string): boolean;
  tracepointFormat(category: string, event: string): TracepointFormat;
  /** Can programs be opened at raw tracepoints (feature raw_tracepoint)? Decided once per run. */
  rawTracepoints(): boolean;
  /**
   * Why raw tracepoints cannot be used ('' when they can), for probes that ask for them by
   * name (`rawtracepoint:NAME`) and have no fallback.
   */
  whyNoRawTracepoints(): string;
  /**
   * Can one program at raw sys_enter/sys_exit count syscalls:* events: the kernel saves where
   * the syscall number and the compat (32-bit) flag are known (BTF, else this architecture's
   * fixed layout)? Asked only when a syscalls:* event would take a raw tracepoint.
   */
  syscallFamilies(): boolean;
  /**
   * tracefs events that are not tracepoints of their own, as `category:event`: kprobe,
   * uprobe, synthetic and other dynamic events (tracefs dynamic_events). A raw tracepoint
   * of the same name would be another event.
   */
  dynamicEvents(): ReadonlySet<string>;
  /** A library or binary named as BCC's tools name them (`c`, a path, a name on PATH). */
  library(name: string, pid?: number): ResolvedLibrary;
  /** The binary that holds a USDT probe named by `name` (a path, a library, a program). */
  usdtBinary(name: string, pid?: number): ResolvedLibrary;
  elf(path: string): ElfFile;
  /** How uprobes and USDT sites attach here. */
  userProbeMechanism(): UserProbeMechanism;
  /**
   * The vaddr (in the file at `path`) of the implementation the IFUNC symbol `sym` resolves to
   * on this host (`strlen` → `__strlen_avx2`); undefined when that cannot be known here.
   */
  ifuncImplementation(path: string, sym: ElfSymbol): bigint | undefined;
  /** A note for the user (stderr), about how a probe was resolved; each text once per host. */
  note(text: string): void;
  usdtProbes(path: string): readonly UsdtProbe[];
  /** Which mechanism serves kernel functions here. */
  kernelFunctionSupport(): KernelFunctionSupport;
  /**
   * Why kprobes and fentry/fexit each cannot attach here ('' when they can), both asked (where
   * `kernelFunctionSupport` stops at the first that works): what `polytrace list` offers.
   */
  kernelFunctionMechanisms(): KernelFunctionSupport['why'];
  /** Where `kernelFunctions` reads names (`<tracefs>/available_filter_functions`, `kallsyms ∩ BTF`), for messages. */
  kernelFunctionSource(): string;
  /**
   * Kernel functions matching `re` that the tools may probe (ftrace's list, else kallsyms ∩
   * BTF; minus the kprobe blacklist and BCC-denied names), in the kernel's order.
   * `literal`, when the pattern names one function, is also looked up in kallsyms (a syscall
   * wrapper ftrace does not list may still take a kprobe).
   */
  kernelFunctions(re: RegExp, literal?: string): string[];
  /** Does BTF (vmlinux's or a loaded module's) describe this function? */
  kernelFunctionHasBtf(name: string): boolean;
  /** BTF to type a probe with: the kernel function's own (a module's), else vmlinux's; undefined without BTF. */
  kernelBtf(functionName?: string): BtfSpec | undefined;
}
