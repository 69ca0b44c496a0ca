import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  alu32,
  alu64,
  atomic,
  call,
  callKfunc,
  callLocal,
  endian,
  exit,
  jmp,
  jmp32,
  ldImm64,
  ldMapFd,
  ldMapValue,
  ldx,
  ldxsx,
  st,
  stx,
  FP,
  R0,
  R1,
  R2,
  R3,
  R5,
  R6,
  R7,
  R8,
  R9,
} from '../../../src/emit/asm.js';
import { decode, encode, resolve } from '../../../src/emit/assemble.js';
import { ProgramBuilder } from '../../../src/emit/builder.js';
import { disasm, formatInsn } from '../../../src/emit/disasm.js';
import { Helper } from '../../../src/emit/helpers.gen.js';
import type { Insn } from '../../../src/emit/insn.js';
import { MapType, ProgType, type ProgramSpec } from '../../../src/emit/types.js';
import { expectGolden } from '../../helpers/golden.js';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../golden');

/** Compares with test/golden/<name>; UPDATE_GOLDEN=1 rewrites the file instead (see test/helpers/golden.ts). */
function golden(name: string, actual: string): void {
  expectGolden(join(GOLDEN_DIR, name), actual);
}

const counts = { name: 'counts' };

/** Texts from kernel/bpf/disasm.c's formats (as bpftool prints them after the slot). */
const TEXTS: ReadonlyArray<readonly [Insn, string]> = [
  [alu64.mov.imm(R1, 0), '(b7) r1 = 0'],
  [alu64.mov.reg(R2, FP), '(bf) r2 = r10'],
  [alu64.add.imm(R2, -4), '(07) r2 += -4'],
  [alu64.sub.reg(R1, R2), '(1f) r1 -= r2'],
  [alu64.mul.imm(R1, 3), '(27) r1 *= 3'],
  [alu64.div.reg(R0, R1), '(3f) r0 /= r1'],
  [alu64.sdiv.reg(R0, R1), '(3f) r0 s/= r1'],
  [alu64.sdiv.imm(R0, -2), '(37) r0 s/= -2'],
  [alu64.or.imm(R1, 16), '(47) r1 |= 16'],
  [alu64.and.reg(R1, R2), '(5f) r1 &= r2'],
  [alu64.lsh.imm(R1, 32), '(67) r1 <<= 32'],
  [alu64.rsh.imm(R0, 32), '(77) r0 >>= 32'],
  [alu64.neg(R5), '(87) r5 = -r5'],
  [alu64.mod.imm(R1, 7), '(97) r1 %= 7'],
  [alu64.smod.reg(R1, R2), '(9f) r1 s%= r2'],
  [alu64.xor.imm(R1, -1), '(a7) r1 ^= -1'],
  [alu64.arsh.imm(R1, 63), '(c7) r1 s>>= 63'],
  [alu64.movsx8.reg(R1, R2), '(bf) r1 = (s8)r2'],
  [alu64.movsx16.reg(R1, R2), '(bf) r1 = (s16)r2'],
  [alu64.movsx32.reg(R1, R2), '(bf) r1 = (s32)r2'],
  [alu32.add.reg(R1, R2), '(0c) w1 += w2'],
  [alu32.mov.imm(R0, 0xffffffff), '(b4) w0 = -1'],
  [alu32.sdiv.imm(R1, 3), '(34) w1 s/= 3'],
  [alu32.smod.reg(R1, R2), '(9c) w1 s%= w2'],
  [alu32.neg(R5), '(84) w5 = -w5'],
  [alu32.arsh.reg(R1, R2), '(cc) w1 s>>= w2'],
  [alu32.movsx8.reg(R1, R2), '(bc) w1 = (s8)w2'],
  [alu32.movsx16.reg(R1, R2), '(bc) w1 = (s16)w2'],
  [endian.le16(R1), '(d4) r1 = le16 r1'],
  [endian.be32(R1), '(dc) r1 = be32 r1'],
  [endian.be64(R3), '(dc) r3 = be64 r3'],
  [endian.bswap16(R1), '(d7) r1 = bswap16 r1'],
  [endian.bswap64(R1), '(d7) r1 = bswap64 r1'],
  [jmp.ja(3), '(05) goto pc+3'],
  [jmp.ja(-7), '(05) goto pc-7'],
  [jmp.gotol(70000), '(06) gotol pc+70000'],
  [jmp.mayGoto(2), '(e5) may_goto pc+2'],
  [jmp.jeq.imm(R0, 0, 3), '(15) if r0 == 0x0 goto pc+3'],
  [jmp.jne.imm(R1, -1, -1), '(55) if r1 != 0xffffffff goto pc-1'],
  [jmp.jgt.reg(R1, R2, 2), '(2d) if r1 > r2 goto pc+2'],
  [jmp.jge.imm(R1, 255, 0), '(35) if r1 >= 0xff goto pc+0'],
  [jmp.jset.imm(R1, 4, 1), '(45) if r1 & 0x4 goto pc+1'],
  [jmp.jsgt.reg(R1, R2, 1), '(6d) if r1 s> r2 goto pc+1'],
  [jmp.jsge.imm(R1, 0, 1), '(75) if r1 s>= 0x0 goto pc+1'],
  [jmp.jlt.imm(R1, 9, 1), '(a5) if r1 < 0x9 goto pc+1'],
  [jmp.jle.reg(R1, R2, 1), '(bd) if r1 <= r2 goto pc+1'],
  [jmp.jslt.imm(R1, 0, 1), '(c5) if r1 s< 0x0 goto pc+1'],
  [jmp.jsle.reg(R1, R2, 1), '(dd) if r1 s<= r2 goto pc+1'],
  [jmp32.jgt.imm(R1, 5, 2), '(26) if w1 > 0x5 goto pc+2'],
  [jmp32.jne.reg(R1, R2, 3), '(5e) if w1 != w2 goto pc+3'],
  [call(Helper.MapLookupElem), '(85) call bpf_map_lookup_elem#1'],
  [call(Helper.GetCurrentPidTgid), '(85) call bpf_get_current_pid_tgid#14'],
  [call(Helper.GetFuncIp), '(85) call bpf_get_func_ip#173'],
  [call(100000), '(85) call unknown#100000'],
  [callLocal(5), '(85) call pc+5'],
  [callKfunc(1234), '(85) call kernel-function#1234'],
  [exit(), '(95) exit'],
  [ldx('W', R1, R2, 8), '(61) r1 = *(u32 *)(r2 +8)'],
  [ldx('H', R1, R2, 2), '(69) r1 = *(u16 *)(r2 +2)'],
  [ldx('B', R1, R2, -1), '(71) r1 = *(u8 *)(r2 -1)'],
  [ldx('DW', R3, R1, 16), '(79) r3 = *(u64 *)(r1 +16)'],
  [ldxsx('B', R1, R2, -1), '(91) r1 = *(s8 *)(r2 -1)'],
  [ldxsx('H', R1, R2, 0), '(89) r1 = *(s16 *)(r2 +0)'],
  [ldxsx('W', R1, R2, 4), '(81) r1 = *(s32 *)(r2 +4)'],
  [stx('W', FP, -4, R1), '(63) *(u32 *)(r10 -4) = r1'],
  [stx('DW', FP, -8, R0), '(7b) *(u64 *)(r10 -8) = r0'],
  [st('B', FP, -1, 7), '(72) *(u8 *)(r10 -1) = 7'],
  [st('DW', FP, -16, -1), '(7a) *(u64 *)(r10 -16) = -1'],
  [ldImm64(R1, 0x1122334455667788n), '(18) r1 = 0x1122334455667788'],
  [ldImm64(R1, -1n), '(18) r1 = 0xffffffffffffffff'],
  [ldImm64(R1, 0n), '(18) r1 = 0x0'],
  [ldMapFd(R1, counts), '(18) r1 = map[id:counts]'],
  [ldMapValue(R2, counts, 16), '(18) r2 = map[id:counts][0]+16'],
  [atomic.add('DW', R0, 0, R1), '(db) lock *(u64 *)(r0 +0) += r1'],
  [atomic.add('W', R0, 4, R1), '(c3) lock *(u32 *)(r0 +4) += r1'],
  [atomic.or('DW', R0, 0, R1), '(db) lock *(u64 *)(r0 +0) |= r1'],
  [atomic.and('DW', R0, 0, R1), '(db) lock *(u64 *)(r0 +0) &= r1'],
  [atomic.xor('W', R0, 0, R1), '(c3) lock *(u32 *)(r0 +0) ^= r1'],
  [atomic.fetchAdd('DW', R1, 0, R0), '(db) r0 = atomic64_fetch_add((u64 *)(r1 +0), r0)'],
  [atomic.fetchOr('W', R1, 8, R2), '(c3) r2 = atomic_fetch_or((u32 *)(r1 +8), r2)'],
  [atomic.fetchAnd('DW', R1, 0, R2), '(db) r2 = atomic64_fetch_and((u64 *)(r1 +0), r2)'],
  [atomic.fetchXor('DW', R1, 0, R2), '(db) r2 = atomic64_fetch_xor((u64 *)(r1 +0), r2)'],
  [atomic.xchg('DW', R1, 0, R2), '(db) r2 = atomic64_xchg((u64 *)(r1 +0), r2)'],
  [atomic.cmpxchg('DW', R1, 0, R2), '(db) r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)'],
  [atomic.cmpxchg('W', R1, -8, R2), '(c3) r0 = atomic_cmpxchg((u32 *)(r1 -8), r0, r2)'],
  [atomic.loadAcquire('DW', R0, R1, 8), '(db) r0 = load_acquire((u64 *)(r1 +8))'],
  [atomic.storeRelease('W', R1, 0, R2), '(c3) store_release((u32 *)(r1 +0), r2)'],
];

describe('formatInsn', () => {
  it.each(TEXTS)('%o', (insn, text) => {
    expect(formatInsn(insn)).toBe(text);
  });

  it('prints map ids from imm without map names, as bpftool does for loaded programs', () => {
    expect(formatInsn(ldMapFd(R1, counts), { mapNames: false })).toBe('(18) r1 = map[id:0]');
    const [loaded] = decode(Uint8Array.from([0x18, 0x21, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0]));
    expect(formatInsn(loaded!)).toBe('(18) r1 = map[id:42][0]+8');
  });

  it('prints malformed instructions as the kernel does', () => {
    const raw = (b: number[]): Insn => decode(Uint8Array.from(b))[0]!;
    expect(formatInsn(raw([0xe3, 0x21, 0, 0, 0, 0, 0, 0]))).toBe('BUG_e3');
    expect(formatInsn(raw([0xdb, 0x21, 0, 0, 0x33, 0, 0, 0]))).toBe('BUG_db');
    expect(formatInsn(raw([0x22, 0x01, 0, 0, 0, 0, 0, 0]))).toBe('BUG_st_22');
    expect(formatInsn(raw([0x21, 0x01, 0, 0, 0, 0, 0, 0]))).toBe('BUG_ldx_21');
    expect(formatInsn(raw([0x60, 0x01, 0, 0, 0, 0, 0, 0]))).toBe('BUG_ld_60');
    expect(formatInsn(raw([0x30, 0x00, 0, 0, 12, 0, 0, 0]))).toBe('(30) r0 = *(u8 *)skb[12]');
    expect(formatInsn(raw([0x40, 0x20, 0, 0, 4, 0, 0, 0]))).toBe('(40) r0 = *(u32 *)skb[r2 + 4]');
    expect(formatInsn(raw([0xc2, 0x00, 0, 0, 0, 0, 0, 0]))).toBe('(c2) nospec');
    expect(formatInsn(raw([0xbf, 0x21, 1, 0, 0, 0, 1, 0]))).toBe('(bf) r1 = addr_space_cast(r2, 1, 0)');
  });
});

describe('disasm', () => {
  it('right-aligns slot numbers in 4 columns, counts ld_imm64 as two, appends comments', () => {
    const text = disasm([alu64.mov.imm(R1, 0, 'key = 0'), ldMapFd(R1, counts), exit()]);
    expect(text).toBe('   0: (b7) r1 = 0\t; key = 0\n   1: (18) r1 = map[id:counts]\n   3: (95) exit\n');
  });

  it('prints slot numbers past 999 as printf("% 4d") does', () => {
    const insns = Array.from({ length: 1001 }, () => alu64.mov.imm(R0, 0));
    const lines = disasm(insns).trimEnd().split('\n');
    expect(lines[999]).toBe(' 999: (b7) r0 = 0');
    expect(lines[1000]).toBe(' 1000: (b7) r0 = 0');
  });

  it('resolves symbolic jumps for display and names labels it cannot find', () => {
    const insns = [jmp.jeq.imm(R1, 0, 'out'), ldImm64(R0, 1n), { ...exit(), label: 'out' }, jmp.ja('nowhere')];
    expect(disasm(insns)).toBe('   0: (15) if r1 == 0x0 goto pc+2\n   1: (18) r0 = 0x1\n   3: (95) exit\n   4: (05) goto <nowhere>\n');
  });

  it('gives the same text before and after resolve() and a trip through bytes', () => {
    const p = hashLookupOrInit();
    const resolved = resolve(p.insns);
    expect(disasm(resolved)).toBe(disasm(p.insns));
    expect(disasm(decode(encode(resolved)), { mapNames: false })).toBe(disasm(resolved, { mapNames: false }).replace(/\t;.*$/gm, ''));
  });
});

// ---------------------------------------------------------------------------
// Golden programs

/** The example of the brief: count into an array map with an atomic add. */
function countingArray(): ProgramSpec {
  const b = new ProgramBuilder('count_events', ProgType.Tracepoint);
  const m = b.map({ name: 'counts', type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 });
  const out = b.newLabel('out');
  const key = b.stackAlloc(4, 4);
  b.emit(
    alu64.mov.imm(R1, 0),
    stx('W', FP, key, R1, 'key = 0'),
    alu64.mov.reg(R2, FP),
    alu64.add.imm(R2, key),
    ldMapFd(R1, m),
    call(Helper.MapLookupElem),
    jmp.jeq.imm(R0, 0, out),
    alu64.mov.imm(R1, 1),
  );
  b.comment('counts[0] += 1').emit(atomic.add('DW', R0, 0, R1), alu64.mov.imm(R0, 0));
  b.bind(out).emit(exit()); // r0 is already 0 when the lookup failed
  return b.build();
}

/** Per-tgid counter in a hash map: look up, insert 0 with BPF_NOEXIST when missing, add. */
function hashLookupOrInit(): ProgramSpec {
  const b = new ProgramBuilder('count_by_tgid', ProgType.Kprobe);
  const m = b.map({ name: 'by_tgid', type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 10240 });
  const key = b.stackAlloc(4, 4);
  const zero = b.stackAlloc(8);
  const found = b.newLabel('found');
  const out = b.newLabel('out');
  b.comment('tgid = bpf_get_current_pid_tgid() >> 32').emit(call(Helper.GetCurrentPidTgid), alu64.rsh.imm(R0, 32));
  b.emit(
    stx('W', FP, key, R0),
    alu64.mov.reg(R2, FP),
    alu64.add.imm(R2, key),
    ldMapFd(R1, m),
    call(Helper.MapLookupElem),
    jmp.jne.imm(R0, 0, found),
    st('DW', FP, zero, 0, 'init = 0'),
    alu64.mov.reg(R2, FP),
    alu64.add.imm(R2, key),
    alu64.mov.reg(R3, FP),
    alu64.add.imm(R3, zero),
    alu64.mov.imm(4, 1, 'BPF_NOEXIST'),
    ldMapFd(R1, m),
    call(Helper.MapUpdateElem),
    alu64.mov.reg(R2, FP),
    alu64.add.imm(R2, key),
    ldMapFd(R1, m),
    call(Helper.MapLookupElem),
    jmp.jeq.imm(R0, 0, out),
  );
  b.bind(found).emit(alu64.mov.imm(R1, 1), atomic.add('DW', R0, 0, R1, 'by_tgid[tgid]++'));
  b.bind(out).emit(alu64.mov.imm(R0, 0), exit());
  return b.build();
}

/** One of every family, including cpu v4 forms and a subprogram call. */
function everyFamily(): ProgramSpec {
  const b = new ProgramBuilder('every_family', ProgType.SocketFilter);
  const m = b.map({ name: 'cfg', type: MapType.Array, keySize: 4, valueSize: 64, maxEntries: 1 });
  const sub = b.newLabel('subprog');
  const loop = b.newLabel('loop');
  const done = b.newLabel('done');
  const far = b.newLabel('far');
  b.emit(alu64.mov.reg(R6, R1, 'ctx'), ldMapValue(R7, m, 8, '&cfg[0].field'), ldImm64(R8, 0xdead_beef_0000_0001n));
  // ALU64 and ALU32, immediate and register
  for (const fam of [alu64, alu32] as const) {
    b.emit(
      fam.mov.imm(R1, 10),
      fam.add.imm(R1, 1),
      fam.sub.reg(R1, R2),
      fam.mul.imm(R1, 3),
      fam.div.reg(R1, R3),
      fam.sdiv.imm(R1, -2),
      fam.or.imm(R1, 0x10),
      fam.and.reg(R1, R2),
      fam.lsh.imm(R1, 4),
      fam.rsh.reg(R1, R3),
      fam.neg(R1),
      fam.mod.imm(R1, 7),
      fam.smod.reg(R1, R2),
      fam.xor.imm(R1, -1),
      fam.arsh.imm(R1, 1),
      fam.movsx8.reg(R2, R1),
      fam.movsx16.reg(R2, R1),
    );
  }
  b.emit(alu64.movsx32.reg(R2, R1), endian.le16(R2), endian.be32(R2), endian.be64(R2), endian.bswap32(R2));
  // memory
  const slot = b.stackAlloc(16);
  b.emit(
    st('DW', FP, slot, 0),
    stx('W', FP, slot, R1),
    stx('H', FP, slot + 4, R1),
    stx('B', FP, slot + 6, R1),
    ldx('DW', R3, FP, slot),
    ldx('W', R3, FP, slot),
    ldx('H', R3, FP, slot + 4),
    ldx('B', R3, FP, slot + 6),
    ldxsx('B', R3, FP, slot + 6),
    ldxsx('H', R3, FP, slot + 4),
    ldxsx('W', R3, FP, slot),
  );
  // atomics on the map value
  b.emit(
    alu64.mov.imm(R1, 1),
    atomic.add('DW', R7, 0, R1),
    atomic.or('W', R7, 8, R1),
    atomic.and('DW', R7, 0, R1),
    atomic.xor('W', R7, 8, R1),
    atomic.fetchAdd('DW', R7, 0, R1),
    atomic.fetchOr('DW', R7, 0, R1),
    atomic.fetchAnd('W', R7, 8, R1),
    atomic.fetchXor('W', R7, 8, R1),
    atomic.xchg('DW', R7, 16, R1),
    alu64.mov.imm(R0, 0),
    atomic.cmpxchg('DW', R7, 16, R1),
  );
  // jumps, 64 and 32 bit, backwards and forwards
  b.emit(alu64.mov.imm(R9, 4));
  b.bind(loop).emit(alu64.sub.imm(R9, 1, 'i--'));
  for (const fam of [jmp, jmp32] as const) {
    b.emit(
      fam.jeq.imm(R9, 100, done),
      fam.jgt.reg(R9, R1, done),
      fam.jge.imm(R9, 100, done),
      fam.jset.imm(R9, 0x100, done),
      fam.jsgt.imm(R9, 100, done),
      fam.jsge.reg(R9, R2, done),
      fam.jlt.imm(R9, -100, done),
      fam.jle.reg(R2, R9, done),
      fam.jslt.imm(R9, -100, done),
      fam.jsle.reg(R9, R5, done),
    );
  }
  b.emit(jmp.jne.imm(R9, 0, loop, 'while (i)'), jmp32.jne.reg(R9, R1, loop));
  b.bind(done).emit(alu64.mov.reg(R1, R6), callLocal(sub), jmp.gotol(far));
  b.bind(far).emit(call(Helper.KtimeGetNs), alu64.mov.imm(R0, 0), exit());
  b.bind(sub).emit(alu64.mov.imm(R0, 1), exit());
  return b.build();
}

describe('golden disassembly', () => {
  it.each([
    ['counting-array.asm', countingArray],
    ['hash-lookup-or-init.asm', hashLookupOrInit],
    ['every-family.asm', everyFamily],
  ] as const)('%s', (file, make) => {
    golden(file, disasm(make().insns));
  });

  it('matches the example of the design brief exactly', () => {
    expect(disasm(countingArray().insns)).toBe(
      [
        '   0: (b7) r1 = 0',
        '   1: (63) *(u32 *)(r10 -4) = r1\t; key = 0',
        '   2: (bf) r2 = r10',
        '   3: (07) r2 += -4',
        '   4: (18) r1 = map[id:counts]',
        '   6: (85) call bpf_map_lookup_elem#1',
        '   7: (15) if r0 == 0x0 goto pc+3',
        '   8: (b7) r1 = 1',
        '   9: (db) lock *(u64 *)(r0 +0) += r1\t; counts[0] += 1',
        '  10: (b7) r0 = 0',
        '  11: (95) exit',
        '',
      ].join('\n'),
    );
  });
});
