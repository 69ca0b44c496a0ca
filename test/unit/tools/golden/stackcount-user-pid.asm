   0: (bf) r6 = r1	; save ctx
   1: (85) call bpf_get_current_pid_tgid#14
   2: (bf) r7 = r0	; pid_tgid
   3: (77) r0 >>= 32
   4: (55) if r0 != 0x4d2 goto pc+91	; -p 1234
   5: (77) r7 >>= 32	; tgid
   6: (7a) *(u64 *)(r10 -32) = 0
   7: (7a) *(u64 *)(r10 -24) = 0
   8: (7a) *(u64 *)(r10 -16) = 0
   9: (7a) *(u64 *)(r10 -8) = 0
  10: (63) *(u32 *)(r10 -32) = r7	; key.tgid
  11: (62) *(u32 *)(r10 -28) = -1	; no kernel stack
  12: (bf) r1 = r6
  13: (18) r2 = map[id:stack_traces]
  15: (b7) r3 = 256
  16: (85) call bpf_get_stackid#27
  17: (63) *(u32 *)(r10 -24) = r0	; user stack id
  18: (75) if r0 s>= 0x0 goto pc+11
  19: (15) if r0 == 0xfffffff2 goto pc+10	; no stack on this side
  20: (62) *(u32 *)(r10 -40) = 0
  21: (18) r1 = map[id:lost]
  23: (bf) r2 = r10
  24: (07) r2 += -40
  25: (85) call bpf_map_lookup_elem#1
  26: (15) if r0 == 0x0 goto pc+3
  27: (79) r1 = *(u64 *)(r0 +0)
  28: (07) r1 += 1
  29: (7b) *(u64 *)(r0 +0) = r1	; lost++ (per-CPU: lost stacks)
  30: (bf) r1 = r10
  31: (07) r1 += -20
  32: (b7) r2 = 16
  33: (85) call bpf_get_current_comm#16
  34: (18) r1 = map[id:sc_active][0]+0	; &sc_active[0]
  36: (61) r7 = *(u32 *)(r1 +0)	; active counts hash
  37: (55) if r7 != 0x0 goto pc+23	; sc_active: the second hash
  38: (18) r1 = map[id:counts]
  40: (bf) r2 = r10
  41: (07) r2 += -32
  42: (85) call bpf_map_lookup_elem#1
  43: (55) if r0 != 0x0 goto pc+50
  44: (7a) *(u64 *)(r10 -40) = 1
  45: (18) r1 = map[id:counts]
  47: (bf) r2 = r10
  48: (07) r2 += -32
  49: (bf) r3 = r10
  50: (07) r3 += -40
  51: (b7) r4 = 1
  52: (85) call bpf_map_update_elem#2	; new key: insert with count 1
  53: (15) if r0 == 0x0 goto pc+42
  54: (18) r1 = map[id:counts]
  56: (bf) r2 = r10
  57: (07) r2 += -32
  58: (85) call bpf_map_lookup_elem#1
  59: (55) if r0 != 0x0 goto pc+34	; another CPU inserted it
  60: (05) goto pc+22
  61: (18) r1 = map[id:counts_b]
  63: (bf) r2 = r10
  64: (07) r2 += -32
  65: (85) call bpf_map_lookup_elem#1
  66: (55) if r0 != 0x0 goto pc+27
  67: (7a) *(u64 *)(r10 -40) = 1
  68: (18) r1 = map[id:counts_b]
  70: (bf) r2 = r10
  71: (07) r2 += -32
  72: (bf) r3 = r10
  73: (07) r3 += -40
  74: (b7) r4 = 1
  75: (85) call bpf_map_update_elem#2	; new key: insert with count 1
  76: (15) if r0 == 0x0 goto pc+19
  77: (18) r1 = map[id:counts_b]
  79: (bf) r2 = r10
  80: (07) r2 += -32
  81: (85) call bpf_map_lookup_elem#1
  82: (55) if r0 != 0x0 goto pc+11	; another CPU inserted it
  83: (62) *(u32 *)(r10 -40) = 1
  84: (18) r1 = map[id:lost]
  86: (bf) r2 = r10
  87: (07) r2 += -40
  88: (85) call bpf_map_lookup_elem#1
  89: (15) if r0 == 0x0 goto pc+6
  90: (79) r1 = *(u64 *)(r0 +0)
  91: (07) r1 += 1
  92: (7b) *(u64 *)(r0 +0) = r1	; lost++ (per-CPU: counts map full: dropped)
  93: (05) goto pc+2
  94: (b7) r1 = 1
  95: (db) lock *(u64 *)(r0 +0) += r1	; counts[key]++
  96: (b7) r0 = 0
  97: (95) exit
