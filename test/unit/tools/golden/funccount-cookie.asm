   0: (bf) r6 = r1	; save ctx
   1: (bf) r1 = r6
   2: (85) call bpf_get_attach_cookie#174	; slot = cookie
   3: (35) if r0 >= 0x3 goto pc+6	; slot < slots (for the verifier)
   4: (67) r0 <<= 3
   5: (18) r1 = map[id:counts][0]+0	; &counts[0]
   7: (0f) r1 += r0
   8: (b7) r2 = 1
   9: (db) lock *(u64 *)(r1 +0) += r2	; counts[slot]++
  10: (b7) r0 = 0
  11: (95) exit
