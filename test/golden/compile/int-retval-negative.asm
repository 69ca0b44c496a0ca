; (int)retval < 0
   0: (bf) r6 = r1
   1: (79) r0 = *(u64 *)(r6 +80)	; (int)retval < 0; pt_regs->rax
   2: (67) r0 <<= 32
   3: (c7) r0 s>>= 32
   4: (75) if r0 s>= 0x0 goto pc+2
   5: (b7) r0 = 1
   6: (95) exit
   7: (b7) r0 = 0
   8: (95) exit
