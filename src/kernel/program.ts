/**
 * Loading programs. Maps are created first (their fds are patched into ld_imm64
 * instructions by the assembler), then the program is loaded without a verifier log for
 * speed; on rejection it is loaded again with the log so the error can say why.
 */
import { VerifierError } from '../errors.js';
import { progLoad } from '../sys/bpf.js';
import { Fd } from '../sys/fd.js';
import { errnoName } from '../sys/errno.js';
import { assemble } from '../emit/assemble.js';
import { disasm } from '../emit/disasm.js';
import { ldx, R0, R9 } from '../emit/asm.js';
import type { ProgramSpec } from '../emit/types.js';
import type { BpfMap } from './map.js';
import { moduleBtfObjectFd } from './btf-object.js';

export class LoadedProgram implements Disposable {
  readonly fd: Fd;
  constructor(
    readonly spec: ProgramSpec,
    fd: number,
  ) {
    this.fd = new Fd(fd);
  }
  get name(): string {
    return this.spec.name;
  }
  close(): void {
    this.fd.close();
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

export interface LoadOptions {
  /** Keep the whole verifier log in the error (-v); else its last lines. */
  verbose?: boolean;
  /** Where the program came from, for the error message (a probe spec). */
  origin?: string;
}

export function loadProgram(spec: ProgramSpec, maps: ReadonlyMap<string, BpfMap>, opts: LoadOptions = {}): LoadedProgram {
  const fds = new Map<string, number>();
  for (const m of spec.maps) {
    const live = maps.get(m.name);
    if (!live) throw new Error(`internal: map ${m.name} of program ${spec.name} was not created`);
    fds.set(m.name, live.fd.value);
  }
  // Test hook: POLYTRACE_TEST_BAD_INSN=1 starts every program with a read of the never-written
  // r9, which the verifier must refuse ("R9 !read_ok").
  // An env var: test/kernel/failures.test.ts runs the real CLI as a child process, no other seam reaches it.
  if (process.env['POLYTRACE_TEST_BAD_INSN'] === '1')
    spec = { ...spec, insns: [ldx('DW', R0, R9, 0, 'test hook: read of an uninitialised register'), ...spec.insns] };
  const insns = assemble(spec, fds);
  const base = {
    type: spec.type,
    insns,
    license: spec.license,
    name: spec.name,
    expectedAttachType: spec.expectedAttachType,
    attachBtfId: spec.attachBtfId,
    ...(spec.attachBtfModule ? { attachBtfObjFd: moduleBtfObjectFd(spec.attachBtfModule) } : {}),
  };
  const first = progLoad({ ...base, logLevel: 0 });
  if (first.fd >= 0) return new LoadedProgram(spec, first.fd);
  const second = progLoad({ ...base, logLevel: opts.verbose ? 2 : 1, logSize: 16 << 20 });
  if (second.fd >= 0) return new LoadedProgram(spec, second.fd);
  const log = second.log.split('\n').filter((l) => l.length > 0);
  const where = opts.origin && opts.origin !== spec.name ? ` for ${opts.origin}` : '';
  const { insn, reason } = rejection(log, errnoName(second.errno));
  const at = insn ? ` at ${insn}` : '';
  const hints = opts.verbose ? [] : ['run with -v for the full verifier log'];
  const err = new VerifierError(
    `the kernel verifier refused program ${spec.name}${where}: ${reason}${at}` +
      (opts.verbose ? `\nverifier log:\n  ${log.join('\n  ')}\nprogram:\n${disasm(spec.insns)}` : ''),
    log,
    hints,
  );
  throw err;
}

/**
 * The verifier's reason (the last line that is not a statistics line) and the instruction it
 * refused (the last `N: (op) ...` line before the reason).
 */
export function rejection(log: readonly string[], errno: string): { insn?: string; reason: string } {
  const stats = /^(processed \d+ insns|verification time|stack depth|max_states_per_insn|mark_read|peak_states)/;
  let r = log.length - 1;
  while (r >= 0 && stats.test(log[r]!)) r--;
  if (r < 0) return { reason: errno };
  const reason = log[r]!.trim();
  for (let i = r - 1; i >= 0; i--) {
    const m = /^(\d+): \([0-9a-f]{2}\) (.*)$/.exec(log[i]!);
    if (m) return { insn: `insn ${m[1]}: ${m[2]!.trim()}`, reason };
  }
  return { reason };
}
