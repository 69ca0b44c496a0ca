; c < b
   0: (bf) r6 = r1
   1: (79) r0 = *(u64 *)(r6 +96)	; c < b; pt_regs->rdx
   2: (bc) w0 = w0
   3: (79) r1 = *(u64 *)(r6 +104)	; pt_regs->rsi
   4: (67) r1 <<= 32
   5: (c7) r1 s>>= 32
   6: (bc) w1 = w1
   7: (3d) if r0 >= r1 goto pc+2
   8: (b7) r0 = 1
   9: (95) exit
  10: (b7) r0 = 0
  11: (95) exit
