; STRCMP("go", arg1@user)
   0: (bf) r6 = r1
   1: (7a) *(u64 *)(r10 -8) = 0	; STRCMP("go", arg1@user)
   2: (79) r3 = *(u64 *)(r6 +112)	; pt_regs->rdi
   3: (bf) r1 = r10
   4: (07) r1 += -8
   5: (b7) r2 = 3
   6: (85) call bpf_probe_read_user_str#114
   7: (75) if r0 s>= 0x0 goto pc+10
   8: (62) *(u32 *)(r10 -16) = 0
   9: (18) r1 = map[id:read_errors]
  11: (bf) r2 = r10
  12: (07) r2 += -16
  13: (85) call bpf_map_lookup_elem#1
  14: (15) if r0 == 0x0 goto pc+3
  15: (79) r1 = *(u64 *)(r0 +0)
  16: (07) r1 += 1
  17: (7b) *(u64 *)(r0 +0) = r1	; read_errors++
  18: (69) r0 = *(u16 *)(r10 -8)
  19: (55) if r0 != 0x6f67 goto pc+2
  20: (b7) r0 = 1
  21: (95) exit
  22: (b7) r0 = 0
  23: (95) exit
