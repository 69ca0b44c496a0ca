/**
 * The architectures polytrace runs on (issue 19), by Node's `process.arch` names, and what
 * differs between them about registers: one row per architecture, read by everything that
 * needs it (the checker's argN/retval locations, USDT operands, syscall numbers at sys_exit,
 * the register names `--dump` prints). The offsets are those of the kernel's `struct pt_regs`,
 * which kprobes, uprobes and the syscall wrappers see; test/unit/symbols/arch.test.ts checks
 * every one against the BTF of a real kernel of that architecture (fixtures/btf/arch/).
 *
 *   x86-64  arch/x86/include/asm/ptrace.h: r15 … r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss
 *   arm64   arch/arm64/include/asm/ptrace.h: regs[31] (x0 … x30), sp, pc, pstate, orig_x0,
 *           syscallno (s32); the first four are the uapi `struct user_pt_regs`
 */

export type Arch = 'x64' | 'arm64';

export const ARCHES: readonly Arch[] = ['x64', 'arm64'];

/** The architecture of this machine (its kernel's is the one Node was built for); x64 for any other. */
export function hostArch(arch: string = process.arch): Arch {
  return arch === 'arm64' ? 'arm64' : 'x64';
}

/** ELF e_machine → architecture (EM_X86_64 62, EM_AARCH64 183); undefined for others. */
export function elfArch(machine: number): Arch | undefined {
  return machine === 62 ? 'x64' : machine === 183 ? 'arm64' : undefined;
}

/** Byte offsets in `struct pt_regs` that the calling convention gives a meaning. */
export interface RegLayout {
  /** Integer arguments in order (System V: di si dx cx r8 r9; AAPCS64: x0 … x7). */
  readonly args: readonly number[];
  /** The return value (ax; x0). */
  readonly ret: number;
  readonly sp: number;
  readonly ip: number;
  /** Bytes from sp to the first stack-passed argument at function entry (x86: past the return address). */
  readonly stackArgBase: number;
  /** The syscall number the kernel keeps for sys_exit (orig_ax; syscallno, an s32). */
  readonly syscallNr: { readonly offset: number; readonly size: 4 | 8 };
}

const X64_NAMES = [
  'r15',
  'r14',
  'r13',
  'r12',
  'rbp',
  'rbx',
  'r11',
  'r10',
  'r9',
  'r8',
  'rax',
  'rcx',
  'rdx',
  'rsi',
  'rdi',
  'orig_rax',
  'rip',
  'cs',
  'eflags',
  'rsp',
  'ss',
];
const ARM64_NAMES = [...Array.from({ length: 31 }, (_, i) => `x${i}`), 'sp', 'pc', 'pstate', 'orig_x0', 'syscallno'];

/** Each architecture's `struct pt_regs` slots by register name (every slot 8 bytes but syscallno). */
export const PT_REGS_SLOTS: Readonly<Record<Arch, Readonly<Record<string, number>>>> = {
  x64: Object.fromEntries(X64_NAMES.map((n, i) => [n, 8 * i])),
  arm64: Object.fromEntries(ARM64_NAMES.map((n, i) => [n, 8 * i])),
};

const slot = (arch: Arch, name: string): number => PT_REGS_SLOTS[arch][name]!;

export const PT_REGS: Readonly<Record<Arch, RegLayout>> = {
  x64: {
    args: ['rdi', 'rsi', 'rdx', 'rcx', 'r8', 'r9'].map((r) => slot('x64', r)),
    ret: slot('x64', 'rax'),
    sp: slot('x64', 'rsp'),
    ip: slot('x64', 'rip'),
    stackArgBase: 8,
    syscallNr: { offset: slot('x64', 'orig_rax'), size: 8 },
  },
  arm64: {
    args: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => slot('arm64', `x${i}`)),
    ret: slot('arm64', 'x0'),
    sp: slot('arm64', 'sp'),
    ip: slot('arm64', 'pc'),
    stackArgBase: 0,
    syscallNr: { offset: slot('arm64', 'syscallno'), size: 4 },
  },
};

/** The register in the `struct pt_regs` slot at `offset` (`rdi`, `x0`), for `--dump` comments. */
export function regName(arch: Arch, offset: number): string | undefined {
  for (const [name, at] of Object.entries(PT_REGS_SLOTS[arch])) if (at === offset) return name;
  return undefined;
}
