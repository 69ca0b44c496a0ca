/**
 * The CLI fuzzer's generator and its in-process runner, shared by test/unit/fuzz/cli.test.ts
 * (thousands of cases in process) and test/kernel/fuzz-cli.test.ts (a few hundred through
 * the real CLI).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { ResolveError, TracerError, UsageError } from '../../../src/errors.js';
import { ProgType } from '../../../src/emit/types.js';
import type { ProbeHost } from '../../../src/probes/host.js';
import type { ProbeTarget } from '../../../src/probes/targets.js';
import { parseTraceProbes } from '../../../src/specs/parse.js';
import { parseOptions as traceOptions } from '../../../src/multitools/trace.js';
import { parseOptions as argdistOptions } from '../../../src/multitools/argdist.js';
import { parseOptions as funccountOptions } from '../../../src/multitools/funccount.js';
import { parseOptions as funclatencyOptions } from '../../../src/multitools/funclatency.js';
import { parseOptions as stackcountOptions } from '../../../src/multitools/stackcount.js';
import { loadHeaders, loweringFor, planUnits } from '../../../src/multitools/trace-plan.js';
import { compileSpecs, plan as argdistPlan } from '../../../src/multitools/argdist-plan.js';
import { planPattern } from '../../../src/pipeline/pattern.js';
import { traceMaps, traceProgram } from '../../../src/compile/tools/trace.js';
import { countProgram, countsMapSpec } from '../../../src/compile/tools/count.js';
import { ringbufMapSpec } from '../../../src/events/ringbuf.js';

export type Tool = 'trace' | 'argdist' | 'funccount' | 'funclatency' | 'stackcount';

export interface CliCase {
  readonly tool: Tool;
  readonly argv: readonly string[];
}

/**
 * Hostile files in `dir`: a FIFO, devices, a directory, empty and text files, a file shaped
 * like /etc/shadow with control bytes, a file over 1 MiB, and each ELF in `elfs` truncated and
 * corrupted (headers, section table, notes). Returned with the ELFs themselves.
 */
export function hostileFiles(dir: string, elfs: readonly string[]): string[] {
  mkdirSync(dir, { recursive: true });
  const out: string[] = ['/dev/zero', '/dev/null', dir, ...elfs];
  const fifo = join(dir, 'fifo');
  if (!existsSync(fifo)) execFileSync('mkfifo', [fifo]);
  out.push(fifo);
  const write = (name: string, data: string | Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    out.push(p);
  };
  write('empty', '');
  write('text.h', 'struct a { int x; };\nint f(void);\n#define X 1\n');
  write('shadow', 'root:$6$salt$hash:19000:0:99999:7:::\n\u001b[31mred\u0007;\n');
  write('big.h', Buffer.alloc((1 << 20) + 10, 0x20));
  write('deep.h', `struct d { ${'int '.repeat(2000)}x; };`);
  write('array.h', 'struct a { char x[99999999999999]; };');
  elfs.forEach((path, i) => {
    const good = new Uint8Array(readFileSync(path));
    for (const cut of [4, 16, 52, 64, 200, good.length >> 1, good.length - 1]) write(`elf${i}-cut${cut}`, good.subarray(0, cut));
    const corrupt = (name: string, edits: Array<[number, number]>) => {
      const b = good.slice();
      for (const [at, v] of edits) if (at < b.length) b[at] = v;
      write(name, b);
    };
    const dv = new DataView(good.buffer, good.byteOffset, good.byteLength);
    const shoff = Number(dv.getBigUint64(0x28, true));
    corrupt(`elf${i}-class`, [[4, 9]]);
    corrupt(`elf${i}-phoff`, [
      [0x20, 0xff],
      [0x21, 0xff],
      [0x22, 0xff],
    ]);
    corrupt(`elf${i}-shnum`, [
      [0x3c, 0xff],
      [0x3d, 0xff],
    ]);
    corrupt(`elf${i}-shstrndx`, [
      [0x3e, 0xfe],
      [0x3f, 0xff],
    ]);
    // Section headers: sizes and offsets of every section made huge, one byte at a time.
    for (let s = 1; s < 6; s++) corrupt(`elf${i}-sec${s}`, [[shoff + s * 64 + 0x20 + 7, 0x7f]]);
    // Every fourth byte of the notes area flipped (the stapsdt notes, where present).
    const b = good.slice();
    const note = Buffer.from(b).indexOf('stapsdt');
    if (note > 0) {
      for (let k = note - 12; k < Math.min(note + 120, b.length); k += 4) b[k] ^= 0xff;
      write(`elf${i}-notes`, b);
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const NUMBERS = [
  '0',
  '1',
  '2',
  '-1',
  '+3',
  '255',
  '256',
  '8192',
  '8193',
  '32768',
  '65536',
  '99999999',
  '100000000',
  '2147483647',
  '2147483648',
  '4194304',
  '4194305',
  '4294967295',
  '99999999999999',
  '9'.repeat(40),
  '1.5',
  '1e3',
  '0x10',
  '',
  ' ',
  'abc',
  '\u0000',
  '-0',
];

const number = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('1', '2', '3', '16', '80') },
  { weight: 3, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 70000 }).map(String) },
  { weight: 1, arbitrary: fc.string({ maxLength: 5 }) },
);

const deep = (unit: string, join: string) => fc.constantFrom(3, 50, 255, 256, 257, 1000, 2100).map((n) => Array(n).fill(unit).join(join));

/** C expressions: mostly small and sensible, some nonsense, some very deep or long. */
const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(
      'arg1',
      'arg2',
      'arg9',
      'retval',
      'args->prev_pid',
      'args->next_comm',
      'args->filename',
      'args->nosuch',
      '$pid',
      '$tgid',
      '$uid',
      '$latency',
      '$entry(arg1)',
      '$task',
      '1',
      '0',
      '-1',
      '200',
      '64',
      '0xffffffffffffffff',
      '18446744073709551616',
      '"s"',
      "'c'",
      'arg1@user',
      'size',
      'x',
      'STRCMP("a", arg1)',
      'STRCMP("", arg1)',
      '(char *)arg1',
      '*(u64 *)arg1',
      '&arg1',
      'sizeof(int)',
      'nosuch(1)',
    ),
    fc
      .tuple(tie('e'), fc.constantFrom('+', '-', '*', '/', '%', '<<', '>>', '&&', '||', '==', '!=', '<', '>=', '&', '|', '^'), tie('e'))
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(fc.constantFrom('-', '!', '~', '*', '&', '(int)', '(u8)', '(char *)', '(struct task_struct *)', '(void)'), tie('e')).map(([op, a]) => `${op}${a}`),
    tie('e').map((a) => `(${a})`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([a, b, c]) => `${a} ? ${b} : ${c}`),
    fc.tuple(tie('e'), fc.constantFrom('[0]', '[99999]', '->x', '.x', '->comm')).map(([a, s]) => `${a}${s}`),
    fc.oneof(
      { weight: 1, arbitrary: deep('1', '+') },
      { weight: 1, arbitrary: deep('arg1', '&&') },
      { weight: 1, arbitrary: deep('-', '').map((s) => `${s}1`) },
      { weight: 1, arbitrary: deep('(int)', '').map((s) => `${s}1`) },
      { weight: 1, arbitrary: deep('(', '').map((s) => `${s}1${')'.repeat(s.length)}`) },
      { weight: 10, arbitrary: fc.string({ maxLength: 8 }) },
    ),
  ),
})).e;

const format = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('%d', '%d %d', '%s', '%llx') },
  fc.constantFrom(
    '%d',
    '%s',
    '%llx',
    '%u %d',
    '%c',
    '%p',
    '%K',
    '%U',
    '%%',
    '%5d',
    '%-d',
    '%q',
    '%',
    'a\\0b',
    'a\\x00',
    'a\u0000b',
    '\\n\\t',
    '%s %s %s %s %s',
    '',
  ),
  fc.string({ maxLength: 10 }),
);

const identifier = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('sched_switch', 'sys_enter_openat') },
  fc.constantFrom('sched_switch', 'sched_process_exec', 'sys_enter_openat', 'malloc', 'work', 'main', 'vfs_read', 'do_sys_open', 'two', 'none', 'x'),
  fc.string({ maxLength: 8 }),
);

const glob = fc.oneof(
  fc.constantFrom('*', 'sched:*', 'sched_*', '*switch', 's*h', 'vfs_*', '*read*', 'a.b', 'str?len', '(read|write)', '[', '\\', 'x'),
  fc.stringMatching(/^[a-z_*.?+()|[\]]{0,10}$/),
  fc.integer({ min: 2, max: 40 }).map((n) => `${'*'.repeat(n)}x`),
  fc.integer({ min: 2, max: 20 }).map((n) => `${'a*'.repeat(n)}c`),
);

const sig = fc.oneof(
  fc.constantFrom(
    '',
    '()',
    '(void)',
    '(int a)',
    '(int a, int a)',
    '(char *s, size_t n)',
    '(struct nosuch *p)',
    '(int)',
    '(u64 a, u64 b, u64 c, u64 d, u64 e, u64 f, u64 g)',
  ),
  fc.string({ maxLength: 8 }).map((s) => `(${s})`),
);

function probeParts(files: () => readonly string[]) {
  const lib = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('sched', 'syscalls', 'c') },
    { weight: 2, arbitrary: fc.constantFrom('', '/nonexistent/lib.so', '..', '../../tmp') },
    { weight: 3, arbitrary: fc.nat().map((k) => pick(files(), k)) },
  );
  const type = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('t', 'p', 'u') },
    { weight: 2, arbitrary: fc.constantFrom('r', 'rt', 'rawtracepoint', 'k', '') },
  );
  const offset = fc.constantFrom('', '', '', '+4', '+0x10', '+99999999999', `+${'9'.repeat(30)}`, '+x');
  return { lib, type, offset };
}

function pick<T>(xs: readonly T[], k: number): T {
  return xs[k % xs.length]!;
}

function traceSpec(files: () => readonly string[]): fc.Arbitrary<string> {
  const { lib, type, offset } = probeParts(files);
  return fc
    .tuple(type, lib, identifier, offset, sig, fc.option(expr, { freq: 3 }), format, fc.array(expr, { maxLength: 3 }))
    .map(([t, l, f, off, s, pred, fmt, args]) => {
      const head = t === '' ? `${f}${off}` : `${t}:${l}:${f}${off}`;
      const withSig = t === 'p' || t === 'r' ? `${head}${s === '' ? '' : s}` : head;
      const p = pred === null ? '' : ` (${pred})`;
      return `${withSig}${p} "${fmt}"${args.map((a) => `, ${a}`).join('')}`;
    });
}

function argdistSpec(files: () => readonly string[]): fc.Arbitrary<string> {
  const { lib, type } = probeParts(files);
  const types = fc.constantFrom('int', 'u64', 'char*', 'size_t', 'struct nosuch', 'u8,u16', 'int,int', '', 'void');
  return fc
    .tuple(
      type,
      lib,
      identifier,
      sig,
      types,
      fc.array(expr, { minLength: 1, maxLength: 2 }),
      fc.option(expr, { freq: 3 }),
      fc.option(fc.string({ maxLength: 6 }), { freq: 4 }),
    )
    .map(([t, l, f, s, ty, es, filter, label]) => {
      const base = `${t}:${l}:${f}${s === '' ? '()' : s}:${ty}:${es.join(',')}`;
      return `${base}${filter === null ? '' : `:${filter}`}${label === null ? '' : `#${label}`}`;
    });
}

function patternSpec(files: () => readonly string[]): fc.Arbitrary<string> {
  const { lib, type } = probeParts(files);
  return fc.tuple(fc.option(type, { freq: 2 }), fc.option(lib, { freq: 2 }), glob).map(([t, l, g]) => [t, l, g].filter((x) => x !== null).join(':'));
}

type Flag = [string, fc.Arbitrary<string> | null];

const FLAGS: Record<Tool, Flag[]> = {
  trace: [
    ['-b', number],
    ['-p', number],
    ['-L', number],
    ['--uid', number],
    ['-Z', number],
    ['-M', number],
    ['-t', null],
    ['-u', null],
    ['-T', null],
    ['-C', null],
    ['-K', null],
    ['-U', null],
    ['-A', null],
    ['-S', null],
    ['-B', null],
    ['-n', fc.string({ maxLength: 4 })],
    ['-f', fc.string({ maxLength: 4 })],
    ['--json', null],
  ],
  argdist: [
    ['-p', number],
    ['-t', number],
    ['-z', number],
    ['-i', number],
    ['-d', number],
    ['-n', number],
    ['-T', number],
    ['-c', null],
    ['--json', null],
  ],
  funccount: [
    ['-p', number],
    ['-i', number],
    ['-d', number],
    ['-c', number],
    ['-T', null],
    ['-r', null],
    ['--json', null],
  ],
  funclatency: [
    ['-p', number],
    ['-i', number],
    ['-d', number],
    ['-l', number],
    ['-u', null],
    ['-m', null],
    ['-F', null],
    ['-r', null],
    ['-k', null],
  ],
  stackcount: [
    ['-p', number],
    ['-c', number],
    ['-i', number],
    ['-D', number],
    ['-s', null],
    ['-P', null],
    ['-K', null],
    ['-U', null],
    ['-d', null],
    ['-f', null],
    ['-r', null],
  ],
};

function flags(tool: Tool): fc.Arbitrary<string[]> {
  const one: fc.Arbitrary<string[]> = fc.constantFrom(...FLAGS[tool]).chain(([flag, value]) => (value ? value.map((v) => [flag, v]) : fc.constant([flag])));
  const junk: fc.Arbitrary<string[]> = fc.string({ maxLength: 6 }).map((s) => [s]);
  return fc.array(fc.oneof({ weight: 19, arbitrary: one }, { weight: 1, arbitrary: junk }), { maxLength: 3 }).map((xs) => xs.flat());
}

/** Command lines that should build, with sensible option values: the checker and code generator get exercised too. */
const saneCase: fc.Arbitrary<CliCase> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('-p', '-L', '-Z', '-M', '-b', '--uid'),
      fc.constantFrom('1', '2', '16', '64'),
      fc.constantFrom('prev_pid', 'next_pid', 'prev_comm', 'next_comm', 'prev_state'),
      fc.constantFrom('%d', '%s', '%llx', '%u'),
      fc.option(expr, { freq: 2 }),
    )
    .map(([flag, v, field, conv, extra]) => ({
      tool: 'trace' as const,
      argv: [flag, v, `t:sched:sched_switch (args->prev_pid != 0) "${conv} %d", args->${field}, ${extra ?? '$pid'}`],
    })),
  fc
    .tuple(
      fc.constantFrom('-C', '-H'),
      fc.constantFrom('int', 'u64', 'char*', 'u32'),
      fc.constantFrom('args->prev_pid', 'args->next_comm', 'args->prev_state', '$pid', '1<<3'),
      fc.option(expr, { freq: 2 }),
    )
    .map(([k, t, e, filter]) => ({
      tool: 'argdist' as const,
      argv: ['-i', '1', '-n', '1', k, `t:sched:sched_switch():${t}:${e}${filter === null ? '' : `:${filter}`}`],
    })),
  fc
    .tuple(
      fc.constantFrom('funccount', 'stackcount') as fc.Arbitrary<'funccount' | 'stackcount'>,
      fc.constantFrom('t:sched:*', 't:sched:sched_s*', 't:syscalls:sys_*', 'sched:*', 't:sched:****x'),
    )
    .map(([tool, p]) => ({ tool, argv: ['-p', '1', p] })),
);

/** One command line of one tool. `files` is read when cases are generated (after setup). */
export function cliCase(files: () => readonly string[]): fc.Arbitrary<CliCase> {
  const header = fc.nat().map((k) => ['-I', pick(files(), k)]);
  return fc.oneof(
    { weight: 2, arbitrary: saneCase },
    fc
      .tuple(flags('trace'), fc.option(header, { freq: 4 }), fc.array(traceSpec(files), { minLength: 1, maxLength: 2 }))
      .map(([f, h, specs]) => ({ tool: 'trace' as const, argv: [...f, ...(h ?? []), ...specs] })),
    fc
      .tuple(flags('argdist'), fc.array(fc.tuple(fc.constantFrom('-C', '-H'), argdistSpec(files)), { minLength: 1, maxLength: 2 }))
      .map(([f, specs]) => ({ tool: 'argdist' as const, argv: [...f, ...specs.flat()] })),
    ...(['funccount', 'funclatency', 'stackcount'] as const).map((tool) =>
      fc.tuple(flags(tool), patternSpec(files)).map(([f, p]) => ({ tool, argv: [...f, p] })),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Running one case in process
// ---------------------------------------------------------------------------------------------

/**
 * The fixture host, with libraries resolved as the live host does for paths (any file, even a
 * FIFO, is handed to the ELF reader) and `c` as the host's libc.
 */
export function hostileHost(base: ProbeHost): ProbeHost {
  const library = (name: string) => {
    const path = name === 'c' ? '/lib/x86_64-linux-gnu/libc.so.6' : name;
    if (!path.startsWith('/') || !existsSync(path)) throw new ResolveError(`unable to find library ${name}`);
    return { path, original: name, how: 'path' as const };
  };
  return { ...base, library, usdtBinary: library };
}

export type Outcome = 'built' | 'usage error' | 'error';

function progType(t: ProbeTarget): number {
  switch (t.kind) {
    case 'tracepoint':
      return t.mechanism === 'raw' ? ProgType.RawTracepoint : ProgType.Tracepoint;
    case 'raw_tracepoint':
      return ProgType.RawTracepoint;
    default:
      return ProgType.Kprobe;
  }
}

export function build(c: CliCase, host: ProbeHost): void {
  switch (c.tool) {
    case 'trace': {
      const o = traceOptions(c.argv, 'trace');
      const probes = parseTraceProbes(o.probes);
      const headers = loadHeaders(o.includes);
      const units = planUnits(o, probes, headers.types, host);
      const recordSize = Math.max(...units.map((u) => u.layout.size));
      const maps = traceMaps({ transport: 'ringbuf', events: ringbufMapSpec(1 << 22), recordSize });
      for (const u of units) {
        traceProgram({
          name: `trace_${u.index}`,
          progType: progType(u.resolved.target),
          probeIndex: u.index,
          layout: u.layout,
          maps,
          transport: 'ringbuf',
          filter: { pid: o.pid, tid: o.tid, uid: o.uid },
          lowering: loweringFor(u, o.stringSize),
        });
      }
      return;
    }
    case 'argdist': {
      const o = argdistOptions(c.argv, 'argdist');
      const btf = host.kernelBtf();
      const p = argdistPlan(o, () => {
        if (!btf) throw new TracerError('no BTF (fixture)');
        return btf;
      });
      compileSpecs(p, o, host);
      return;
    }
    case 'funccount':
    case 'funclatency':
    case 'stackcount': {
      const o =
        c.tool === 'funccount'
          ? funccountOptions(c.argv, c.tool)
          : c.tool === 'funclatency'
            ? funclatencyOptions(c.argv, c.tool)
            : stackcountOptions(c.argv, c.tool);
      if (o.pattern.trim() === '') throw new UsageError('empty pattern');
      const p = planPattern(o.pattern, c.tool, { regex: o.regexp, pid: o.pid }, host);
      const n = p.probes.length;
      if (n > 0) {
        countProgram({
          name: c.tool,
          progType: progType(p.probes[0]!.target),
          counts: countsMapSpec(n),
          slot: { kind: 'const', slot: 0 },
          filter: { pid: o.pid, cpu: 'cpu' in o ? o.cpu : undefined },
        });
      }
      return;
    }
  }
}

/** Run one case; only TracerErrors (never an "internal error") may come out. */
export function runInProcess(c: CliCase, base: ProbeHost): Outcome {
  try {
    build(c, hostileHost(base));
    return 'built';
  } catch (e) {
    if (!(e instanceof TracerError)) throw e;
    expect(e.message).not.toMatch(/internal error|^internal:/);
    expect(e.message.length).toBeGreaterThan(0);
    return e instanceof UsageError ? 'usage error' : 'error';
  }
}
