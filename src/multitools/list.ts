/**
 * `polytrace list [PATTERN]`: probe points, like `bpftrace -l`; with -v, what each carries.
 *
 * -v prints, under each probe, indented by four spaces: for kernel functions the one-line C
 * signature from BTF (`ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t
 * *pos)`; a module's function from that module's split BTF; nothing when no BTF describes
 * it), for tracepoints one field per line as its format file declares it, without the
 * common_* header (as `bpftrace -lv`), for raw tracepoints their arguments as the BTF
 * prototype of a function named after them (`void sched_switch(bool preempt, struct
 * task_struct *prev, …)`), for USDT probes one line per argument (`arg1: int32 (-4@%edi)`)
 * and the number of sites.
 *
 * Output streams in 64 KiB chunks with back-pressure, and stops quietly on a closed pipe.
 * Exit status: 0 when something was listed, 1 when nothing matched (a message says what was
 * looked for where, and the nearest names there).
 */
import { toolCommand } from './options.js';
import { installStopHandlers, out, stopped, finish } from '../report/lifecycle.js';
import { listMiss, listProbes, parseListPattern } from '../probes/list.js';
import { missHints, plural } from '../probes/listing.js';
import { liveHost } from '../pipeline/host.js';

const EPILOG = `patterns (globs with *; BCC's spellings work too):
    kprobe:vfs_*  k:vfs_*  p::vfs_*  vfs_*       kernel functions
    kretprobe:vfs_read  r::vfs_read              kernel function returns
    fentry:tcp_*  fexit:tcp_*                    kernel functions described by BTF
    tracepoint:sched:*  t:sched:sched_*          tracepoints (the glob spans category:event)
    rawtracepoint:sched_*  rt:sched_*            raw tracepoints, by name (kernel BTF's btf_trace_*)
    uprobe:/bin/bash:read*  c:malloc  p:c:str*   functions of a binary or library
    usdt:/usr/bin/python3.11:*  u:python3.11:gc* USDT probes (usdt:LIB:PROVIDER:PROBE too)
  without a pattern: what this kernel can attach: kprobes where it has kprobes, fentry
  functions where it has BPF trampolines (stderr says how many were left out), tracepoints.

examples:
    polytrace list 'tracepoint:sched:*'
    polytrace list -v tracepoint:sched:sched_switch   # its fields
    polytrace list -v rawtracepoint:sched_switch      # its arguments, from BTF
    polytrace list -v kprobe:vfs_read                 # its C signature from BTF
    polytrace list 'uprobe:/usr/bin/python3.11:PyList_*'
    polytrace list -v 'usdt:/usr/bin/python3.11:*'    # probes and their arguments

Kernel functions come from available_filter_functions, or from kallsyms ∩ BTF when that
file cannot be read; those the tools refuse (kprobe blacklist, .cold/.part clones) are left out.`;

const CHUNK = 1 << 16;

export async function run(argv: readonly string[], prog: string): Promise<void> {
  const cmd = toolCommand(prog, 'List probe points (like bpftrace -l)', EPILOG)
    .argument('[pattern]', 'probe pattern, e.g. tracepoint:sched:*')
    .option('-v, --verbose', 'show signatures, tracepoint fields and arguments, USDT arguments', false);
  cmd.parse([...argv], { from: 'user' });
  const pattern = cmd.args[0];
  const verbose = cmd.opts().verbose as boolean;
  const queries = parseListPattern(pattern);
  installStopHandlers();

  // Every source is read when a query first needs it (pipeline/host.ts).
  const host = liveHost();
  const notes: string[] = [];
  const o = { verbose, note: (text: string) => notes.push(text) };

  let buf = '';
  let count = 0;
  outer: for (const q of queries) {
    for await (const e of listProbes(q, host, o)) {
      if (stopped()) break outer;
      buf += `${e.probe}\n`;
      if (verbose) for (const d of e.details()) buf += `    ${d}\n`;
      count++;
      if (buf.length >= CHUNK) {
        await out(buf);
        buf = '';
      }
    }
  }
  if (buf) await out(buf);
  let code = 0;
  if (count === 0 && !stopped()) {
    // One kind asked for: what was looked for where, and the nearest names there.
    const miss = queries.length === 1 ? listMiss(queries[0]!, host) : undefined;
    const hints = miss ? ` (${missHints(miss).join('; ')})` : '';
    process.stderr.write(`${prog}: no ${miss ? `${plural(miss.what)} match '${pattern}' in ${miss.where}` : `probes match '${pattern ?? '*'}'`}${hints}\n`);
    code = 1;
  }
  if (!stopped()) for (const n of notes) process.stderr.write(`${prog}: note: ${n}\n`);
  await finish(undefined, code);
}
