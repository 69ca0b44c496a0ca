   0: (bf) r6 = r1	; save ctx
   1: (85) call bpf_get_current_pid_tgid#14
   2: (77) r0 >>= 32
   3: (55) if r0 != 0x2a goto pc+20	; -p 42
   4: (79) r8 = *(u64 *)(r6 +8)	; nr = args[1] (sys_enter: regs, id)
   5: (35) if r8 >= 0x28 goto pc+18	; nr < 40 (unsigned: -1 and x32 numbers are out)
   6: (67) r8 <<= 2
   7: (18) r1 = map[id:sys_enter_slots][0]+0	; &sys_enter_slots[0]
   9: (0f) r1 += r8
  10: (61) r8 = *(u32 *)(r1 +0)	; slot + 1
  11: (15) if r8 == 0x0 goto pc+12	; not counted
  12: (85) call bpf_get_current_task_btf#158
  13: (61) r1 = *(u32 *)(r0 +16)	; the task's compat flag
  14: (45) if r1 & 0x2 goto pc+9	; a compat syscall: no syscalls:* event
  15: (bf) r0 = r8
  16: (17) r0 -= 1	; slot
  17: (35) if r0 >= 0x3 goto pc+6	; slot < slots (for the verifier)
  18: (67) r0 <<= 3
  19: (18) r1 = map[id:counts][0]+0	; &counts[0]
  21: (0f) r1 += r0
  22: (b7) r2 = 1
  23: (db) lock *(u64 *)(r1 +0) += r2	; counts[slot]++
  24: (b7) r0 = 0
  25: (95) exit
