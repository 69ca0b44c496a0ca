; arg2
   0: (bf) r6 = r1
   1: (7a) *(u64 *)(r10 -32) = 0	; arg2
   2: (7a) *(u64 *)(r10 -24) = 0
   3: (7a) *(u64 *)(r10 -16) = 0
   4: (7a) *(u64 *)(r10 -8) = 0
   5: (79) r3 = *(u64 *)(r6 +104)	; pt_regs->rsi
   6: (bf) r1 = r10
   7: (07) r1 += -32
   8: (b7) r2 = 32
   9: (85) call bpf_probe_read_str#45
  10: (75) if r0 s>= 0x0 goto pc+10
  11: (62) *(u32 *)(r10 -40) = 0
  12: (18) r1 = map[id:read_errors]
  14: (bf) r2 = r10
  15: (07) r2 += -40
  16: (85) call bpf_map_lookup_elem#1
  17: (15) if r0 == 0x0 goto pc+3
  18: (79) r1 = *(u64 *)(r0 +0)
  19: (07) r1 += 1
  20: (7b) *(u64 *)(r0 +0) = r1	; read_errors++
  21: (b7) r0 = 0
  22: (95) exit
