/**
 * Fuzz properties of the text parsers: tracepoint format files, /proc/kallsyms, /proc/PID/maps,
 * USDT argument strings (x86-64 and arm64), available_filter_functions, kprobes/blacklist,
 * kprobe_events and C type names. Inputs are random text and line/character mutations of real
 * inputs. Every case must parse or throw a TracerError with a message.
 * (Probe specs, C expressions and format strings are fuzzed in test/unit/specs/fuzz.test.ts,
 * BTF in test/unit/btf/corrupt.test.ts; scripts/fuzz.mjs runs all three at length.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTracepointFormat, parseAvailableFilterFunctions, parseKprobeBlacklist } from '../../../src/symbols/tracefs.js';
import { Kallsyms } from '../../../src/symbols/kallsyms.js';
import { parseMaps, findMapping } from '../../../src/symbols/procmaps.js';
import { parseUsdtArgs, formatUsdtArg } from '../../../src/symbols/usdt/args.js';
import { parseKprobeEvents } from '../../../src/attach/kprobe.js';
import { parseTypeName } from '../../../src/specs/parse.js';
import { mutateText, params, typedOnly } from './harness.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'tracefs');

function formats(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const cat of [
      'syscalls/sys_enter_openat',
      'syscalls/sys_exit_openat',
      'sched/sched_switch',
      'block/block_rq_complete',
      'sock/inet_sock_set_state',
      'ipi/ipi_send_cpumask',
      'dma/dma_map_sg',
    ]) {
      const p = join(dir, 'events', cat, 'format');
      if (existsSync(p)) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(FIXTURES);
  return out;
}

/** A slice of the real /proc/kallsyms (vmlinux head and module tail), or a stand-in. */
function kallsymsSample(): string {
  try {
    const lines = readFileSync('/proc/kallsyms', 'latin1').split('\n');
    return [...lines.slice(0, 200), ...lines.slice(-80)].join('\n');
  } catch {
    return 'ffffffff81000000 T _text\nffffffff81001000 t helper\nffffffffc0a01000 t fn\t[ext4]\n';
  }
}

const MAPS = (() => {
  try {
    return readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return '55ef34c34000-55ef34c39000 r-xp 00002000 fe:00 260131     /usr/bin/cat\n7ffd1000-7ffd2000 rw-p 00000000 00:00 0   [stack]\n';
  }
})();

const HEX = [...'0123456789abcdefABCDEFx'];
const PUNCT = [...' \t:;[]()@%+-,*$#.'];

describe('fuzz: tracepoint format files', () => {
  const real = formats();
  const alphabet = [
    ...HEX,
    ...PUNCT,
    'field:',
    'offset:',
    'size:',
    'signed:',
    'name: ',
    'ID: ',
    'print fmt: ',
    '__data_loc ',
    '[16]',
    'char',
    'unsigned long',
    '\tfield:int x;\toffset:8;\tsize:4;\tsigned:1;',
  ];

  it('the fixtures parse', () => {
    expect(real.length).toBeGreaterThan(3);
    for (const t of real) parseTracepointFormat(t);
  });
  it('random text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((a) => a.join('')),
        ),
        (s) => typedOnly(() => parseTracepointFormat(s)),
      ),
      params(3000),
    );
  });
  it('mutations of real formats', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...real).chain((t) => mutateText(t, alphabet)),
        (s) => typedOnly(() => parseTracepointFormat(s)),
      ),
      params(3000),
    );
  });
});

describe('fuzz: /proc/kallsyms', () => {
  const real = kallsymsSample();
  const alphabet = [...HEX, ...PUNCT, ' T ', ' t ', ' W ', '\t[ext4]', 'ffffffffffffffff', '00000000', '[', ']'];
  const use = (s: string) => {
    const k = Kallsyms.parse(s);
    k.lookup(0xffffffff81000010n);
    k.lookup(0n);
    if (k.size > 0) k.at(k.size - 1);
    k.find('_text');
    k.exists('helper');
    k.functions(/^a/);
  };
  it('random text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((a) => a.join('')),
        ),
        (s) => typedOnly(() => use(s)),
      ),
      params(1500),
    );
  });
  it('mutations of the real file', () => {
    fc.assert(
      fc.property(mutateText(real, alphabet), (s) => typedOnly(() => use(s))),
      params(2000),
    );
  });
});

describe('fuzz: /proc/PID/maps', () => {
  const alphabet = [...HEX, ...PUNCT, 'r-xp', 'rw-s', '---p', 'fe:00', ' (deleted)', '[vdso]', '/usr/lib/x.so'];
  const use = (s: string) => {
    const maps = parseMaps(s);
    for (const m of maps.slice(0, 4)) findMapping(maps, m.start);
    findMapping(maps, 0x7fff00000000n);
  };
  it('random text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((a) => a.join('')),
        ),
        (s) => typedOnly(() => use(s)),
      ),
      params(1500),
    );
  });
  it('mutations of /proc/self/maps', () => {
    fc.assert(
      fc.property(mutateText(MAPS, alphabet), (s) => typedOnly(() => use(s))),
      params(2000),
    );
  });
});

describe('fuzz: USDT argument strings', () => {
  const X64 = [
    '-4@%edi',
    '8@%rdx',
    '-4@-1204(%rbp)',
    '-4@counter(%rip)',
    '-8@(%r8,%r9,8)',
    '-4@$-9',
    '-1@%sil',
    '1@-96(%rbp,%rax,8)',
    '-4@112(%rsp)',
    '2@%r15w',
  ];
  const ARM = ['-4@x0', '-4@[sp, 96]', '-4@[sp]', '8@x1', '-4@w1', '-8@x4'];
  const alphabet = [...X64, ...ARM, ...PUNCT, ...HEX, '@', '%', '$', 'r', 'e', 'sp', 'x', 'w', '(', ')', '[', ']'];
  const use = (s: string) => {
    for (const arch of ['x64', 'arm64'] as const) {
      for (const a of parseUsdtArgs(s, arch, 'fz:probe')) formatUsdtArg(a);
    }
  };
  it('real argument strings parse and print back', () => {
    expect(parseUsdtArgs(X64.join(' '), 'x64').map(formatUsdtArg).length).toBe(X64.length);
    expect(parseUsdtArgs(ARM.join(' '), 'arm64').length).toBe(ARM.length);
  });
  it('random token strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.array(fc.constantFrom(...alphabet), { maxLength: 16 }).map((a) => a.join('')),
        ),
        (s) => typedOnly(() => use(s)),
      ),
      params(5000),
    );
  });
  it('mutations of real argument strings', () => {
    const real = fc.oneof(fc.subarray(X64, { minLength: 1 }), fc.subarray(ARM, { minLength: 1 })).map((a) => a.join(' '));
    fc.assert(
      fc.property(
        real.chain((t) => mutateText(t, alphabet)),
        (s) => typedOnly(() => use(s)),
      ),
      params(5000),
    );
  });
});

describe('fuzz: other tracefs and debugfs lists', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc
      .array(fc.constantFrom(...HEX, ...PUNCT, 'p:', 'r2:', 'polytrace_12/', 'vfs_read', '\n', ' [ext4]', '0xffffffff81000000-0xffffffff81000010\t'), {
        maxLength: 40,
      })
      .map((a) => a.join('')),
  );
  it('available_filter_functions, kprobes/blacklist, kprobe_events', () => {
    const aff = readFileSync(join(FIXTURES, 'available_filter_functions'), 'utf8').split('\n').slice(0, 200).join('\n');
    fc.assert(
      fc.property(fc.oneof(text, mutateText(aff, HEX)), (s) =>
        typedOnly(() => {
          parseAvailableFilterFunctions(s);
          parseKprobeBlacklist(s);
          parseKprobeEvents(s);
        }),
      ),
      params(1500),
    );
  });
  it('C type names (casts and USDT/trace argument types)', () => {
    const words = ['struct', 'sock', 'unsigned', 'long', 'int', 'char', 'const', '*', ' ', '__u64', 'u8', '[', ']', '4', '(', ')', 'volatile', 'enum', 'union'];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.array(fc.constantFrom(...words), { maxLength: 10 }).map((a) => a.join(' ')),
        ),
        (s) => typedOnly(() => parseTypeName(s)),
      ),
      params(1500),
    );
  });
});
