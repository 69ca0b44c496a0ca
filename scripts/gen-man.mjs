// Generates man/man8/*.8 from the same commander Commands that print --help (the tools'
// parseOptions, captured through commandOf before anything is parsed), plus the prose below:
// NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXAMPLES, OVERHEAD, SEE ALSO, as BCC's pages have.
//
//   node scripts/gen-man.mjs           write man/man8/*.8
//   node scripts/gen-man.mjs --check   exit 1 (and name the pages) when the committed pages differ
//
// Needs the tsc output in dist/ (npm run build runs it after tsc).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// A fixed date keeps the pages reproducible (bump it when the prose changes).
const DATE = '2026-11-25';
const SOURCE = `polytrace ${pkg.version}`;

/** Text → roff: escape backslashes, hyphens and leading control characters. */
function esc(s) {
  return s.replace(/\\/g, '\\e').replace(/-/g, '\\-');
}
/** One text line, escaped, and filled into lines of at most 78 bytes (mandoc -Tlint's limit is 80). */
function line(s) {
  return wrap(esc(s));
}
function wrap(e) {
  const out = [];
  let cur = '';
  for (const w of e.split(/ +/)) {
    if (cur !== '' && Buffer.byteLength(`${cur} ${w}`) > 78) {
      out.push(cur);
      cur = w;
    } else {
      cur = cur === '' ? w : `${cur} ${w}`;
    }
  }
  out.push(cur);
  return out.map((l) => (/^[.']/.test(l) ? `\\&${l}` : l)).join('\n');
}
function para(text) {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((p) =>
      line(
        p
          .split('\n')
          .map((l) => l.trim())
          .join(' '),
      ),
    )
    .join('\n.PP\n');
}
function literal(text) {
  return `.nf\n${text
    .split('\n')
    .map((l) => {
      const e = esc(l);
      return /^[.']/.test(e) ? `\\&${e}` : e;
    })
    .join('\n')}\n.fi`;
}

const OVERHEAD_COUNT = `This traces functions and tracepoints and counts in kernel context: each event
costs one BPF program run and an in-kernel map update, and nothing is copied to user
space per event. Tracepoints cost the least (tens of nanoseconds an event); uprobes add
a trap into the kernel per call (about a microsecond). Millions of events a second can
cost a core: test with a short -d duration first, on a narrow pattern.

Tracepoints are counted at raw tracepoints where the kernel has them (every syscalls:*
event through one program at the raw sys_enter or sys_exit tracepoint), which attach and
detach in milliseconds. As perf events (POLYTRACE_DISABLE=raw_tracepoint) each one waits
for an RCU grace period when it is detached: hundreds take tens of seconds, and the tool
says so on stderr.`;

const PROSE = {
  polytrace: {
    name: "BCC's multi-tools without a compiler toolchain",
    synopsis: [
      'polytrace TOOL [OPTIONS] ...',
      'polytrace list [\\-v] [PATTERN]',
      'polytrace features [\\-\\-json]',
      'polytrace completion bash|zsh|fish',
      'polytrace \\-V|\\-\\-version',
    ],
    description: `polytrace is BCC's five multi-tools rebuilt in TypeScript: probe specifications are parsed
by its own grammars, resolved against the kernel's BTF, ELF symbols, tracefs and USDT notes,
compiled to eBPF by its own code generator and attached through bpf(2) and
perf_event_open(2). Installing the npm package is the whole installation: no kernel headers,
no LLVM, no Python.

Each tool is installed under its BCC name (trace, argdist, funccount, funclatency,
stackcount) and under this umbrella command, takes BCC's options and prints BCC's output.
Every tool prints JSON with --json (see docs/json.md); funccount and funclatency (and
argdist) serve Prometheus metrics with --prometheus [HOST:]PORT.

polytrace asks the kernel what it offers instead of trusting version numbers: 'polytrace
features' prints each mechanism (tracepoints, uprobes, USDT semaphores, kprobes, BPF
trampolines, ring buffer) and, for a missing one, why and what to use instead.`,
    options: `.TP
\\fBtrace\\fR, \\fBargdist\\fR, \\fBfunccount\\fR, \\fBfunclatency\\fR, \\fBstackcount\\fR
Run the tool with the rest of the arguments; see each tool's page.
.TP
\\fBlist\\fR [\\fB\\-v\\fR] [\\fIPATTERN\\fR]
List probe points (as bpftrace \\-l); with \\-v, signatures,
tracepoint fields and USDT arguments. Without a pattern, kernel functions
only as this kernel can attach them (how many were left out goes to stderr).
.TP
\\fBfeatures\\fR [\\fB\\-\\-json\\fR]
Show which BPF mechanisms this kernel offers, and why a missing one is missing.
.TP
\\fBcompletion\\fR \\fBbash\\fR|\\fBzsh\\fR|\\fBfish\\fR
Print a completion script: options of every tool, tracepoints
(t:sched:<TAB>), kernel functions (where the kernel can attach them),
functions of the library typed so far (c:str<TAB>), USDT probes, and
list's patterns.
.TP
\\fB\\-V\\fR, \\fB\\-\\-version\\fR
Print the version and exit.
.TP
\\fB\\-h\\fR, \\fB\\-\\-help\\fR
Print the list of tools and exit.`,
    examples: [
      ['Count every system call for five seconds:', "polytrace funccount -d 5 't:syscalls:sys_enter_*'"],
      ['What this kernel offers:', 'polytrace features'],
      ['List the scheduler tracepoints:', "polytrace list 'tracepoint:sched:*'"],
      ['Enable completion in this bash shell:', 'eval "$(polytrace completion bash)"'],
      ['Run a tool without installing it globally:', 'npx polytrace funclatency -u c:read'],
    ],
    overhead: `polytrace itself costs what the tool it runs costs: see the OVERHEAD section of each
tool's page. Start-up (reading BTF, ELF symbols and tracefs) is lazy and takes tens of
milliseconds.`,
    environment: `.TP
\\fBBCC_PROBE_LIMIT\\fR
The largest number of probes a wildcard may attach. Kernel functions default
to BCC's 1000; tracepoints, user functions and USDT probes, which attach
through one link or cheap perf events, to 100000 unless the variable is set.
.TP
\\fBPOLYTRACE_DISABLE\\fR
A comma\\-separated list of features to treat as missing, to force the fallbacks.
.TP
\\fBPOLYTRACE_KERNEL_HEADERS\\fR
A kernel build directory to read constants from (trace and argdist
expressions), instead of /lib/modules/$(uname \\-r)/build. A directory
whose include/generated/utsrelease.h names another kernel is not read.`,
  },
  trace: {
    description: `trace probes functions you specify and prints a line per event, with the values you
ask for in a printf-style format. It attaches to kernel functions (kprobes, kretprobes or
BPF trampolines, where the kernel has them), kernel tracepoints, user functions (uprobes and
uretprobes) and USDT probes, and reads arguments, return values and members of the
structures they point to, typed by the kernel's BTF.

Each probe specifier is [{p,r}]:[library]:function[(signature)] [(predicate)] ["format",
args...]; 't:category:event' names a tracepoint (its fields are args->name) and
'u:library:probe' a USDT probe (arg1..argN). Predicates are C expressions; STRCMP compares
strings. Expressions may use kernel and uapi constants (O_CREAT, AF_INET, GFP_ATOMIC) and
the member aliases of net/sock.h (sk->sk_dport) with no headers installed; --dump=resolved
says where each came from. With --json, each event is one JSON object on its own line.`,
    overhead: `Every event is copied to user space through the BPF ring buffer and formatted there, so
trace costs far more per event than the counting tools: a few microseconds of CPU an event
in all. Past some thousands of events a second prefer funccount or argdist, which summarise
in the kernel. Lost events are counted and reported, never silent; -M limits the number of
events printed.`,
  },
  argdist: {
    description: `argdist probes functions you specify and collects parameter values into a histogram (-H)
or a frequency count (-C), summarised in the kernel and printed every interval. It answers
questions such as "what sizes does this allocator see?" or "which file descriptors does
this process write to most?" without printing an event per call.

Probes are kernel functions and their returns (p::, r::), user functions (p:lib:, r:lib:),
tracepoints (t:category:event) and USDT probes (u:lib:probe). Return probes can use $retval,
$latency and $entry(param). Types of kernel arguments come from BTF. Expressions may use
kernel and uapi constants (GFP_ATOMIC, O_CREAT, AF_INET) and the member aliases of
net/sock.h (sk->sk_dport) with no headers installed; -I adds a header's own constants.

--prometheus [HOST:]PORT serves each -C probe as the counter
argdist_events_total{probe,...}, one label per key expression named after it ($COMM is
comm, args->ret is args_ret), and each -H probe as the histogram argdist_value{probe}, one
bucket per log2 slot with le the slot's inclusive upper bound, as the text rows print it
(no _sum: argdist keeps none), and each -C probe's events refused by its full hash as
argdist_dropped_events_total{probe}. It listens on 127.0.0.1 unless HOST says otherwise, to at
most 16 connections at once.`,
    overhead: `argdist updates a hash map (or a log2 histogram) in the kernel per event and copies
only the summary to user space each interval. The per-event cost is a BPF program run and a
map update, plus the string copy for char* keys: much lower than trace's, higher than
funccount's. Updates that find the frequency map full are counted and reported (stderr,
--json's dropped, --prometheus); --max-entries sizes the map (default 10240 keys, as BCC's).`,
  },
  funccount: {
    description: `This tool counts kernel functions, tracepoints, user functions and USDT probes that match a
pattern, summarised in the kernel, and prints the counts on Ctrl-C or every -i interval.
It is the cheapest way to find out what is happening, and how often: start here, then
time the interesting functions with funclatency or show their stacks with stackcount.

Patterns: 'name' (kernel function), 'lib:name' (user function; lib is a library name such
as c, a path, or an executable on $PATH), 'p:lib:name', 't:category:event' and
'u:lib:probe'. '*' is a wildcard; -r takes a regular expression.

--json prints one JSON document per interval; --prometheus [HOST:]PORT serves the counts
as the counter funccount_calls_total{function,library,pid} at /metrics (pid only with -p),
on 127.0.0.1 unless HOST says otherwise, to at most 16 connections at once.`,
    overhead: OVERHEAD_COUNT,
  },
  funclatency: {
    description: `This tool times function calls, from entry to return, and shows their latency as a
power-of-2 histogram, summarised in the kernel. It answers "how long does this function
take?", and shows a bimodal latency (a fast path and a slow one) at a glance.

Patterns are those of funccount: kernel functions, 'lib:name' user functions, tracepoints
are not timed. -F prints one histogram per function; user functions without -p print one
per process. -l times recursive calls up to that depth.

--json prints one JSON document per interval. --heatmap FILE.svg (with -i) writes a
latency heat map: time on x, log2 latency on y, the number of calls as colour.
--prometheus [HOST:]PORT serves the histogram funclatency_seconds{function,library,pid}:
one bucket per log2 slot, whose le is the slot's inclusive upper bound in seconds (the
text histogram's row 512 -> 1023 nsecs is le="0.000001023"), so its cumulative counts are
the text histogram's; _sum (seconds) and _count. It listens on 127.0.0.1 unless HOST says
otherwise, to at most 16 connections at once.`,
    overhead: `This traces every entry and return of the matching functions, which costs two BPF program
runs and a hash map update and lookup per call; uprobes add two traps into the kernel (a
few microseconds a call in all). On functions called millions of times a second this is
noticeable: test with a short -d duration first.`,
  },
  stackcount: {
    description: `stackcount attaches to functions, tracepoints or USDT probes and counts the stack traces
(kernel and user) that led to them, summarised in the kernel. It shows who calls a function
and how often, by code path. The output can be printed as folded stacks (-f) for
flamegraph.pl, or written as an interactive flame graph with --svg FILE, and as JSON with
--json.`,
    overhead: `Each event walks the stack in the kernel (bpf_get_stackid) and updates a hash map: more than
funccount, much less than printing per event. Stack walks of deep user stacks cost more;
lost stacks (stack map full) are counted and reported.`,
  },
};

const SEE_ALSO = {
  polytrace: ['trace', 'argdist', 'funccount', 'funclatency', 'stackcount', 'bpftrace'],
  trace: ['argdist', 'funccount', 'polytrace'],
  argdist: ['trace', 'funccount', 'funclatency', 'polytrace'],
  funccount: ['stackcount', 'funclatency', 'argdist', 'polytrace'],
  funclatency: ['funccount', 'argdist', 'polytrace'],
  stackcount: ['funccount', 'trace', 'polytrace'],
};

/** The epilog of a tool: optional syntax text before the examples, and (comment, command) pairs. */
export function parseEpilog(epilog) {
  const lines = epilog.split('\n');
  const at = lines.findIndex((l) => /^(examples|EXAMPLES):\s*$/.test(l));
  const syntax = at > 0 ? lines.slice(0, at).join('\n').trim() : '';
  const body = at >= 0 ? lines.slice(at + 1) : lines;
  const examples = [];
  for (let i = 0; i < body.length; i++) {
    const l = body[i];
    if (l.trim() === '') continue;
    const hash = /^\s+(.*?)\s+#\s+(.*)$/.exec(l);
    if (hash) {
      examples.push([hash[2], hash[1]]);
      continue;
    }
    if (/^\S/.test(l)) {
      const desc = [];
      while (i + 1 < body.length && /^\s+\S/.test(body[i + 1])) desc.push(body[++i].trim());
      examples.push([desc.join(' '), l.trim()]);
    }
  }
  return { syntax, examples };
}

function sentence(s) {
  const t = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.:!?)]$/.test(t) ? t : `${t}:`;
}

/** argparse-style usage: [-h] [-p PID] ... pattern */
function synopsis(cmd) {
  const parts = ['[\\-h]'];
  for (const o of cmd.options) {
    const flag = o.short ?? o.long;
    const arg = o.required || o.optional ? ` \\fI${esc(o.flags.replace(/^.*?[<[]/, '').replace(/[>\]]$/, ''))}\\fR` : '';
    parts.push(`[\\fB${esc(flag)}\\fR${arg}]`);
  }
  for (const a of cmd.registeredArguments) {
    const n = `\\fI${esc(a.name())}\\fR${a.variadic ? ' [\\fI' + esc(a.name()) + '\\fR ...]' : ''}`;
    parts.push(a.required ? n : `[${n}]`);
  }
  return `.B ${cmd.name()}\n${parts.join('\n')}`;
}

function optionsSection(cmd) {
  const out = ['.TP', '\\fB\\-h\\fR, \\fB\\-\\-help\\fR', 'Print usage message and exit.'];
  for (const o of cmd.options) {
    const arg = o.required || o.optional ? o.flags.replace(/^.*?([<[])/, '$1').replace(/^[<[]|[>\]]$/g, '') : '';
    const names = [o.short, o.long].filter(Boolean).map((f) => `\\fB${esc(f)}\\fR${arg ? ` \\fI${esc(arg)}\\fR` : ''}`);
    let desc = o.description.charAt(0).toUpperCase() + o.description.slice(1);
    if (!/[.)]$/.test(desc)) desc += '.';
    // A default the description already tells (argdist -i: "(default 1 second)") is not repeated.
    const told = /\bdefault\b/i.test(o.description);
    if (!told && o.defaultValue !== undefined && typeof o.defaultValue !== 'boolean' && !(Array.isArray(o.defaultValue) && o.defaultValue.length === 0)) {
      desc += ` Default: ${o.defaultValue}.`;
    }
    out.push('.TP', names.join(', '), line(desc));
  }
  for (const a of cmd.registeredArguments) {
    out.push('.TP', `\\fI${esc(a.name())}\\fR`, line(a.description.charAt(0).toUpperCase() + a.description.slice(1) + '.'));
  }
  return out.join('\n');
}

function examplesSection(examples) {
  // Each example: what it does (filled), then the command in bold, unfilled, as typed.
  return examples.map(([what, command]) => `${line(sentence(what))}\n.RS\n.nf\n\\fB# ${esc(command)}\\fR\n.fi\n.RE`).join('\n.PP\n');
}

function page(name, summary, body) {
  return `.\\" Generated by scripts/gen-man.mjs from the tools' option definitions: do not edit.
.TH ${name.toUpperCase()} 8 "${DATE}" "${SOURCE}" "System Manager's Manual"
.SH NAME
${name} \\- ${esc(summary)}
${body}`;
}

function seeAlso(name) {
  return `.SH SEE ALSO\n${SEE_ALSO[name].map((s, i, a) => `.BR ${s} (8)${i < a.length - 1 ? ',' : ''}`).join('\n')}`;
}

const TAIL = (name) => `.SH REQUIREMENTS
Linux with BPF, perf events, tracefs and BTF (/sys/kernel/btf/vmlinux),
and root (or CAP_BPF and CAP_PERFMON). Kernel functions need kprobes or
BPF trampolines; \\fBpolytrace features\\fR tells what this kernel has.
BCC's legacy syscall names (\\fBsys_read\\fR, \\fBSyS_read\\fR) probe this
kernel's syscall wrapper (\\fB__x64_sys_read\\fR, since Linux 4.17) when the
plain name is not traceable, saying so on stderr; a \\fBsys_\\fR glob also
matches the wrappers (\\-r regular expressions are taken as written).
Without kprobe_multi every kernel function is a kprobe of its own, which
the kernel releases one at a time at exit (an RCU grace period each): the
tool prints its last report first, then says \\fBDetaching N probes...\\fR
on stderr with its progress, and answers a Ctrl-C meanwhile.
.SH SOURCE
${name === 'polytrace' ? 'polytrace' : `polytrace's ${name}, after BCC's tool of the same name`}:
the npm package polytrace. Each tool's examples file
(examples/<tool>_example.txt in the package) shows real runs with their
output and what it means.
.SH OS
Linux
.SH STABILITY
Unstable \\- in development.
${seeAlso(name)}
`;

export async function renderPages() {
  const { commandOf, epilogOf } = await import(join(root, 'dist/multitools/options.js'));
  const { TOOLS } = await import(join(root, 'dist/multitools/tools.js'));
  const pages = {};
  for (const tool of TOOLS) {
    const mod = await import(join(root, `dist/multitools/${tool}.js`));
    const cmd = commandOf(mod.parseOptions, tool);
    const p = PROSE[tool];
    const { syntax, examples } = parseEpilog(epilogOf(cmd));
    const body = [
      '.SH SYNOPSIS',
      synopsis(cmd),
      '.SH DESCRIPTION',
      para(p.description),
      ...(syntax ? [`.SS ${syntax.split('\n')[0].replace(/:$/, '')}`, literal(syntax.split('\n').slice(1).join('\n'))] : []),
      '.SH OPTIONS',
      optionsSection(cmd),
      '.SH EXAMPLES',
      examplesSection(examples),
      '.SH OVERHEAD',
      para(p.overhead),
    ].join('\n');
    pages[tool] = page(tool, cmd.description(), body + '\n' + TAIL(tool));
  }
  const p = PROSE.polytrace;
  pages.polytrace = page(
    'polytrace',
    p.name,
    [
      '.SH SYNOPSIS',
      p.synopsis.map((s) => `.B ${s}`).join('\n.br\n'),
      '.SH DESCRIPTION',
      para(p.description),
      '.SH OPTIONS',
      p.options,
      '.SH EXAMPLES',
      examplesSection(p.examples),
      '.SH OVERHEAD',
      para(p.overhead),
      '.SH ENVIRONMENT',
      p.environment,
    ].join('\n') +
      '\n' +
      TAIL('polytrace'),
  );
  return pages;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const pages = await renderPages();
  const dir = join(root, 'man', 'man8');
  const drift = [];
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(pages)) {
    const file = join(dir, `${name}.8`);
    if (check) {
      let old = '';
      try {
        old = readFileSync(file, 'utf8');
      } catch {
        // missing counts as drift
      }
      if (old !== text) drift.push(`man/man8/${name}.8`);
    } else {
      writeFileSync(file, text);
    }
  }
  if (drift.length) {
    process.stderr.write(`gen-man: out of date: ${drift.join(' ')} (run node scripts/gen-man.mjs)\n`);
    process.exit(1);
  }
}
