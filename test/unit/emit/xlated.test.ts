import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decode } from '../../../src/emit/assemble.js';
import { disasm } from '../../../src/emit/disasm.js';
import type { Insn } from '../../../src/emit/insn.js';
import * as op from '../../../src/emit/opcode.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../golden/xlated');

/** cpu v4 forms that the bpftool which made the fixtures predates (see README.md there). */
function isCpuV4(i: Insn): boolean {
  const cls = op.opClass(i.opcode);
  if (cls === op.BPF_ALU || cls === op.BPF_ALU64) {
    const code = op.opOp(i.opcode);
    if ((code === op.BPF_DIV || code === op.BPF_MOD || code === op.BPF_MOV) && i.off !== 0) return true;
    return cls === op.BPF_ALU64 && code === op.BPF_END;
  }
  if (cls === op.BPF_LDX) return op.opMode(i.opcode) === op.BPF_MEMSX;
  if (cls === op.BPF_STX && op.opMode(i.opcode) === op.BPF_ATOMIC) return i.imm === op.BPF_LOAD_ACQ || i.imm === op.BPF_STORE_REL;
  return i.opcode === (op.BPF_JMP32 | op.BPF_JA);
}

describe('disasm of loaded programs agrees with bpftool prog dump xlated', () => {
  it.each(['xc_count', 'xc_hash', 'xc_every'])('%s', (name) => {
    const insns = decode(new Uint8Array(readFileSync(join(DIR, `${name}.bin`))));
    const ours = disasm(insns, { mapNames: false }).trimEnd().split('\n');
    const theirs = readFileSync(join(DIR, `${name}.bpftool.txt`), 'utf8')
      .trimEnd()
      .split('\n');
    expect(ours).toHaveLength(theirs.length);
    let compared = 0;
    insns.forEach((insn, k) => {
      if (insn.opcode === (op.BPF_JMP | op.BPF_CALL) || isCpuV4(insn)) return;
      expect(ours[k]).toBe(theirs[k]);
      compared++;
    });
    expect(compared).toBeGreaterThan(insns.length / 2);
  });
});
