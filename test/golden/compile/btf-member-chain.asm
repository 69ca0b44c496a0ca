; file->f_pos + count
   0: (bf) r6 = r1
   1: (79) r3 = *(u64 *)(r6 +112)	; file->f_pos + count; pt_regs->rdi
   2: (07) r3 += 8
   3: (bf) r1 = r10
   4: (07) r1 += -8
   5: (b7) r2 = 8
   6: (85) call bpf_probe_read#4
   7: (15) if r0 == 0x0 goto pc+10
   8: (62) *(u32 *)(r10 -16) = 0
   9: (18) r1 = map[id:read_errors]
  11: (bf) r2 = r10
  12: (07) r2 += -16
  13: (85) call bpf_map_lookup_elem#1
  14: (15) if r0 == 0x0 goto pc+3
  15: (79) r1 = *(u64 *)(r0 +0)
  16: (07) r1 += 1
  17: (7b) *(u64 *)(r0 +0) = r1	; read_errors++
  18: (79) r8 = *(u64 *)(r10 -8)
  19: (79) r1 = *(u64 *)(r6 +96)	; pt_regs->rdx
  20: (0f) r8 += r1
  21: (b7) r0 = 0
  22: (95) exit
