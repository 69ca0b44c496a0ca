; STRCMP("/tmp", args->filename) && args->dfd != -100 || !(args->flags & 1)
   0: (bf) r6 = r1
   1: (7a) *(u64 *)(r10 -8) = 0	; STRCMP("/tmp", args->filename) && args->dfd != -100 || !(args->flags & 1)
   2: (79) r3 = *(u64 *)(r6 +24)
   3: (bf) r1 = r10
   4: (07) r1 += -8
   5: (b7) r2 = 5
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
  18: (61) r0 = *(u32 *)(r10 -8)
  19: (56) if w0 != 0x706d742f goto pc+4
  20: (61) r0 = *(u32 *)(r6 +16)
  21: (67) r0 <<= 32
  22: (c7) r0 s>>= 32
  23: (55) if r0 != 0xffffff9c goto pc+5
  24: (61) r0 = *(u32 *)(r6 +32)
  25: (67) r0 <<= 32
  26: (c7) r0 s>>= 32
  27: (57) r0 &= 1
  28: (55) if r0 != 0x0 goto pc+2
  29: (b7) r0 = 1
  30: (95) exit
  31: (b7) r0 = 0
  32: (95) exit
