   0: (bf) r6 = r1	; save ctx
   1: (85) call bpf_get_current_pid_tgid#14
   2: (bf) r7 = r0	; pid_tgid
   3: (63) *(u32 *)(r10 -8) = r7	; key = tid
   4: (85) call bpf_ktime_get_ns#5
   5: (7b) *(u64 *)(r10 -16) = r0	; start[tid] = ktime
   6: (18) r1 = map[id:start]
   8: (bf) r2 = r10
   9: (07) r2 += -8
  10: (bf) r3 = r10
  11: (07) r3 += -16
  12: (b7) r4 = 0
  13: (85) call bpf_map_update_elem#2
  14: (b7) r0 = 0
  15: (95) exit
