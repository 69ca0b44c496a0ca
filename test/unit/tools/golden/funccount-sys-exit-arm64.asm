   0: (bf) r6 = r1	; save ctx
   1: (79) r9 = *(u64 *)(r6 +0)	; regs = args[0] (sys_exit: regs, ret)
   2: (bf) r1 = r10
   3: (07) r1 += -8
   4: (b7) r2 = 4
   5: (bf) r3 = r9
   6: (07) r3 += 280
   7: (85) call bpf_probe_read_kernel#113	; the number the syscall was entered with
   8: (55) if r0 != 0x0 goto pc+26
   9: (61) r8 = *(u32 *)(r10 -8)	; nr
  10: (35) if r8 >= 0x28 goto pc+24	; nr < 40 (unsigned: -1 and x32 numbers are out)
  11: (67) r8 <<= 2
  12: (18) r1 = map[id:sys_exit_slots][0]+0	; &sys_exit_slots[0]
  14: (0f) r1 += r8
  15: (61) r8 = *(u32 *)(r1 +0)	; slot + 1
  16: (15) if r8 == 0x0 goto pc+18	; not counted
  17: (bf) r1 = r10
  18: (07) r1 += -8
  19: (b7) r2 = 8
  20: (bf) r3 = r9
  21: (07) r3 += 264
  22: (85) call bpf_probe_read_kernel#113	; the saved mode
  23: (55) if r0 != 0x0 goto pc+2
  24: (79) r1 = *(u64 *)(r10 -8)
  25: (45) if r1 & 0x10 goto pc+9	; a compat syscall: no syscalls:* event
  26: (bf) r0 = r8
  27: (17) r0 -= 1	; slot
  28: (35) if r0 >= 0x3 goto pc+6	; slot < slots (for the verifier)
  29: (67) r0 <<= 3
  30: (18) r1 = map[id:counts][0]+0	; &counts[0]
  32: (0f) r1 += r0
  33: (b7) r2 = 1
  34: (db) lock *(u64 *)(r1 +0) += r2	; counts[slot]++
  35: (b7) r0 = 0
  36: (95) exit
