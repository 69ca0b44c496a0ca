   0: (bf) r6 = r1	; save ctx
   1: (85) call bpf_get_current_pid_tgid#14
   2: (bf) r7 = r0
   3: (63) *(u32 *)(r10 -8) = r7	; key = tid
   4: (18) r1 = map[id:start]
   6: (bf) r2 = r10
   7: (07) r2 += -8
   8: (85) call bpf_map_lookup_elem#1
   9: (15) if r0 == 0x0 goto pc+81	; missed start
  10: (79) r8 = *(u64 *)(r0 +0)	; ts
  11: (85) call bpf_ktime_get_ns#5
  12: (1f) r0 -= r8
  13: (bf) r8 = r0	; delta
  14: (18) r1 = map[id:start]
  16: (bf) r2 = r10
  17: (07) r2 += -8
  18: (85) call bpf_map_delete_elem#3
  19: (62) *(u32 *)(r10 -8) = 0
  20: (18) r1 = map[id:avg]
  22: (bf) r2 = r10
  23: (07) r2 += -8
  24: (85) call bpf_map_lookup_elem#1
  25: (15) if r0 == 0x0 goto pc+6
  26: (79) r1 = *(u64 *)(r0 +0)
  27: (0f) r1 += r8
  28: (7b) *(u64 *)(r0 +0) = r1	; avg.total += delta
  29: (79) r1 = *(u64 *)(r0 +8)
  30: (07) r1 += 1
  31: (7b) *(u64 *)(r0 +8) = r1	; avg.count++
  32: (37) r8 /= 1000	; delta /= 1000 (usecs)
  33: (b7) r9 = 1	; slot = bpf_log2l(v)
  34: (bf) r1 = r8
  35: (77) r1 >>= 32
  36: (15) if r1 == 0x0 goto pc+2
  37: (bf) r8 = r1
  38: (07) r9 += 32
  39: (bf) r1 = r8
  40: (77) r1 >>= 16
  41: (15) if r1 == 0x0 goto pc+2
  42: (bf) r8 = r1
  43: (07) r9 += 16
  44: (bf) r1 = r8
  45: (77) r1 >>= 8
  46: (15) if r1 == 0x0 goto pc+2
  47: (bf) r8 = r1
  48: (07) r9 += 8
  49: (bf) r1 = r8
  50: (77) r1 >>= 4
  51: (15) if r1 == 0x0 goto pc+2
  52: (bf) r8 = r1
  53: (07) r9 += 4
  54: (bf) r1 = r8
  55: (77) r1 >>= 2
  56: (15) if r1 == 0x0 goto pc+2
  57: (bf) r8 = r1
  58: (07) r9 += 2
  59: (bf) r1 = r8
  60: (77) r1 >>= 1
  61: (15) if r1 == 0x0 goto pc+2
  62: (bf) r8 = r1
  63: (07) r9 += 1
  64: (62) *(u32 *)(r10 -24) = 0
  65: (62) *(u32 *)(r10 -20) = 0
  66: (63) *(u32 *)(r10 -16) = r9	; bucket
  67: (62) *(u32 *)(r10 -12) = 0
  68: (18) r1 = map[id:hist]
  70: (bf) r2 = r10
  71: (07) r2 += -24
  72: (85) call bpf_map_lookup_elem#1
  73: (55) if r0 != 0x0 goto pc+15
  74: (7a) *(u64 *)(r10 -32) = 0
  75: (18) r1 = map[id:hist]
  77: (bf) r2 = r10
  78: (07) r2 += -24
  79: (bf) r3 = r10
  80: (07) r3 += -32
  81: (b7) r4 = 1
  82: (85) call bpf_map_update_elem#2
  83: (18) r1 = map[id:hist]
  85: (bf) r2 = r10
  86: (07) r2 += -24
  87: (85) call bpf_map_lookup_elem#1
  88: (15) if r0 == 0x0 goto pc+2
  89: (b7) r1 = 1
  90: (db) lock *(u64 *)(r0 +0) += r1	; hist[key]++
  91: (b7) r0 = 0
  92: (95) exit
