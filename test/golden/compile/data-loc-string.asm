; args->filename
   0: (bf) r6 = r1
   1: (7a) *(u64 *)(r10 -32) = 0	; args->filename
   2: (7a) *(u64 *)(r10 -24) = 0
   3: (7a) *(u64 *)(r10 -16) = 0
   4: (7a) *(u64 *)(r10 -8) = 0
   5: (61) r0 = *(u32 *)(r6 +8)
   6: (57) r0 &= 65535
   7: (bf) r3 = r6
   8: (0f) r3 += r0
   9: (bf) r1 = r10
  10: (07) r1 += -32
  11: (b7) r2 = 32
  12: (85) call bpf_probe_read_kernel_str#115
  13: (75) if r0 s>= 0x0 goto pc+10
  14: (62) *(u32 *)(r10 -40) = 0
  15: (18) r1 = map[id:read_errors]
  17: (bf) r2 = r10
  18: (07) r2 += -40
  19: (85) call bpf_map_lookup_elem#1
  20: (15) if r0 == 0x0 goto pc+3
  21: (79) r1 = *(u64 *)(r0 +0)
  22: (07) r1 += 1
  23: (7b) *(u64 *)(r0 +0) = r1	; read_errors++
  24: (b7) r0 = 0
  25: (95) exit
