   0: (bf) r6 = r1	; save ctx
   1: (85) call bpf_get_current_pid_tgid#14
   2: (bf) r7 = r0	; pid_tgid
   3: (79) r8 = *(u64 *)(r6 +8)	; nr = args[1] (sys_enter: regs, id)
   4: (35) if r8 >= 0x28 goto pc+115	; nr < 40 (unsigned: -1 and x32 numbers are out)
   5: (67) r8 <<= 2
   6: (18) r1 = map[id:sys_enter_slots][0]+0	; &sys_enter_slots[0]
   8: (0f) r1 += r8
   9: (61) r8 = *(u32 *)(r1 +0)	; slot + 1
  10: (15) if r8 == 0x0 goto pc+109	; not counted
  11: (85) call bpf_get_current_task_btf#158
  12: (61) r1 = *(u32 *)(r0 +16)	; the task's compat flag
  13: (45) if r1 & 0x2 goto pc+106	; a compat syscall: no syscalls:* event
  14: (bf) r0 = r8
  15: (17) r0 -= 1	; slot
  16: (77) r7 >>= 32	; tgid
  17: (7a) *(u64 *)(r10 -32) = 0
  18: (7a) *(u64 *)(r10 -24) = 0
  19: (7a) *(u64 *)(r10 -16) = 0
  20: (7a) *(u64 *)(r10 -8) = 0
  21: (63) *(u32 *)(r10 -32) = r7	; key.tgid
  22: (bf) r1 = r6
  23: (18) r2 = map[id:stack_traces]
  25: (b7) r3 = 0
  26: (85) call bpf_get_stackid#27
  27: (63) *(u32 *)(r10 -28) = r0	; kernel stack id
  28: (75) if r0 s>= 0x0 goto pc+11
  29: (15) if r0 == 0xfffffff2 goto pc+10	; no stack on this side
  30: (62) *(u32 *)(r10 -40) = 0
  31: (18) r1 = map[id:lost]
  33: (bf) r2 = r10
  34: (07) r2 += -40
  35: (85) call bpf_map_lookup_elem#1
  36: (15) if r0 == 0x0 goto pc+3
  37: (79) r1 = *(u64 *)(r0 +0)
  38: (07) r1 += 1
  39: (7b) *(u64 *)(r0 +0) = r1	; lost++ (per-CPU: lost stacks)
  40: (bf) r1 = r6
  41: (18) r2 = map[id:stack_traces]
  43: (b7) r3 = 256
  44: (85) call bpf_get_stackid#27
  45: (63) *(u32 *)(r10 -24) = r0	; user stack id
  46: (75) if r0 s>= 0x0 goto pc+11
  47: (15) if r0 == 0xfffffff2 goto pc+10	; no stack on this side
  48: (62) *(u32 *)(r10 -40) = 0
  49: (18) r1 = map[id:lost]
  51: (bf) r2 = r10
  52: (07) r2 += -40
  53: (85) call bpf_map_lookup_elem#1
  54: (15) if r0 == 0x0 goto pc+3
  55: (79) r1 = *(u64 *)(r0 +0)
  56: (07) r1 += 1
  57: (7b) *(u64 *)(r0 +0) = r1	; lost++ (per-CPU: lost stacks)
  58: (18) r1 = map[id:sc_active][0]+0	; &sc_active[0]
  60: (61) r7 = *(u32 *)(r1 +0)	; active counts hash
  61: (55) if r7 != 0x0 goto pc+23	; sc_active: the second hash
  62: (18) r1 = map[id:counts]
  64: (bf) r2 = r10
  65: (07) r2 += -32
  66: (85) call bpf_map_lookup_elem#1
  67: (55) if r0 != 0x0 goto pc+50
  68: (7a) *(u64 *)(r10 -40) = 1
  69: (18) r1 = map[id:counts]
  71: (bf) r2 = r10
  72: (07) r2 += -32
  73: (bf) r3 = r10
  74: (07) r3 += -40
  75: (b7) r4 = 1
  76: (85) call bpf_map_update_elem#2	; new key: insert with count 1
  77: (15) if r0 == 0x0 goto pc+42
  78: (18) r1 = map[id:counts]
  80: (bf) r2 = r10
  81: (07) r2 += -32
  82: (85) call bpf_map_lookup_elem#1
  83: (55) if r0 != 0x0 goto pc+34	; another CPU inserted it
  84: (05) goto pc+22
  85: (18) r1 = map[id:counts_b]
  87: (bf) r2 = r10
  88: (07) r2 += -32
  89: (85) call bpf_map_lookup_elem#1
  90: (55) if r0 != 0x0 goto pc+27
  91: (7a) *(u64 *)(r10 -40) = 1
  92: (18) r1 = map[id:counts_b]
  94: (bf) r2 = r10
  95: (07) r2 += -32
  96: (bf) r3 = r10
  97: (07) r3 += -40
  98: (b7) r4 = 1
  99: (85) call bpf_map_update_elem#2	; new key: insert with count 1
 100: (15) if r0 == 0x0 goto pc+19
 101: (18) r1 = map[id:counts_b]
 103: (bf) r2 = r10
 104: (07) r2 += -32
 105: (85) call bpf_map_lookup_elem#1
 106: (55) if r0 != 0x0 goto pc+11	; another CPU inserted it
 107: (62) *(u32 *)(r10 -40) = 1
 108: (18) r1 = map[id:lost]
 110: (bf) r2 = r10
 111: (07) r2 += -40
 112: (85) call bpf_map_lookup_elem#1
 113: (15) if r0 == 0x0 goto pc+6
 114: (79) r1 = *(u64 *)(r0 +0)
 115: (07) r1 += 1
 116: (7b) *(u64 *)(r0 +0) = r1	; lost++ (per-CPU: counts map full: dropped)
 117: (05) goto pc+2
 118: (b7) r1 = 1
 119: (db) lock *(u64 *)(r0 +0) += r1	; counts[key]++
 120: (b7) r0 = 0
 121: (95) exit
