/**
 * Safety: the programs polytrace generates only read memory. No code generator may name a
 * helper that writes to user memory, sends signals or overrides return values, and no
 * generated program shape (every golden disassembly) calls one.
 */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** Helpers that change the traced system (include/uapi/linux/bpf.h names). */
const FORBIDDEN = ['ProbeWriteUser', 'SendSignal', 'SendSignalThread', 'OverrideReturn', 'SkbStoreBytes', 'CopyFromUserTask', 'SysBpf', 'SysClose', 'KptrXchg'];
const FORBIDDEN_ASM = ['bpf_probe_write_user', 'bpf_send_signal', 'bpf_send_signal_thread', 'bpf_override_return', 'bpf_sys_bpf', 'bpf_sys_close'];

function* files(dir: string, ext: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p, ext);
    else if (p.endsWith(ext)) yield p;
  }
}

describe('generated programs only read', () => {
  it('no source outside the helper table names a state-changing helper', () => {
    const offenders: string[] = [];
    for (const f of files(join(root, 'src'), '.ts')) {
      if (f.endsWith('helpers.gen.ts')) continue;
      const text = readFileSync(f, 'utf8');
      for (const h of FORBIDDEN) if (new RegExp(`Helper\\.${h}\\b`).test(text)) offenders.push(`${f}: Helper.${h}`);
    }
    expect(offenders).toEqual([]);
  });

  it('no golden program shape calls one', () => {
    const asm = [...files(join(root, 'test'), '.asm')];
    expect(asm.length).toBeGreaterThan(10);
    const offenders: string[] = [];
    for (const f of asm) {
      const text = readFileSync(f, 'utf8');
      for (const h of FORBIDDEN_ASM) if (text.includes(`call ${h}#`)) offenders.push(`${f}: ${h}`);
    }
    expect(offenders).toEqual([]);
  });
});
