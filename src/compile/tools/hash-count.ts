/**
 * Counting one event under a key in a hash of u64 counts: the shape argdist -C and stackcount
 * share. Known key (the common case): one lookup, and the caller's `add` code does an atomic
 * add on R0. New key: insert it with count 1 (BPF_NOEXIST) and go to `out`; only when that
 * fails (another CPU inserted it first, or the hash is full) look it up again, and when it is
 * still not there fall through to `full`.
 *
 * With two hashes (double-buffered interval reads: user space flips which one programs count
 * in, waits for running programs, and reads the idle one), R7 must hold the active index.
 * There is one copy of the sequence per hash so that every call site has one constant map: a
 * call reached with either of two maps in R1 does not get the verifier's inlined hash lookup
 * (the call site's map pointer is "poisoned"), which costs an indirect call per event.
 */
import type { ProgramBuilder } from '../../emit/builder.js';
import { jmp, st, R0, R7, FP } from '../../emit/asm.js';
import type { Label, MapRef } from '../../emit/insn.js';
import { mapLookup, mapUpdate, NOEXIST } from '../map-calls.js';

export interface HashCountOptions {
  /** One hash, or the two of a double-buffered pair (R7 = index of the active one). */
  readonly hashes: readonly [MapRef] | readonly [MapRef, MapRef];
  /** FP offsets: the key, and 8 bytes of scratch for the initial count. */
  readonly key: number;
  readonly scratch: number;
  /** Where R0 points at the found value (the caller adds 1 there). */
  readonly add: Label;
  /** Done (a new key was inserted with count 1). */
  readonly out: Label;
  /** Neither found nor insertable: the hash is full (the caller binds it right after). */
  readonly full: Label;
  /** Comment on the branch to the second hash ("ad_active: the second hash"). */
  readonly selectorComment?: string;
}

export function emitHashCount(b: ProgramBuilder, o: HashCountOptions): void {
  const countIn = (m: MapRef, last: boolean): void => {
    b.emit(
      ...mapLookup(m, o.key),
      jmp.jne.imm(R0, 0, o.add),
      st('DW', FP, o.scratch, 1),
      ...mapUpdate(m, o.key, o.scratch, NOEXIST, 'new key: insert with count 1'),
      jmp.jeq.imm(R0, 0, o.out),
      ...mapLookup(m, o.key),
      jmp.jne.imm(R0, 0, o.add, 'another CPU inserted it'),
    );
    if (!last) b.emit(jmp.ja(o.full));
  };
  const [first, second] = o.hashes;
  if (second === undefined) {
    countIn(first, true);
    return;
  }
  const other = b.newLabel('second_hash');
  b.emit(jmp.jne.imm(R7, 0, other, o.selectorComment));
  countIn(first, false);
  b.bind(other);
  countIn(second, true);
}
