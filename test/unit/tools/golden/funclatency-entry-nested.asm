   0: (bf) r6 = r1	; save ctx
   1: (85) call bpf_get_current_pid_tgid#14
   2: (bf) r7 = r0	; pid_tgid
   3: (63) *(u32 *)(r10 -8) = r7	; key = tid
   4: (18) r1 = map[id:start]
   6: (bf) r2 = r10
   7: (07) r2 += -8
   8: (85) call bpf_map_lookup_elem#1
   9: (55) if r0 != 0x0 goto pc+19
  10: (7a) *(u64 *)(r10 -48) = 0	; first call of this thread: an empty stack
  11: (7a) *(u64 *)(r10 -40) = 0
  12: (7a) *(u64 *)(r10 -32) = 0
  13: (7a) *(u64 *)(r10 -24) = 0
  14: (7a) *(u64 *)(r10 -16) = 0
  15: (18) r1 = map[id:start]
  17: (bf) r2 = r10
  18: (07) r2 += -8
  19: (bf) r3 = r10
  20: (07) r3 += -48
  21: (b7) r4 = 1
  22: (85) call bpf_map_update_elem#2
  23: (18) r1 = map[id:start]
  25: (bf) r2 = r10
  26: (07) r2 += -8
  27: (85) call bpf_map_lookup_elem#1
  28: (15) if r0 == 0x0 goto pc+10
  29: (bf) r8 = r0
  30: (79) r1 = *(u64 *)(r8 +0)	; depth
  31: (bf) r2 = r1
  32: (07) r2 += 1
  33: (7b) *(u64 *)(r8 +0) = r2	; depth++
  34: (35) if r1 >= 0x4 goto pc+4	; deeper than 4: counted, not timed
  35: (67) r1 <<= 3
  36: (0f) r8 += r1
  37: (85) call bpf_ktime_get_ns#5
  38: (7b) *(u64 *)(r8 +8) = r0	; ts[depth] = ktime
  39: (b7) r0 = 0
  40: (95) exit
