; $latency / $entry(count)
   0: (bf) r6 = r1
   1: (85) call bpf_get_current_pid_tgid#14
   2: (63) *(u32 *)(r10 -24) = r0
   3: (18) r1 = map[id:ent]
   5: (bf) r2 = r10
   6: (07) r2 += -24
   7: (85) call bpf_map_lookup_elem#1
   8: (15) if r0 == 0x0 goto <skip>	; no entry: skip
   9: (79) r1 = *(u64 *)(r0 +0)
  10: (7b) *(u64 *)(r10 -16) = r1
  11: (79) r1 = *(u64 *)(r0 +8)
  12: (7b) *(u64 *)(r10 -8) = r1
  13: (18) r1 = map[id:ent]
  15: (bf) r2 = r10
  16: (07) r2 += -24
  17: (85) call bpf_map_delete_elem#3
  18: (85) call bpf_ktime_get_ns#5	; $latency / $entry(count)
  19: (79) r1 = *(u64 *)(r10 -16)
  20: (1f) r0 -= r1
  21: (bf) r8 = r0
  22: (79) r1 = *(u64 *)(r10 -8)
  23: (3f) r8 /= r1
  24: (b7) r0 = 0
  25: (95) exit
