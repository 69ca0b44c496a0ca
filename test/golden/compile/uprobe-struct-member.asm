; req->tv_nsec / 1000
   0: (bf) r6 = r1
   1: (79) r3 = *(u64 *)(r6 +112)	; req->tv_nsec / 1000; pt_regs->rdi
   2: (07) r3 += 8
   3: (bf) r1 = r10
   4: (07) r1 += -8
   5: (b7) r2 = 8
   6: (85) call bpf_probe_read_user#112
   7: (15) if r0 == 0x0 goto pc+10
   8: (62) *(u32 *)(r10 -16) = 0
   9: (18) r1 = map[id:read_errors]
  11: (bf) r2 = r10
  12: (07) r2 += -16
  13: (85) call bpf_map_lookup_elem#1
  14: (15) if r0 == 0x0 goto pc+3
  15: (79) r1 = *(u64 *)(r0 +0)
  16: (07) r1 += 1
  17: (7b) *(u64 *)(r0 +0) = r1	; read_errors++
  18: (79) r8 = *(u64 *)(r10 -8)
  19: (b7) r1 = 1000
  20: (75) if r8 s>= 0x0 goto pc+7
  21: (87) r8 = -r8
  22: (75) if r1 s>= 0x0 goto pc+3
  23: (87) r1 = -r1
  24: (3f) r8 /= r1
  25: (05) goto pc+9
  26: (3f) r8 /= r1
  27: (05) goto pc+6
  28: (75) if r1 s>= 0x0 goto pc+3
  29: (87) r1 = -r1
  30: (3f) r8 /= r1
  31: (05) goto pc+2
  32: (3f) r8 /= r1
  33: (05) goto pc+1
  34: (87) r8 = -r8
  35: (b7) r0 = 0
  36: (95) exit
