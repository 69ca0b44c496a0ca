   0: (bf) r6 = r1	; save ctx
   1: (85) call bpf_get_current_pid_tgid#14
   2: (77) r0 >>= 32
   3: (bf) r7 = r0	; tgid
   4: (55) if r7 != 0x4d2 goto pc+62	; -p 1234
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
  38: (55) if r0 != 0x0 goto pc+26
  39: (7a) *(u64 *)(r10 -40) = 0
  40: (18) r1 = map[id:counts]
  42: (bf) r2 = r10
  43: (07) r2 += -32
  44: (bf) r3 = r10
  45: (07) r3 += -40
  46: (b7) r4 = 1
  47: (85) call bpf_map_update_elem#2
  48: (18) r1 = map[id:counts]
  50: (bf) r2 = r10
  51: (07) r2 += -32
  52: (85) call bpf_map_lookup_elem#1
  53: (55) if r0 != 0x0 goto pc+11	; inserted (here or by another CPU)
  54: (62) *(u32 *)(r10 -40) = 1
  55: (18) r1 = map[id:lost]
  57: (bf) r2 = r10
  58: (07) r2 += -40
  59: (85) call bpf_map_lookup_elem#1
  60: (15) if r0 == 0x0 goto pc+6
  61: (79) r1 = *(u64 *)(r0 +0)
  62: (07) r1 += 1
  63: (7b) *(u64 *)(r0 +0) = r1	; lost++ (per-CPU: counts map full: dropped)
  64: (05) goto pc+2
  65: (b7) r1 = 1
  66: (db) lock *(u64 *)(r0 +0) += r1	; counts[key]++
  67: (b7) r0 = 0
  68: (95) exit
