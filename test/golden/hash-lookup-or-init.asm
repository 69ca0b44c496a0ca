   0: (85) call bpf_get_current_pid_tgid#14	; tgid = bpf_get_current_pid_tgid() >> 32
   1: (77) r0 >>= 32
   2: (63) *(u32 *)(r10 -4) = r0
   3: (bf) r2 = r10
   4: (07) r2 += -4
   5: (18) r1 = map[id:by_tgid]
   7: (85) call bpf_map_lookup_elem#1
   8: (55) if r0 != 0x0 goto pc+15
   9: (7a) *(u64 *)(r10 -16) = 0	; init = 0
  10: (bf) r2 = r10
  11: (07) r2 += -4
  12: (bf) r3 = r10
  13: (07) r3 += -16
  14: (b7) r4 = 1	; BPF_NOEXIST
  15: (18) r1 = map[id:by_tgid]
  17: (85) call bpf_map_update_elem#2
  18: (bf) r2 = r10
  19: (07) r2 += -4
  20: (18) r1 = map[id:by_tgid]
  22: (85) call bpf_map_lookup_elem#1
  23: (15) if r0 == 0x0 goto pc+2
  24: (b7) r1 = 1
  25: (db) lock *(u64 *)(r0 +0) += r1	; by_tgid[tgid]++
  26: (b7) r0 = 0
  27: (95) exit
