   0: (bf) r6 = r1	; save ctx
   1: (85) call bpf_get_current_pid_tgid#14
   2: (bf) r7 = r0	; pid_tgid
   3: (77) r7 >>= 32	; tgid
   4: (7a) *(u64 *)(r10 -32) = 0
   5: (7a) *(u64 *)(r10 -24) = 0
   6: (7a) *(u64 *)(r10 -16) = 0
   7: (7a) *(u64 *)(r10 -8) = 0
   8: (63) *(u32 *)(r10 -32) = r7	; key.tgid
   9: (bf) r1 = r6
  10: (18) r2 = map[id:stack_traces]
  12: (b7) r3 = 0
  13: (85) call bpf_get_stackid#27
  14: (63) *(u32 *)(r10 -28) = r0	; kernel stack id
  15: (75) if r0 s>= 0x0 goto pc+11
  16: (15) if r0 == 0xfffffff2 goto pc+10	; no stack on this side
  17: (62) *(u32 *)(r10 -40) = 0
  18: (18) r1 = map[id:lost]
  20: (bf) r2 = r10
  21: (07) r2 += -40
  22: (85) call bpf_map_lookup_elem#1
  23: (15) if r0 == 0x0 goto pc+3
  24: (79) r1 = *(u64 *)(r0 +0)
  25: (07) r1 += 1
  26: (7b) *(u64 *)(r0 +0) = r1	; lost++ (per-CPU: lost stacks)
  27: (bf) r1 = r6
  28: (18) r2 = map[id:stack_traces]
  30: (b7) r3 = 256
  31: (85) call bpf_get_stackid#27
  32: (63) *(u32 *)(r10 -24) = r0	; user stack id
  33: (75) if r0 s>= 0x0 goto pc+11
  34: (15) if r0 == 0xfffffff2 goto pc+10	; no stack on this side
  35: (62) *(u32 *)(r10 -40) = 0
  36: (18) r1 = map[id:lost]
  38: (bf) r2 = r10
  39: (07) r2 += -40
  40: (85) call bpf_map_lookup_elem#1
  41: (15) if r0 == 0x0 goto pc+3
  42: (79) r1 = *(u64 *)(r0 +0)
  43: (07) r1 += 1
  44: (7b) *(u64 *)(r0 +0) = r1	; lost++ (per-CPU: lost stacks)
  45: (bf) r1 = r10
  46: (07) r1 += -20
  47: (b7) r2 = 16
  48: (85) call bpf_get_current_comm#16
  49: (18) r1 = map[id:sc_active][0]+0	; &sc_active[0]
  51: (61) r7 = *(u32 *)(r1 +0)	; active counts hash
  52: (55) if r7 != 0x0 goto pc+23	; sc_active: the second hash
  53: (18) r1 = map[id:counts]
  55: (bf) r2 = r10
  56: (07) r2 += -32
  57: (85) call bpf_map_lookup_elem#1
  58: (55) if r0 != 0x0 goto pc+50
  59: (7a) *(u64 *)(r10 -40) = 1
  60: (18) r1 = map[id:counts]
  62: (bf) r2 = r10
  63: (07) r2 += -32
  64: (bf) r3 = r10
  65: (07) r3 += -40
  66: (b7) r4 = 1
  67: (85) call bpf_map_update_elem#2	; new key: insert with count 1
  68: (15) if r0 == 0x0 goto pc+42
  69: (18) r1 = map[id:counts]
  71: (bf) r2 = r10
  72: (07) r2 += -32
  73: (85) call bpf_map_lookup_elem#1
  74: (55) if r0 != 0x0 goto pc+34	; another CPU inserted it
  75: (05) goto pc+22
  76: (18) r1 = map[id:counts_b]
  78: (bf) r2 = r10
  79: (07) r2 += -32
  80: (85) call bpf_map_lookup_elem#1
  81: (55) if r0 != 0x0 goto pc+27
  82: (7a) *(u64 *)(r10 -40) = 1
  83: (18) r1 = map[id:counts_b]
  85: (bf) r2 = r10
  86: (07) r2 += -32
  87: (bf) r3 = r10
  88: (07) r3 += -40
  89: (b7) r4 = 1
  90: (85) call bpf_map_update_elem#2	; new key: insert with count 1
  91: (15) if r0 == 0x0 goto pc+19
  92: (18) r1 = map[id:counts_b]
  94: (bf) r2 = r10
  95: (07) r2 += -32
  96: (85) call bpf_map_lookup_elem#1
  97: (55) if r0 != 0x0 goto pc+11	; another CPU inserted it
  98: (62) *(u32 *)(r10 -40) = 1
  99: (18) r1 = map[id:lost]
 101: (bf) r2 = r10
 102: (07) r2 += -40
 103: (85) call bpf_map_lookup_elem#1
 104: (15) if r0 == 0x0 goto pc+6
 105: (79) r1 = *(u64 *)(r0 +0)
 106: (07) r1 += 1
 107: (7b) *(u64 *)(r0 +0) = r1	; lost++ (per-CPU: counts map full: dropped)
 108: (05) goto pc+2
 109: (b7) r1 = 1
 110: (db) lock *(u64 *)(r0 +0) += r1	; counts[key]++
 111: (b7) r0 = 0
 112: (95) exit
