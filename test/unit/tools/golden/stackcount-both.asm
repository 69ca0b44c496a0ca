   0: (bf) r6 = r1	; save ctx
   1: (85) call bpf_get_current_pid_tgid#14
   2: (77) r0 >>= 32
   3: (bf) r7 = r0	; tgid
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
  49: (18) r1 = map[id:counts]
  51: (bf) r2 = r10
  52: (07) r2 += -32
  53: (85) call bpf_map_lookup_elem#1
  54: (55) if r0 != 0x0 goto pc+27
  55: (7a) *(u64 *)(r10 -40) = 1
  56: (18) r1 = map[id:counts]
  58: (bf) r2 = r10
  59: (07) r2 += -32
  60: (bf) r3 = r10
  61: (07) r3 += -40
  62: (b7) r4 = 1
  63: (85) call bpf_map_update_elem#2	; new key: insert with count 1
  64: (15) if r0 == 0x0 goto pc+19
  65: (18) r1 = map[id:counts]
  67: (bf) r2 = r10
  68: (07) r2 += -32
  69: (85) call bpf_map_lookup_elem#1
  70: (55) if r0 != 0x0 goto pc+11	; another CPU inserted it
  71: (62) *(u32 *)(r10 -40) = 1
  72: (18) r1 = map[id:lost]
  74: (bf) r2 = r10
  75: (07) r2 += -40
  76: (85) call bpf_map_lookup_elem#1
  77: (15) if r0 == 0x0 goto pc+6
  78: (79) r1 = *(u64 *)(r0 +0)
  79: (07) r1 += 1
  80: (7b) *(u64 *)(r0 +0) = r1	; lost++ (per-CPU: counts map full: dropped)
  81: (05) goto pc+2
  82: (b7) r1 = 1
  83: (db) lock *(u64 *)(r0 +0) += r1	; counts[key]++
  84: (b7) r0 = 0
  85: (95) exit
