   0: (b7) r1 = 0
   1: (63) *(u32 *)(r10 -4) = r1	; key = 0
   2: (bf) r2 = r10
   3: (07) r2 += -4
   4: (18) r1 = map[id:counts]
   6: (85) call bpf_map_lookup_elem#1
   7: (15) if r0 == 0x0 goto pc+3
   8: (b7) r1 = 1
   9: (db) lock *(u64 *)(r0 +0) += r1	; counts[0] += 1
  10: (b7) r0 = 0
  11: (95) exit
