   0: (bf) r6 = r1	; ctx
   1: (18) r7 = map[id:cfg][0]+8	; &cfg[0].field
   3: (18) r8 = 0xdeadbeef00000001
   5: (b7) r1 = 10
   6: (07) r1 += 1
   7: (1f) r1 -= r2
   8: (27) r1 *= 3
   9: (3f) r1 /= r3
  10: (37) r1 s/= -2
  11: (47) r1 |= 16
  12: (5f) r1 &= r2
  13: (67) r1 <<= 4
  14: (7f) r1 >>= r3
  15: (87) r1 = -r1
  16: (97) r1 %= 7
  17: (9f) r1 s%= r2
  18: (a7) r1 ^= -1
  19: (c7) r1 s>>= 1
  20: (bf) r2 = (s8)r1
  21: (bf) r2 = (s16)r1
  22: (b4) w1 = 10
  23: (04) w1 += 1
  24: (1c) w1 -= w2
  25: (24) w1 *= 3
  26: (3c) w1 /= w3
  27: (34) w1 s/= -2
  28: (44) w1 |= 16
  29: (5c) w1 &= w2
  30: (64) w1 <<= 4
  31: (7c) w1 >>= w3
  32: (84) w1 = -w1
  33: (94) w1 %= 7
  34: (9c) w1 s%= w2
  35: (a4) w1 ^= -1
  36: (c4) w1 s>>= 1
  37: (bc) w2 = (s8)w1
  38: (bc) w2 = (s16)w1
  39: (bf) r2 = (s32)r1
  40: (d4) r2 = le16 r2
  41: (dc) r2 = be32 r2
  42: (dc) r2 = be64 r2
  43: (d7) r2 = bswap32 r2
  44: (7a) *(u64 *)(r10 -16) = 0
  45: (63) *(u32 *)(r10 -16) = r1
  46: (6b) *(u16 *)(r10 -12) = r1
  47: (73) *(u8 *)(r10 -10) = r1
  48: (79) r3 = *(u64 *)(r10 -16)
  49: (61) r3 = *(u32 *)(r10 -16)
  50: (69) r3 = *(u16 *)(r10 -12)
  51: (71) r3 = *(u8 *)(r10 -10)
  52: (91) r3 = *(s8 *)(r10 -10)
  53: (89) r3 = *(s16 *)(r10 -12)
  54: (81) r3 = *(s32 *)(r10 -16)
  55: (b7) r1 = 1
  56: (db) lock *(u64 *)(r7 +0) += r1
  57: (c3) lock *(u32 *)(r7 +8) |= r1
  58: (db) lock *(u64 *)(r7 +0) &= r1
  59: (c3) lock *(u32 *)(r7 +8) ^= r1
  60: (db) r1 = atomic64_fetch_add((u64 *)(r7 +0), r1)
  61: (db) r1 = atomic64_fetch_or((u64 *)(r7 +0), r1)
  62: (c3) r1 = atomic_fetch_and((u32 *)(r7 +8), r1)
  63: (c3) r1 = atomic_fetch_xor((u32 *)(r7 +8), r1)
  64: (db) r1 = atomic64_xchg((u64 *)(r7 +16), r1)
  65: (b7) r0 = 0
  66: (db) r0 = atomic64_cmpxchg((u64 *)(r7 +16), r0, r1)
  67: (b7) r9 = 4
  68: (17) r9 -= 1	; i--
  69: (15) if r9 == 0x64 goto pc+21
  70: (2d) if r9 > r1 goto pc+20
  71: (35) if r9 >= 0x64 goto pc+19
  72: (45) if r9 & 0x100 goto pc+18
  73: (65) if r9 s> 0x64 goto pc+17
  74: (7d) if r9 s>= r2 goto pc+16
  75: (a5) if r9 < 0xffffff9c goto pc+15
  76: (bd) if r2 <= r9 goto pc+14
  77: (c5) if r9 s< 0xffffff9c goto pc+13
  78: (dd) if r9 s<= r5 goto pc+12
  79: (16) if w9 == 0x64 goto pc+11
  80: (2e) if w9 > w1 goto pc+10
  81: (36) if w9 >= 0x64 goto pc+9
  82: (46) if w9 & 0x100 goto pc+8
  83: (66) if w9 s> 0x64 goto pc+7
  84: (7e) if w9 s>= w2 goto pc+6
  85: (a6) if w9 < 0xffffff9c goto pc+5
  86: (be) if w2 <= w9 goto pc+4
  87: (c6) if w9 s< 0xffffff9c goto pc+3
  88: (de) if w9 s<= w5 goto pc+2
  89: (55) if r9 != 0x0 goto pc-22	; while (i)
  90: (5e) if w9 != w1 goto pc-23
  91: (bf) r1 = r6
  92: (85) call pc+4
  93: (06) gotol pc+0
  94: (85) call bpf_ktime_get_ns#5
  95: (b7) r0 = 0
  96: (95) exit
  97: (b7) r0 = 1
  98: (95) exit
