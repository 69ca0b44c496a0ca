   0: (bf) r6 = r1	; save ctx
   1: (85) call bpf_get_current_pid_tgid#14
   2: (77) r0 >>= 32
   3: (bf) r7 = r0	; tgid
   4: (55) if r7 != 0x4d2 goto pc+90	; -p 1234
   5: (7a) *(u64 *)(r10 -32) = 0
   6: (7a) *(u64 *)(r10 -24) = 0
   7: (7a) *(u64 *)(r10 -16) = 0
   8: (7a) *(u64 *)(r10 -8) = 0
   9: (63) *(u32 *)(r10 -32) = r7	; key.tgid
  10: (62) *(u32 *)(r10 -28) = -1	; no kernel stack
  11: (bf) r1 = r6
  12: (18) r2 = map[id:stack_traces]
  14: (b7) r3 = 256
  15: (85) call bpf_get_stackid#27
  16: (63) *(u32 *)(r10 -24) = r0	; user stack id
  17: (75) if r0 s>= 0x0 goto pc+11
  18: (15) if r0 == 0xfffffff2 goto pc+10	; no stack on this side
  19: (62) *(u32 *)(r10 -40) = 0
  20: (18) r1 = map[id:lost]
  22: (bf) r2 = r10
  23: (07) r2 += -40
  24: (85) call bpf_map_lookup_elem#1
  25: (15) if r0 == 0x0 goto pc+3
  26: (79) r1 = *(u64 *)(r0 +0)
  27: (07) r1 += 1
  28: (7b) *(u64 *)(r0 +0) = r1	; lost++ (per-CPU: lost stacks)
  29: (bf) r1 = r10
  30: (07) r1 += -20
  31: (b7) r2 = 16
  32: (85) call bpf_get_current_comm#16
  33: (18) r1 = map[id:sc_active][0]+0	; &sc_active[0]
  35: (61) r7 = *(u32 *)(r1 +0)	; active counts hash
  36: (55) if r7 != 0x0 goto pc+23	; sc_active: the second hash
  37: (18) r1 = map[id:counts]
  39: (bf) r2 = r10
  40: (07) r2 += -32
  41: (85) call bpf_map_lookup_elem#1
  42: (55) if r0 != 0x0 goto pc+50
  43: (7a) *(u64 *)(r10 -40) = 1
  44: (18) r1 = map[id:counts]
  46: (bf) r2 = r10
  47: (07) r2 += -32
  48: (bf) r3 = r10
  49: (07) r3 += -40
  50: (b7) r4 = 1
  51: (85) call bpf_map_update_elem#2	; new key: insert with count 1
  52: (15) if r0 == 0x0 goto pc+42
  53: (18) r1 = map[id:counts]
  55: (bf) r2 = r10
  56: (07) r2 += -32
  57: (85) call bpf_map_lookup_elem#1
  58: (55) if r0 != 0x0 goto pc+34	; another CPU inserted it
  59: (05) goto pc+22
  60: (18) r1 = map[id:counts_b]
  62: (bf) r2 = r10
  63: (07) r2 += -32
  64: (85) call bpf_map_lookup_elem#1
  65: (55) if r0 != 0x0 goto pc+27
  66: (7a) *(u64 *)(r10 -40) = 1
  67: (18) r1 = map[id:counts_b]
  69: (bf) r2 = r10
  70: (07) r2 += -32
  71: (bf) r3 = r10
  72: (07) r3 += -40
  73: (b7) r4 = 1
  74: (85) call bpf_map_update_elem#2	; new key: insert with count 1
  75: (15) if r0 == 0x0 goto pc+19
  76: (18) r1 = map[id:counts_b]
  78: (bf) r2 = r10
  79: (07) r2 += -32
  80: (85) call bpf_map_lookup_elem#1
  81: (55) if r0 != 0x0 goto pc+11	; another CPU inserted it
  82: (62) *(u32 *)(r10 -40) = 1
  83: (18) r1 = map[id:lost]
  85: (bf) r2 = r10
  86: (07) r2 += -40
  87: (85) call bpf_map_lookup_elem#1
  88: (15) if r0 == 0x0 goto pc+6
  89: (79) r1 = *(u64 *)(r0 +0)
  90: (07) r1 += 1
  91: (7b) *(u64 *)(r0 +0) = r1	; lost++ (per-CPU: counts map full: dropped)
  92: (05) goto pc+2
  93: (b7) r1 = 1
  94: (db) lock *(u64 *)(r0 +0) += r1	; counts[key]++
  95: (b7) r0 = 0
  96: (95) exit
