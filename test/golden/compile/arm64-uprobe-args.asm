; arg1 + arg8 + arg9
   0: (bf) r6 = r1
   1: (79) r8 = *(u64 *)(r6 +0)	; arg1 + arg8 + arg9; pt_regs->x0
   2: (79) r1 = *(u64 *)(r6 +56)	; pt_regs->x7
   3: (0f) r8 += r1
   4: (7b) *(u64 *)(r10 -8) = r8
   5: (79) r3 = *(u64 *)(r6 +248)	; pt_regs->sp
   6: (bf) r1 = r10
   7: (07) r1 += -16
   8: (b7) r2 = 8
   9: (85) call bpf_probe_read_user#112
  10: (15) if r0 == 0x0 goto pc+10
  11: (62) *(u32 *)(r10 -24) = 0
  12: (18) r1 = map[id:read_errors]
  14: (bf) r2 = r10
  15: (07) r2 += -24
  16: (85) call bpf_map_lookup_elem#1
  17: (15) if r0 == 0x0 goto pc+3
  18: (79) r1 = *(u64 *)(r0 +0)
  19: (07) r1 += 1
  20: (7b) *(u64 *)(r0 +0) = r1	; read_errors++
  21: (79) r1 = *(u64 *)(r10 -16)
  22: (79) r8 = *(u64 *)(r10 -8)
  23: (0f) r8 += r1
  24: (b7) r0 = 0
  25: (95) exit
