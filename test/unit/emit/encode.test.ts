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
  Size,
  FP,
  R0,
  R1,
  R2,
  R3,
  R4,
  R5,
} from '../../../src/emit/asm.js';
import { assemble, decode, encode } from '../../../src/emit/assemble.js';
import { width, type Insn } from '../../../src/emit/insn.js';
import { Helper } from '../../../src/emit/helpers.gen.js';
import { ProgType } from '../../../src/emit/types.js';
import { EmitError } from '../../../src/errors.js';

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

const counts = { name: 'counts' };

/**
 * Every form → its bytes, worked out by hand from the ISA document:
 * opcode | src<<4 | dst | off (s16 LE) | imm (s32 LE).
 */
const TABLE: ReadonlyArray<readonly [string, Insn, string]> = [
  // ALU64, K and X
  ['mov64 imm', alu64.mov.imm(R1, 42), 'b7 01 00 00 2a 00 00 00'],
  ['mov64 reg', alu64.mov.reg(R2, FP), 'bf a2 00 00 00 00 00 00'],
  ['add64 imm', alu64.add.imm(R2, -4), '07 02 00 00 fc ff ff ff'],
  ['add64 reg', alu64.add.reg(R1, R2), '0f 21 00 00 00 00 00 00'],
  ['sub64 imm', alu64.sub.imm(R3, 1), '17 03 00 00 01 00 00 00'],
  ['sub64 reg', alu64.sub.reg(R3, R4), '1f 43 00 00 00 00 00 00'],
  ['mul64 imm', alu64.mul.imm(R0, 3), '27 00 00 00 03 00 00 00'],
  ['mul64 reg', alu64.mul.reg(R0, R1), '2f 10 00 00 00 00 00 00'],
  ['div64 imm', alu64.div.imm(R0, 10), '37 00 00 00 0a 00 00 00'],
  ['div64 reg', alu64.div.reg(R0, R1), '3f 10 00 00 00 00 00 00'],
  ['sdiv64 imm', alu64.sdiv.imm(R0, -2), '37 00 01 00 fe ff ff ff'],
  ['sdiv64 reg', alu64.sdiv.reg(R0, R1), '3f 10 01 00 00 00 00 00'],
  ['or64 imm', alu64.or.imm(R1, 0x10), '47 01 00 00 10 00 00 00'],
  ['or64 reg', alu64.or.reg(R1, R2), '4f 21 00 00 00 00 00 00'],
  ['and64 imm', alu64.and.imm(R1, 0xff), '57 01 00 00 ff 00 00 00'],
  ['and64 reg', alu64.and.reg(R1, R2), '5f 21 00 00 00 00 00 00'],
  ['lsh64 imm', alu64.lsh.imm(R1, 32), '67 01 00 00 20 00 00 00'],
  ['lsh64 reg', alu64.lsh.reg(R1, R2), '6f 21 00 00 00 00 00 00'],
  ['rsh64 imm', alu64.rsh.imm(R0, 32), '77 00 00 00 20 00 00 00'],
  ['rsh64 reg', alu64.rsh.reg(R0, R1), '7f 10 00 00 00 00 00 00'],
  ['neg64', alu64.neg(R5), '87 05 00 00 00 00 00 00'],
  ['neg64 .imm', alu64.neg.imm(R5), '87 05 00 00 00 00 00 00'],
  ['mod64 imm', alu64.mod.imm(R1, 7), '97 01 00 00 07 00 00 00'],
  ['mod64 reg', alu64.mod.reg(R1, R2), '9f 21 00 00 00 00 00 00'],
  ['smod64 imm', alu64.smod.imm(R1, 7), '97 01 01 00 07 00 00 00'],
  ['smod64 reg', alu64.smod.reg(R1, R2), '9f 21 01 00 00 00 00 00'],
  ['xor64 imm', alu64.xor.imm(R1, -1), 'a7 01 00 00 ff ff ff ff'],
  ['xor64 reg', alu64.xor.reg(R1, R2), 'af 21 00 00 00 00 00 00'],
  ['arsh64 imm', alu64.arsh.imm(R1, 63), 'c7 01 00 00 3f 00 00 00'],
  ['arsh64 reg', alu64.arsh.reg(R1, R2), 'cf 21 00 00 00 00 00 00'],
  ['movsx64 s8', alu64.movsx8.reg(R1, R2), 'bf 21 08 00 00 00 00 00'],
  ['movsx64 s16', alu64.movsx16.reg(R1, R2), 'bf 21 10 00 00 00 00 00'],
  ['movsx64 s32', alu64.movsx32.reg(R1, R2), 'bf 21 20 00 00 00 00 00'],
  // ALU32
  ['add32 imm', alu32.add.imm(R1, 1), '04 01 00 00 01 00 00 00'],
  ['add32 reg', alu32.add.reg(R1, R2), '0c 21 00 00 00 00 00 00'],
  ['sub32 reg', alu32.sub.reg(R1, R2), '1c 21 00 00 00 00 00 00'],
  ['mul32 imm', alu32.mul.imm(R1, 5), '24 01 00 00 05 00 00 00'],
  ['div32 reg', alu32.div.reg(R1, R2), '3c 21 00 00 00 00 00 00'],
  ['sdiv32 imm', alu32.sdiv.imm(R1, 3), '34 01 01 00 03 00 00 00'],
  ['or32 imm', alu32.or.imm(R1, 1), '44 01 00 00 01 00 00 00'],
  ['and32 imm', alu32.and.imm(R0, 0xff), '54 00 00 00 ff 00 00 00'],
  ['lsh32 reg', alu32.lsh.reg(R1, R2), '6c 21 00 00 00 00 00 00'],
  ['rsh32 imm', alu32.rsh.imm(R1, 4), '74 01 00 00 04 00 00 00'],
  ['neg32', alu32.neg(R5), '84 05 00 00 00 00 00 00'],
  ['mod32 imm', alu32.mod.imm(R1, 10), '94 01 00 00 0a 00 00 00'],
  ['smod32 reg', alu32.smod.reg(R1, R2), '9c 21 01 00 00 00 00 00'],
  ['xor32 reg', alu32.xor.reg(R1, R2), 'ac 21 00 00 00 00 00 00'],
  ['mov32 imm u32', alu32.mov.imm(R0, 0xffffffff), 'b4 00 00 00 ff ff ff ff'],
  ['mov32 reg', alu32.mov.reg(R0, R1), 'bc 10 00 00 00 00 00 00'],
  ['arsh32 imm', alu32.arsh.imm(R1, 31), 'c4 01 00 00 1f 00 00 00'],
  ['movsx32 s8', alu32.movsx8.reg(R1, R2), 'bc 21 08 00 00 00 00 00'],
  ['movsx32 s16', alu32.movsx16.reg(R1, R2), 'bc 21 10 00 00 00 00 00'],
  // Byte order
  ['le16', endian.le16(R1), 'd4 01 00 00 10 00 00 00'],
  ['le64', endian.le(R1, 64), 'd4 01 00 00 40 00 00 00'],
  ['be32', endian.be32(R1), 'dc 01 00 00 20 00 00 00'],
  ['be64 via alu32', alu32.be(R3, 64), 'dc 03 00 00 40 00 00 00'],
  ['bswap16', endian.bswap16(R1), 'd7 01 00 00 10 00 00 00'],
  ['bswap64 via alu64', alu64.bswap(R1, 64), 'd7 01 00 00 40 00 00 00'],
  // Jumps
  ['ja', jmp.ja(3), '05 00 03 00 00 00 00 00'],
  ['ja back', jmp.ja(-1), '05 00 ff ff 00 00 00 00'],
  ['gotol', jmp.gotol(70000), '06 00 00 00 70 11 01 00'],
  ['may_goto', jmp.mayGoto(2), 'e5 00 02 00 00 00 00 00'],
  ['jeq imm', jmp.jeq.imm(R0, 0, 3), '15 00 03 00 00 00 00 00'],
  ['jeq reg', jmp.jeq.reg(R1, R2, 1), '1d 21 01 00 00 00 00 00'],
  ['jgt imm', jmp.jgt.imm(R1, 5, 2), '25 01 02 00 05 00 00 00'],
  ['jgt reg', jmp.jgt.reg(R1, R2, 2), '2d 21 02 00 00 00 00 00'],
  ['jge imm', jmp.jge.imm(R1, 5, 2), '35 01 02 00 05 00 00 00'],
  ['jset reg', jmp.jset.reg(R1, R2, 2), '4d 21 02 00 00 00 00 00'],
  ['jne imm u32', jmp.jne.imm(R1, 0xffffffff, -1), '55 01 ff ff ff ff ff ff'],
  ['jsgt imm', jmp.jsgt.imm(R1, -1, 4), '65 01 04 00 ff ff ff ff'],
  ['jsge reg', jmp.jsge.reg(R1, R2, 4), '7d 21 04 00 00 00 00 00'],
  ['jlt imm', jmp.jlt.imm(R1, 9, 1), 'a5 01 01 00 09 00 00 00'],
  ['jle reg', jmp.jle.reg(R1, R2, 1), 'bd 21 01 00 00 00 00 00'],
  ['jslt imm', jmp.jslt.imm(R1, 0, 1), 'c5 01 01 00 00 00 00 00'],
  ['jsle reg', jmp.jsle.reg(R1, R2, 1), 'dd 21 01 00 00 00 00 00'],
  ['jeq32 imm', jmp32.jeq.imm(R1, 7, 1), '16 01 01 00 07 00 00 00'],
  ['jgt32 imm', jmp32.jgt.imm(R1, 5, 2), '26 01 02 00 05 00 00 00'],
  ['jne32 reg', jmp32.jne.reg(R1, R2, 3), '5e 21 03 00 00 00 00 00'],
  ['jsle32 imm', jmp32.jsle.imm(R1, -5, 1), 'd6 01 01 00 fb ff ff ff'],
  ['call helper', call(Helper.MapLookupElem), '85 00 00 00 01 00 00 00'],
  ['call get_func_ip', call(Helper.GetFuncIp), '85 00 00 00 ad 00 00 00'],
  ['call local', callLocal(5), '85 10 00 00 05 00 00 00'],
  ['call kfunc', callKfunc(1234), '85 20 00 00 d2 04 00 00'],
  ['exit', exit(), '95 00 00 00 00 00 00 00'],
  // Loads and stores
  ['ldx w', ldx('W', R1, R2, 8), '61 21 08 00 00 00 00 00'],
  ['ldx h', ldx('H', R1, R2, 2), '69 21 02 00 00 00 00 00'],
  ['ldx b', ldx('B', R1, R2, -1), '71 21 ff ff 00 00 00 00'],
  ['ldx dw', ldx('DW', R3, R1, 16), '79 13 10 00 00 00 00 00'],
  ['ldx dw (Size.DW)', ldx(Size.DW, R3, R1, 16), '79 13 10 00 00 00 00 00'],
  ['ldxsx b', ldxsx('B', R1, R2, 0), '91 21 00 00 00 00 00 00'],
  ['ldxsx h', ldxsx('H', R1, R2, 0), '89 21 00 00 00 00 00 00'],
  ['ldxsx w', ldxsx('W', R1, R2, 0), '81 21 00 00 00 00 00 00'],
  ['stx w', stx('W', FP, -4, R1), '63 1a fc ff 00 00 00 00'],
  ['stx h', stx('H', FP, -2, R1), '6b 1a fe ff 00 00 00 00'],
  ['stx b', stx('B', FP, -1, R1), '73 1a ff ff 00 00 00 00'],
  ['stx dw', stx('DW', FP, -8, R0), '7b 0a f8 ff 00 00 00 00'],
  ['st w', st('W', FP, -4, 7), '62 0a fc ff 07 00 00 00'],
  ['st h', st('H', FP, -2, 7), '6a 0a fe ff 07 00 00 00'],
  ['st b', st('B', FP, -1, 7), '72 0a ff ff 07 00 00 00'],
  ['st dw', st('DW', FP, -8, 0), '7a 0a f8 ff 00 00 00 00'],
  ['ld_imm64', ldImm64(R1, 0x1122334455667788n), '18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11'],
  ['ld_imm64 -1', ldImm64(R2, -1n), '18 02 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff'],
  ['ld map fd (no fd yet)', ldMapFd(R1, counts), '18 11 00 00 00 00 00 00 00 00 00 00 00 00 00 00'],
  ['ld map value', ldMapValue(R2, counts, 16), '18 22 00 00 00 00 00 00 00 00 00 00 10 00 00 00'],
  // Atomics
  ['atomic add dw', atomic.add('DW', R0, 0, R1), 'db 10 00 00 00 00 00 00'],
  ['atomic add w', atomic.add('W', R0, 4, R1), 'c3 10 04 00 00 00 00 00'],
  ['atomic or', atomic.or('DW', R0, 0, R1), 'db 10 00 00 40 00 00 00'],
  ['atomic and', atomic.and('W', R0, 0, R1), 'c3 10 00 00 50 00 00 00'],
  ['atomic xor', atomic.xor('DW', R0, 0, R1), 'db 10 00 00 a0 00 00 00'],
  ['atomic fetch add', atomic.fetchAdd('DW', R0, 0, R1), 'db 10 00 00 01 00 00 00'],
  ['atomic fetch or', atomic.fetchOr('DW', R0, 0, R1), 'db 10 00 00 41 00 00 00'],
  ['atomic fetch and', atomic.fetchAnd('W', R0, 0, R1), 'c3 10 00 00 51 00 00 00'],
  ['atomic fetch xor', atomic.fetchXor('W', R0, 0, R1), 'c3 10 00 00 a1 00 00 00'],
  ['atomic xchg', atomic.xchg('DW', R1, 0, R2), 'db 21 00 00 e1 00 00 00'],
  ['atomic cmpxchg', atomic.cmpxchg('DW', R1, 0, R2), 'db 21 00 00 f1 00 00 00'],
  ['load acquire', atomic.loadAcquire('DW', R0, R1, 8), 'db 10 08 00 00 01 00 00'],
  ['store release', atomic.storeRelease('W', R1, 0, R2), 'c3 21 00 00 10 01 00 00'],
];

describe('encode', () => {
  it.each(TABLE)('%s', (_name, insn, expected) => {
    expect(hex(encode([insn]))).toBe(expected);
  });

  it.each(TABLE)('decode(encode(%s)) round-trips', (_name, insn) => {
    const back = decode(encode([insn]));
    expect(back).toHaveLength(1);
    const { mapRef: _m, comment: _c, ...plain } = insn;
    expect(back[0]).toStrictEqual(plain);
  });

  it('round-trips a whole table as one program, ld_imm64 taking two slots', () => {
    const insns = TABLE.map(([, i]) => i);
    const bytes = encode(insns);
    const slots = insns.reduce((n, i) => n + width(i), 0);
    expect(bytes.length).toBe(slots * 8);
    expect(encode(decode(bytes))).toEqual(bytes);
  });

  it('keeps ld_imm64 values unsigned and imm as the signed low half', () => {
    const i = ldImm64(R1, -2n);
    expect(i.imm64).toBe(0xffff_ffff_ffff_fffen);
    expect(i.imm).toBe(-2);
    expect(width(i)).toBe(2);
    expect(width(exit())).toBe(1);
  });

  it('refuses values that do not fit their fields', () => {
    expect(() => alu64.mov.imm(R1, 2 ** 32)).toThrow(EmitError);
    expect(() => alu64.mov.imm(R1, 1.5)).toThrow(EmitError);
    expect(() => ldx('W', R1, R2, 40000)).toThrow(EmitError);
    expect(() => ldx('W', 11 as never, R2, 0)).toThrow(EmitError);
    expect(() => ldImm64(R1, 1n << 64n)).toThrow(EmitError);
    expect(() => ldxsx('DW', R1, R2, 0)).toThrow(EmitError);
    expect(() => atomic.add('B' as never, R1, 0, R2)).toThrow(EmitError);
    expect(() => endian.le(R1, 8 as never)).toThrow(EmitError);
    expect(() => alu64.neg.imm(R1, 3)).toThrow(EmitError);
  });

  it('refuses unresolved jumps', () => {
    expect(() => encode([jmp.ja('nowhere')])).toThrow(/resolve/);
  });

  it('decode rejects partial slots and a cut-off ld_imm64', () => {
    expect(() => decode(new Uint8Array(7))).toThrow(EmitError);
    expect(() => decode(encode([ldImm64(R1, 5n)]).slice(0, 8))).toThrow(EmitError);
  });

  it('decodes from a view into a larger buffer', () => {
    const bytes = encode([alu64.mov.imm(R0, 0), exit()]);
    const big = new Uint8Array(24);
    big.set(bytes, 8);
    expect(decode(big.subarray(8))).toStrictEqual(decode(bytes));
  });
});

describe('assemble', () => {
  it('patches map fds and keeps the value offset', () => {
    const prog = {
      name: 't',
      type: ProgType.SocketFilter,
      license: 'GPL',
      maps: [{ name: 'counts', type: 2, keySize: 4, valueSize: 8, maxEntries: 1 }],
      insns: [ldMapFd(R1, counts), ldMapValue(R2, counts, 16), alu64.mov.imm(R0, 0), exit()],
    };
    const bytes = assemble(prog, new Map([['counts', 7]]));
    expect(hex(bytes.subarray(0, 32))).toBe('18 11 00 00 07 00 00 00 00 00 00 00 00 00 00 00 ' + '18 22 00 00 07 00 00 00 00 00 00 00 10 00 00 00');
    const back = decode(bytes);
    expect(back[0]!.imm64).toBe(7n);
    expect(back[1]!.imm64).toBe((16n << 32n) | 7n);
  });

  it('fails on a map without an fd', () => {
    const prog = { name: 't', type: 1, license: 'GPL', maps: [], insns: [ldMapFd(R1, counts), exit()] };
    expect(() => assemble(prog, new Map())).toThrow(/no fd for map 'counts'/);
  });
});
