   0: (18) r1 = map[id:counts][0]+16	; &counts[2]
   2: (b7) r2 = 1
   3: (db) lock *(u64 *)(r1 +0) += r2	; counts[slot]++
   4: (b7) r0 = 0
   5: (95) exit
