/**
 * kprobe_multi links (5.18+, needs CONFIG_FPROBE): one BPF_LINK_CREATE attaches a program
 * to many kernel functions at once, each with its own bpf_cookie, and closing the link
 * detaches them all in one go (one perf event per function takes a synchronize_rcu each to
 * tear down). The program must have been loaded with expected attach type
 * BPF_TRACE_KPROBE_MULTI.
 *
 *   const link = attachKprobeMulti(prog, { symbols: ['vfs_read', 'vfs_write'], cookies: [0n, 1n], ret: false });
 *
 * The kernel sorts the symbols (and the cookies with them), resolves them through
 * kallsyms, and refuses the whole set (ENOENT) when one of them cannot be probed.
 */
import { linkCreate } from '../sys/bpf.js';
import { close } from '../sys/ffi.js';
import { NativeBuffer } from '../sys/mem.js';
import { AttachType } from '../emit/types.js';
import { haveKprobeMulti } from '../features/probes.js';
import { FdLink, type Link } from './link.js';
import type { LoadedProgram } from '../kernel/program.js';

export interface KprobeMultiTarget {
  symbols: readonly string[];
  cookies?: readonly bigint[];
  ret: boolean;
}

const BPF_F_KPROBE_MULTI_RETURN = 1;

export function attachKprobeMulti(prog: LoadedProgram, t: KprobeMultiTarget): Link {
  haveKprobeMulti.require();
  const n = t.symbols.length;
  if (n === 0) throw new Error('internal: kprobe_multi with no symbols');
  if (t.cookies && t.cookies.length !== n) throw new Error('internal: kprobe_multi cookies and symbols differ in length');
  const names = t.symbols.map((s) => NativeBuffer.cString(s));
  using syms = new NativeBuffer(8 * n);
  using cookies = new NativeBuffer(8 * n);
  try {
    for (let i = 0; i < n; i++) {
      syms.dv.setBigUint64(8 * i, names[i]!.addr, true);
      cookies.dv.setBigUint64(8 * i, t.cookies?.[i] ?? 0n, true);
    }
    // link_create.kprobe_multi: flags u32 @16, cnt u32 @20, syms u64 @24, addrs u64 @32, cookies u64 @40
    const fd = linkCreate(prog.fd.value, 0, AttachType.TraceKprobeMulti, (dv) => {
      dv.setUint32(16, t.ret ? BPF_F_KPROBE_MULTI_RETURN : 0, true);
      dv.setUint32(20, n, true);
      dv.setBigUint64(24, syms.addr, true);
      if (t.cookies) dv.setBigUint64(40, cookies.addr, true);
    });
    const what = `${t.ret ? 'kretprobe' : 'kprobe'}_multi ${n === 1 ? t.symbols[0] : `(${n} functions)`}`;
    return new FdLink(what, [() => close(fd)]);
  } finally {
    for (const b of names) b.free();
  }
}
