   0: (bf) r6 = r1	; save ctx
   1: (85) call bpf_get_current_pid_tgid#14
   2: (77) r0 >>= 32
   3: (bf) r7 = r0	; tgid
   4: (55) if r7 != 0x4d2 goto pc+63	; -p 1234
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
  33: (18) r1 = map[id:counts]
  35: (bf) r2 = r10
  36: (07) r2 += -32
  37: (85) call bpf_map_lookup_elem#1
  38: (55) if r0 != 0x0 goto pc+27
  39: (7a) *(u64 *)(r10 -40) = 1
  40: (18) r1 = map[id:counts]
  42: (bf) r2 = r10
  43: (07) r2 += -32
  44: (bf) r3 = r10
  45: (07) r3 += -40
  46: (b7) r4 = 1
  47: (85) call bpf_map_update_elem#2	; new key: insert with count 1
  48: (15) if r0 == 0x0 goto pc+19
  49: (18) r1 = map[id:counts]
  51: (bf) r2 = r10
  52: (07) r2 += -32
  53: (85) call bpf_map_lookup_elem#1
  54: (55) if r0 != 0x0 goto pc+11	; another CPU inserted it
  55: (62) *(u32 *)(r10 -40) = 1
  56: (18) r1 = map[id:lost]
  58: (bf) r2 = r10
  59: (07) r2 += -40
  60: (85) call bpf_map_lookup_elem#1
  61: (15) if r0 == 0x0 goto pc+6
  62: (79) r1 = *(u64 *)(r0 +0)
  63: (07) r1 += 1
  64: (7b) *(u64 *)(r0 +0) = r1	; lost++ (per-CPU: counts map full: dropped)
  65: (05) goto pc+2
  66: (b7) r1 = 1
  67: (db) lock *(u64 *)(r0 +0) += r1	; counts[key]++
  68: (b7) r0 = 0
  69: (95) exit
