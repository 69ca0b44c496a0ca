; ((struct flags *)arg1)->c
   0: (bf) r6 = r1
   1: (7a) *(u64 *)(r10 -8) = 0	; ((struct flags *)arg1)->c
   2: (79) r3 = *(u64 *)(r6 +112)	; pt_regs->rdi
   3: (07) r3 += 1
   4: (bf) r1 = r10
   5: (07) r1 += -8
   6: (b7) r2 = 1
   7: (85) call bpf_probe_read#4
   8: (15) if r0 == 0x0 goto pc+10
   9: (62) *(u32 *)(r10 -16) = 0
  10: (18) r1 = map[id:read_errors]
  12: (bf) r2 = r10
  13: (07) r2 += -16
  14: (85) call bpf_map_lookup_elem#1
  15: (15) if r0 == 0x0 goto pc+3
  16: (79) r1 = *(u64 *)(r0 +0)
  17: (07) r1 += 1
  18: (7b) *(u64 *)(r0 +0) = r1	; read_errors++
  19: (79) r8 = *(u64 *)(r10 -8)
  20: (67) r8 <<= 57
  21: (c7) r8 s>>= 57
  22: (b7) r0 = 0
  23: (95) exit
