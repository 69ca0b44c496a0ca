// funclatency and stackcount (issue 6): in-kernel ns per event and exec → attached beside
// bpftrace and BCC (and libbpf-tools' funclatency) on the same workload.
import { join } from 'node:path';
import { root, have } from './lib.mjs';
import { benchKernelCost, workloadBin } from './kcost.mjs';

const node = process.execPath;
const bin = (t) => join(root, 'bin', `${t}.js`);
const TRACING = /Tracing \d+ functions/;

export async function benchFunclatency() {
  const fn = `${workloadBin()}:work_fn`;
  const tools = [{ name: 'polytrace funclatency', cmd: node, args: [bin('funclatency'), fn], banner: TRACING }];
  if (have('bpftrace')) {
    tools.push({
      name: 'bpftrace uprobe+uretprobe hist',
      cmd: 'bpftrace',
      args: ['-e', `uprobe:${fn} { @start[tid] = nsecs; } uretprobe:${fn} { @ = hist(nsecs - @start[tid]); delete(@start[tid]); }`],
      banner: /Attaching \d+ probe/,
    });
  }
  if (have('funclatency-bpfcc')) tools.push({ name: 'BCC funclatency', cmd: 'funclatency-bpfcc', args: [fn], banner: TRACING });
  if (have('/usr/sbin/funclatency') && have('stdbuf'))
    tools.push({ name: 'libbpf-tools funclatency', cmd: 'stdbuf', args: ['-oL', '/usr/sbin/funclatency', fn], banner: /Tracing .* Hit Ctrl-C/ });
  await benchKernelCost('funclatency: uprobe + uretprobe on work_fn', tools, 'work', {
    note: 'kernel ns/event = entry + return program per call',
  });
}

export async function benchStackcount() {
  const fn = `${workloadBin()}:work_fn`;
  const TP = 'syscalls:sys_enter_getpid';
  const user = [{ name: 'polytrace stackcount -U', cmd: node, args: [bin('stackcount'), '-U', fn], banner: TRACING }];
  const kern = [{ name: 'polytrace stackcount -K', cmd: node, args: [bin('stackcount'), '-K', `t:${TP}`], banner: TRACING }];
  if (have('bpftrace')) {
    user.push({ name: 'bpftrace @[ustack] = count()', cmd: 'bpftrace', args: ['-e', `uprobe:${fn} { @[ustack] = count(); }`], banner: /Attaching \d+ probe/ });
    kern.push({
      name: 'bpftrace @[kstack] = count()',
      cmd: 'bpftrace',
      args: ['-e', `tracepoint:${TP} { @[kstack] = count(); }`],
      banner: /Attaching \d+ probe/,
    });
  }
  if (have('stackcount-bpfcc')) {
    user.push({ name: 'BCC stackcount -U', cmd: 'stackcount-bpfcc', args: ['-U', fn], banner: TRACING });
    kern.push({ name: 'BCC stackcount -K', cmd: 'stackcount-bpfcc', args: ['-K', `t:${TP}`], banner: TRACING });
  }
  await benchKernelCost('stackcount: user stack at a uprobe (work_fn)', user, 'work');
  await benchKernelCost(`stackcount: kernel stack at t:${TP}`, kern, '', {
    note: 'the tracepoint also fires for other processes; kernel ns/event is per program run',
  });
}
