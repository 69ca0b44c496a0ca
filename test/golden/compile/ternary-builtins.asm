; $PID == 1 ? $cpu : $TID
   0: (bf) r6 = r1
   1: (85) call bpf_get_current_pid_tgid#14	; $PID == 1 ? $cpu : $TID
   2: (77) r0 >>= 32
   3: (55) if r0 != 0x1 goto pc+3
   4: (85) call bpf_get_smp_processor_id#8
   5: (bf) r8 = r0
   6: (05) goto pc+2
   7: (85) call bpf_get_current_pid_tgid#14
   8: (bc) w8 = w0
   9: (b7) r0 = 0
  10: (95) exit
