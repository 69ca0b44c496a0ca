   0: (bf) r6 = r1	; save ctx
   1: (79) r9 = *(u64 *)(r6 +0)	; regs = args[0] (sys_exit: regs, ret)
   2: (bf) r1 = r10
   3: (07) r1 += -8
   4: (b7) r2 = 8
   5: (bf) r3 = r9
   6: (07) r3 += 120
   7: (85) call bpf_probe_read_kernel#113	; the number the syscall was entered with
   8: (55) if r0 != 0x0 goto pc+28
   9: (79) r8 = *(u64 *)(r10 -8)	; nr
  10: (35) if r8 >= 0x28 goto pc+26	; nr < 40 (unsigned: -1 and x32 numbers are out)
  11: (67) r8 <<= 2
  12: (18) r1 = map[id:sys_exit_slots][0]+0	; &sys_exit_slots[0]
  14: (0f) r1 += r8
  15: (61) r8 = *(u32 *)(r1 +0)	; slot + 1
  16: (15) if r8 == 0x0 goto pc+20	; not counted
  17: (85) call bpf_get_current_task#35
  18: (bf) r9 = r0
  19: (bf) r1 = r10
  20: (07) r1 += -8
  21: (b7) r2 = 4
  22: (bf) r3 = r9
  23: (07) r3 += 16
  24: (85) call bpf_probe_read_kernel#113	; the task's compat flag
  25: (55) if r0 != 0x0 goto pc+2
  26: (61) r1 = *(u32 *)(r10 -8)
  27: (45) if r1 & 0x2 goto pc+9	; a compat syscall: no syscalls:* event
  28: (bf) r0 = r8
  29: (17) r0 -= 1	; slot
  30: (35) if r0 >= 0x3 goto pc+6	; slot < slots (for the verifier)
  31: (67) r0 <<= 3
  32: (18) r1 = map[id:counts][0]+0	; &counts[0]
  34: (0f) r1 += r0
  35: (b7) r2 = 1
  36: (db) lock *(u64 *)(r1 +0) += r2	; counts[slot]++
  37: (b7) r0 = 0
  38: (95) exit
