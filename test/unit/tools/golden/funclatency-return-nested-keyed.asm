   0: (bf) r6 = r1	; save ctx
   1: (85) call bpf_get_current_pid_tgid#14
   2: (bf) r7 = r0
   3: (63) *(u32 *)(r10 -8) = r7	; key = tid
   4: (18) r1 = map[id:start]
   6: (bf) r2 = r10
   7: (07) r2 += -8
   8: (85) call bpf_map_lookup_elem#1
   9: (15) if r0 == 0x0 goto pc+87	; missed start
  10: (bf) r9 = r0
  11: (79) r1 = *(u64 *)(r9 +0)	; depth
  12: (15) if r1 == 0x0 goto pc+84	; missed start
  13: (17) r1 -= 1
  14: (7b) *(u64 *)(r9 +0) = r1	; depth--
  15: (35) if r1 >= 0x4 goto pc+81	; was not timed
  16: (67) r1 <<= 3
  17: (0f) r9 += r1
  18: (79) r8 = *(u64 *)(r9 +8)	; ts[depth]
  19: (85) call bpf_ktime_get_ns#5
  20: (1f) r0 -= r8
  21: (bf) r8 = r0	; delta
  22: (62) *(u32 *)(r10 -8) = 0
  23: (18) r1 = map[id:avg]
  25: (bf) r2 = r10
  26: (07) r2 += -8
  27: (85) call bpf_map_lookup_elem#1
  28: (15) if r0 == 0x0 goto pc+6
  29: (79) r1 = *(u64 *)(r0 +0)
  30: (0f) r1 += r8
  31: (7b) *(u64 *)(r0 +0) = r1	; avg.total += delta
  32: (79) r1 = *(u64 *)(r0 +8)
  33: (07) r1 += 1
  34: (7b) *(u64 *)(r0 +8) = r1	; avg.count++
  35: (37) r8 /= 1000000	; delta /= 1000000 (msecs)
  36: (b7) r9 = 1	; slot = bpf_log2l(v)
  37: (bf) r1 = r8
  38: (77) r1 >>= 32
  39: (15) if r1 == 0x0 goto pc+2
  40: (bf) r8 = r1
  41: (07) r9 += 32
  42: (bf) r1 = r8
  43: (77) r1 >>= 16
  44: (15) if r1 == 0x0 goto pc+2
  45: (bf) r8 = r1
  46: (07) r9 += 16
  47: (bf) r1 = r8
  48: (77) r1 >>= 8
  49: (15) if r1 == 0x0 goto pc+2
  50: (bf) r8 = r1
  51: (07) r9 += 8
  52: (bf) r1 = r8
  53: (77) r1 >>= 4
  54: (15) if r1 == 0x0 goto pc+2
  55: (bf) r8 = r1
  56: (07) r9 += 4
  57: (bf) r1 = r8
  58: (77) r1 >>= 2
  59: (15) if r1 == 0x0 goto pc+2
  60: (bf) r8 = r1
  61: (07) r9 += 2
  62: (bf) r1 = r8
  63: (77) r1 >>= 1
  64: (15) if r1 == 0x0 goto pc+2
  65: (bf) r8 = r1
  66: (07) r9 += 1
  67: (bf) r1 = r6
  68: (85) call bpf_get_attach_cookie#174
  69: (63) *(u32 *)(r10 -24) = r0	; fslot = cookie
  70: (77) r7 >>= 32
  71: (63) *(u32 *)(r10 -20) = r7	; tgid
  72: (63) *(u32 *)(r10 -16) = r9	; bucket
  73: (62) *(u32 *)(r10 -12) = 0
  74: (18) r1 = map[id:hist]
  76: (bf) r2 = r10
  77: (07) r2 += -24
  78: (85) call bpf_map_lookup_elem#1
  79: (55) if r0 != 0x0 goto pc+15
  80: (7a) *(u64 *)(r10 -32) = 0
  81: (18) r1 = map[id:hist]
  83: (bf) r2 = r10
  84: (07) r2 += -24
  85: (bf) r3 = r10
  86: (07) r3 += -32
  87: (b7) r4 = 1
  88: (85) call bpf_map_update_elem#2
  89: (18) r1 = map[id:hist]
  91: (bf) r2 = r10
  92: (07) r2 += -24
  93: (85) call bpf_map_lookup_elem#1
  94: (15) if r0 == 0x0 goto pc+2
  95: (b7) r1 = 1
  96: (db) lock *(u64 *)(r0 +0) += r1	; hist[key]++
  97: (b7) r0 = 0
  98: (95) exit
