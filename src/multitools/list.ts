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
 * Exit status: 0 when something was listed, 1 when nothing matched (a message says so).
 */
import { toolCommand } from './options.js';
import { installStopHandlers, out, stopped, finish } from '../report/lifecycle.js';
import { listProbes, parseListPattern, isKernelKind, type ListSources } from '../probes/list.js';
import { findTracefs } from '../symbols/tracefs.js';
import type { BtfSpec } from '../btf/spec.js';

const EPILOG = `patterns (globs with *; BCC's spellings work too):
    kprobe:vfs_*  k:vfs_*  p::vfs_*  vfs_*       kernel functions
    kretprobe:vfs_read  r::vfs_read              kernel function returns
    fentry:tcp_*  fexit:tcp_*                    kernel functions described by BTF
    tracepoint:sched:*  t:sched:sched_*          tracepoints (the glob spans category:event)
    rawtracepoint:sched_*  rt:sched_*            raw tracepoints, by name (kernel BTF's btf_trace_*)
    uprobe:/bin/bash:read*  c:malloc  p:c:str*   functions of a binary or library
    usdt:/usr/bin/python3.11:*  u:python3.11:gc* USDT probes (usdt:LIB:PROVIDER:PROBE too)
  without a pattern: kprobes, fentry functions and tracepoints.

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

  let root: string | undefined;
  let btf: BtfSpec | undefined;
  const sources: ListSources = {
    async tracefs() {
      if (root) return root;
      // Only a missing tracefs needs the mount path (and so koffi).
      root = findTracefs() ?? (await import('../kernel/tracefs.js')).requireTracefs();
      return root;
    },
    async btf() {
      btf ??= (await import('../kernel/btf.js')).loadKernelBtf();
      return btf;
    },
    async moduleFunctions() {
      return (await import('../kernel/btf.js')).moduleFunction;
    },
  };

  let buf = '';
  let count = 0;
  outer: for (const q of queries) {
    for await (const e of listProbes(q, sources, verbose)) {
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
    process.stderr.write(`${prog}: no probes match '${pattern ?? '*'}'\n`);
    code = 1;
  }
  if (count > 0 && queries.some((q) => isKernelKind(q.kind)) && !stopped())
    await noteKernelSupport(
      prog,
      queries.map((q) => q.kind),
    );
  await finish(undefined, code);
}

/** On stderr: kernel-function probes listed here that this kernel cannot attach, and why. */
async function noteKernelSupport(prog: string, kinds: readonly string[]): Promise<void> {
  try {
    const { kernelFunctionSupport } = await import('../probes/kernel.js');
    const s = kernelFunctionSupport();
    const notes: string[] = [];
    if (!s.kprobes && kinds.some((k) => k === 'kprobe' || k === 'kretprobe')) notes.push(`kprobes cannot be attached on this kernel (${s.why.kprobes})`);
    if (!s.fentry && kinds.some((k) => k === 'fentry' || k === 'fexit')) notes.push(`fentry/fexit cannot be attached on this kernel (${s.why.fentry})`);
    for (const n of notes) process.stderr.write(`${prog}: note: ${n}\n`);
  } catch {
    // The note is a courtesy; the listing stands without it.
  }
}
