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
import type { ProgramSpec } from '../emit/types.js';
import type { BpfMap } from './map.js';

export class LoadedProgram implements Disposable {
  readonly fd: Fd;
  constructor(readonly spec: ProgramSpec, fd: number) {
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

const LOG_TAIL = 12;

export function loadProgram(spec: ProgramSpec, maps: ReadonlyMap<string, BpfMap>, opts: LoadOptions = {}): LoadedProgram {
  const fds = new Map<string, number>();
  for (const m of spec.maps) {
    const live = maps.get(m.name);
    if (!live) throw new Error(`internal: map ${m.name} of program ${spec.name} was not created`);
    fds.set(m.name, live.fd.value);
  }
  const insns = assemble(spec, fds);
  const base = {
    type: spec.type, insns, license: spec.license, name: spec.name,
    expectedAttachType: spec.expectedAttachType, attachBtfId: spec.attachBtfId,
  };
  const first = progLoad({ ...base, logLevel: 0 });
  if (first.fd >= 0) return new LoadedProgram(spec, first.fd);
  const second = progLoad({ ...base, logLevel: opts.verbose ? 2 : 1, logSize: 16 << 20 });
  if (second.fd >= 0) return new LoadedProgram(spec, second.fd);
  const log = second.log.split('\n').filter((l) => l.length > 0);
  const shown = opts.verbose ? log : log.slice(-LOG_TAIL);
  const where = opts.origin ? ` for ${opts.origin}` : '';
  const reason = log.length ? log[log.length - 1] : errnoName(second.errno);
  const hints = [
    ...(opts.verbose ? [] : ['run with -v for the full verifier log']),
  ];
  const err = new VerifierError(
    `the kernel refused the BPF program${where} (${errnoName(second.errno)}): ${reason}\n` +
      (shown.length ? `verifier log${opts.verbose ? '' : ' (last lines)'}:\n  ${shown.join('\n  ')}\n` : '') +
      (opts.verbose ? `program:\n${disasm(spec.insns)}` : ''),
    log, hints);
  throw err;
}
