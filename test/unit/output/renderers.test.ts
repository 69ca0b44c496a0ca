import { describe, expect, it } from 'vitest';
import { CheckError } from '../../../src/errors.js';
import {
  argdistFreqTitle,
  argdistHistLabel,
  argdistKey,
  argdistLabel,
  renderArgdistFreq,
  renderArgdistHist,
  renderArgdistIntervalHeader,
} from '../../../src/output/argdist.js';
import { DETACHING, renderFunccountBanner, renderFunccountTable } from '../../../src/output/funccount.js';
import { funclatencySectionTitle, renderFunclatencyAvg, renderFunclatencyInterval } from '../../../src/output/funclatency.js';
import { encodeJson, jsonLine } from '../../../src/output/json.js';
import { fixed, ljust, pySlice, rjust, trueDivide } from '../../../src/output/pyfmt.js';
import {
  NO_TGID,
  renderStackcountFolded,
  renderStackcountInterval,
  renderStackcountStacks,
  stackcountIntervalPieces,
  type StackcountEntry,
} from '../../../src/output/stackcount.js';
import { renderTimestampLine, strftimeHMS } from '../../../src/output/time.js';
import {
  formatConversions,
  renderTraceAggregate,
  renderTraceEvent,
  renderTraceEventKey,
  renderTraceHeader,
  traceTimeOffset,
  type FormatPiece,
} from '../../../src/output/trace.js';

const at = (h: number, m: number, s: number) => new Date(2024, 0, 15, h, m, s);

describe('time', () => {
  it('strftimeHMS is local %H:%M:%S, zero padded', () => {
    expect(strftimeHMS(at(13, 59, 10))).toBe('13:59:10');
    expect(strftimeHMS(at(0, 5, 7))).toBe('00:05:07');
    expect(renderTimestampLine(at(9, 0, 0))).toBe('09:00:00\n');
  });
});

describe('pyfmt', () => {
  it('pads by code points like Python', () => {
    expect(ljust('é', 3)).toBe('é  ');
    expect(ljust('😀', 3)).toBe('😀  ');
    expect(rjust('😀', 3)).toBe('  😀');
    expect(ljust('toolong', 3)).toBe('toolong');
    expect(pySlice('😀abcdefghij', 8)).toBe('😀abcdefg');
  });
  it('"%.6f" rounds exact ties half to even like Python', () => {
    expect(fixed(4.911826, 6)).toBe('4.911826');
    expect(fixed(0.0078125, 6)).toBe('0.007812'); // JS toFixed gives 0.007813
    expect(fixed(0.0000005, 6)).toBe('0.000000'); // not a tie in binary: 4.99999…e-7, as Python
    expect(fixed(-0, 6)).toBe('-0.000000');
    expect(fixed(1700000000.123456, 6)).toBe('1700000000.123456');
    expect(fixed(2.5, 0)).toBe('2');
    expect(fixed(0, 6)).toBe('0.000000');
  });
  it('trueDivide is correctly rounded for large integers', () => {
    expect(trueDivide(21_500_000n, 1_000_000n)).toBe(21.5);
    expect(trueDivide(-7n, 2n)).toBe(-3.5);
    // 2^53 + 1 is not a double; Python gives 9007199254740993/1 = 9007199254740992.0
    expect(trueDivide((1n << 53n) + 1n, 1n)).toBe(9007199254740992);
    // (2^54 + 3) / 2 = 2^53 + 1.5 -> nearest double 2^53 + 2
    expect(trueDivide((1n << 54n) + 3n, 2n)).toBe(9007199254740994);
    expect(trueDivide(10n ** 30n, 3n)).toBe(3.333333333333333e29);
  });
});

describe('funccount', () => {
  it('banner and Detaching', () => {
    expect(renderFunccountBanner(2, 'c:(write|read)$')).toBe('Tracing 2 functions for "c:(write|read)$"... Hit Ctrl-C to end.\n');
    expect(renderFunccountBanner(1, 'vfs_read')).toBe('Tracing 1 functions for "vfs_read"... Hit Ctrl-C to end.\n');
    expect(DETACHING).toBe('Detaching...\n');
  });

  it('the verified sample of BCC-FEATURES §4.4 (zero rows omitted, ascending)', () => {
    const rows = [
      { name: '_init', count: 0n },
      { name: 'fact', count: 95n },
      { name: 'add', count: 19n },
      { name: 'main', count: 0n },
      { name: 'compute', count: 19n },
    ];
    expect(renderFunccountBanner(11, './testprog:*') + renderFunccountTable(rows, { timestamp: at(13, 59, 10) })).toBe(
      'Tracing 11 functions for "./testprog:*"... Hit Ctrl-C to end.\n' +
        '\n' +
        '13:59:10\n' +
        'FUNC                                    COUNT\n' +
        'add                                        19\n' +
        'compute                                    19\n' +
        'fact                                       95\n',
    );
  });

  it('long names and big counts are not truncated', () => {
    expect(
      renderFunccountTable([
        { name: 'x'.repeat(40), count: 123456789012n },
        { name: 'block:block_rq_complete', count: 7n },
      ]),
    ).toBe('\nFUNC                                    COUNT\n' + 'block:block_rq_complete                     7\n' + `${'x'.repeat(40)} 123456789012\n`);
  });

  it('an empty interval is the header only', () => {
    expect(renderFunccountTable([])).toBe('\nFUNC                                    COUNT\n');
  });
});

describe('funclatency', () => {
  it('the verified sample of BCC-FEATURES §5.4', () => {
    const slots = new Array<bigint>(65).fill(0n);
    slots[1] = 14n;
    slots[2] = 6n;
    expect(
      renderFunccountBanner(1, './testprog:compute') + renderFunclatencyInterval({ unit: 'msecs', hist: slots, totalNs: 21_700_000n, count: 20n }) + DETACHING,
    ).toBe(
      'Tracing 1 functions for "./testprog:compute"... Hit Ctrl-C to end.\n' +
        '\n' +
        '     msecs               : count     distribution\n' +
        '         0 -> 1          : 14       |****************************************|\n' +
        '         2 -> 3          : 6        |*****************                       |\n' +
        '\n' +
        'avg = 1 msecs, total: 21 msecs, count: 20\n' +
        '\n' +
        'Detaching...\n',
    );
  });

  it('avg line truncation semantics', () => {
    expect(renderFunclatencyAvg(0n, 0n, 'nsecs')).toBe('');
    expect(renderFunclatencyAvg(1999n, 2n, 'nsecs')).toBe('\navg = 999 nsecs, total: 1999 nsecs, count: 2\n\n');
    // usecs: 1999 ns -> 1.999 us (float) -> total prints 1, avg = 1.999/2 = 0.9995 -> 0
    expect(renderFunclatencyAvg(1999n, 2n, 'usecs')).toBe('\navg = 0 usecs, total: 1 usecs, count: 2\n\n');
    expect(renderFunclatencyAvg(3690752999n, 713354n, 'usecs')).toBe('\navg = 5 usecs, total: 3690752 usecs, count: 713354\n\n');
    expect(renderFunclatencyAvg(2_999_999n, 1n, 'msecs')).toBe('\navg = 2 msecs, total: 2 msecs, count: 1\n\n');
  });

  it('section titles and sectioned interval with -T', () => {
    expect(funclatencySectionTitle('vfs_read')).toBe('vfs_read');
    expect(funclatencySectionTitle('compute', 12860)).toBe('compute [12860]');
    const s = new Array<bigint>(3).fill(0n);
    s[2] = 3n;
    expect(
      renderFunclatencyInterval({
        unit: 'usecs',
        timestamp: at(10, 11, 12),
        hist: [{ title: 'compute [12860]', slots: s }],
        totalNs: 9000n,
        count: 3n,
      }),
    ).toBe(
      '\n10:11:12\n' +
        '\nFunction = compute [12860]\n' +
        '     usecs               : count     distribution\n' +
        '         0 -> 1          : 0        |                                        |\n' +
        '         2 -> 3          : 3        |****************************************|\n' +
        '\navg = 3 usecs, total: 9 usecs, count: 3\n\n',
    );
  });

  it('an empty interval is just the blank line', () => {
    expect(renderFunclatencyInterval({ unit: 'nsecs', hist: [], totalNs: 0n, count: 0n })).toBe('\n');
  });
});

describe('stackcount', () => {
  const f = (addr: bigint, name: string) => ({ addr, name });
  const entries: StackcountEntry[] = [
    {
      kernel: [],
      user: [f(0x55add046f169n, 'add'), f(0x7f0000001000n, '__libc_start_call_main')],
      comm: 'prog',
      tgid: 13041,
      count: 19n,
    },
    { kernel: [], user: [f(1n, '[unknown]'), f(2n, '[unknown]')], comm: '', tgid: NO_TGID, count: 20n },
  ];

  it('multi-line form with comm line, ascending by count', () => {
    expect(renderStackcountStacks(entries)).toBe('  add\n  __libc_start_call_main\n    prog [13041]\n    19\n\n' + '  [unknown]\n  [unknown]\n    20\n\n');
  });

  it('-v addresses, -d delimiter, -p hides the comm line', () => {
    const e: StackcountEntry = {
      kernel: [f(0xffffffff817b05c1n, 'tcp_sendmsg')],
      user: [f(0x55add046f169n, 'add+0x0')],
      comm: 'prog',
      tgid: 7,
      count: 3n,
    };
    expect(renderStackcountStacks([e], { verbose: true, delimited: true, pidFiltered: true })).toBe(
      '  ffffffff817b05c1 tcp_sendmsg\n    --\n  55add046f169     add+0x0\n    3\n\n',
    );
  });

  it('folded form of BCC-FEATURES §6.4', () => {
    expect(renderStackcountFolded(entries, { delimited: true })).toBe('prog;__libc_start_call_main;add;- 19\n' + ';[unknown];[unknown];- 20\n');
    expect(renderStackcountFolded([entries[1]!])).toBe(';[unknown];[unknown] 20\n');
    const k: StackcountEntry = { kernel: [f(1n, 'leaf'), f(2n, 'root')], user: [f(3n, 'uleaf'), f(4n, 'uroot')], comm: 'c', tgid: 1, count: 1n };
    expect(renderStackcountFolded([k], { delimited: true })).toBe('c;uroot;uleaf;-;root;leaf 1\n');
  });

  it('interval blocks', () => {
    expect(renderStackcountInterval([], {})).toBe('\n');
    expect(renderStackcountInterval([entries[1]!], { folded: true, timestamp: at(1, 2, 3) })).toBe('01:02:03\n;[unknown];[unknown] 20\n');
  });

  it('a large interval comes in pieces of about 64 KiB that join to the whole, the head in the first', () => {
    const many: StackcountEntry[] = Array.from({ length: 5000 }, (_, i) => ({
      kernel: [{ addr: BigInt(i), name: `kernel_function_${i}` }],
      user: [{ addr: BigInt(i), name: `user_function_${i}` }],
      comm: 'prog',
      tgid: 1000 + i,
      count: BigInt(i + 1),
    }));
    for (const folded of [false, true]) {
      const pieces = [...stackcountIntervalPieces(many, { folded })];
      expect(pieces.length).toBeGreaterThan(1);
      expect(pieces.join('')).toBe(renderStackcountInterval(many, { folded }));
      for (const p of pieces) expect(p.length).toBeLessThan(64 * 1024 + 200);
      expect(pieces[0]!.startsWith(folded ? 'prog;user_function_0;kernel_function_0 1\n' : '\n  kernel_function_0\n')).toBe(true);
    }
    // Small: one piece, as one write.
    expect([...stackcountIntervalPieces([entries[1]!], {})]).toEqual([renderStackcountInterval([entries[1]!], {})]);
  });
});

describe('trace', () => {
  it('headers', () => {
    expect(renderTraceHeader({ time: true, cpu: true, anyFormat: true })).toBe('TIME     CPU PID     TID     COMM            FUNC             -\n');
    expect(renderTraceHeader({ anyFormat: false })).toBe('PID     TID     COMM            FUNC             \n');
    expect(renderTraceHeader({ time: true, unixTimestamp: true, anyFormat: true })).toBe(
      'TIME              PID     TID     COMM            FUNC             -\n',
    );
  });

  it('the verified event line of BCC-FEATURES §2.5', () => {
    const msg = formatConversions(['a=', { conv: 'd' }, ' b=', { conv: 'd' }, ' hex=', { conv: 'x' }], [0n, 0n, 0n]);
    expect(
      renderTraceEvent({
        time: traceTimeOffset(4_911_826_000n + 5n, 5n),
        cpu: 1,
        tgid: 9498,
        tid: 9498,
        comm: 'prog',
        func: 'add',
        message: msg,
      }),
    ).toBe('4.911826 1   9498    9498    prog            add              a=0 b=0 hex=0\n');
  });

  it('time truncation, long FUNC, default action leaves the trailing space', () => {
    expect(renderTraceEvent({ time: traceTimeOffset(12_345_678_901n, 0n), tgid: 1, tid: 2, comm: 'c', func: 'malloc_consolidate', message: '' })).toBe(
      '12.34567 1       2       c               malloc_consolidate \n',
    );
    expect(
      renderTraceEvent(
        { time: traceTimeOffset(1_500_000_000n, 0n, 1700000000.25), tgid: 1, tid: 1, comm: 'c', func: 'f', message: 'm' },
        { unixTimestamp: true },
      ),
    ).toBe('1700000001.750000 1       1       c               f                m\n');
  });

  it('stacks: 8-space indent, -a %16x, failed stack id, blank line after', () => {
    const e = {
      tgid: 1,
      tid: 1,
      comm: 'c',
      func: 'f',
      message: '',
      kernelStack: [{ addr: 0xffffffff81000001n, name: 'do_sys_open+0x1 [kernel]' }],
      userStack: { errorId: -14 },
    };
    expect(renderTraceEvent(e, { address: true })).toBe(
      '1       1       c               f                \n' + '        ffffffff81000001 do_sys_open+0x1 [kernel]\n' + '        -14\n' + '\n',
    );
    expect(renderTraceEventKey({ ...e, userStack: [{ addr: 0x1234n, name: '[unknown]' }] }, { address: true })).toBe(
      '1       1       c               f                \n' + '        ffffffff81000001 do_sys_open+0x1 [kernel]\n' + '                    1234 [unknown]\n',
    );
  });

  it('-A aggregate: descending, stable', () => {
    expect(
      renderTraceAggregate([
        ['a\n', 1n],
        ['b\n', 271n],
        ['c\n', 1n],
      ]),
    ).toBe('b\n-->COUNT 271\n\na\n-->COUNT 1\n\nc\n-->COUNT 1\n\n');
  });

  it('formatConversions: widths, signedness, %c %s %p %K %U', () => {
    const P = (conv: FormatPiece) => [conv];
    const cases: [FormatPiece, bigint | string, string][] = [
      [{ conv: 'd' }, -1n, '-1'],
      [{ conv: 'd' }, 0xffff_ffffn, '-1'],
      [{ conv: 'd' }, 0x1_0000_0005n, '5'],
      [{ conv: 'i' }, 42n, '42'],
      [{ conv: 'u' }, -1n, '4294967295'],
      [{ conv: 'u', length: 'l' }, -1n, '18446744073709551615'],
      [{ conv: 'd', length: 'll' }, (1n << 64n) - 2n, '-2'],
      [{ conv: 'd', length: 'h' }, 0x18000n, '-32768'],
      [{ conv: 'u', length: 'h' }, -1n, '65535'],
      [{ conv: 'd', length: 'hh' }, 200n, '-56'],
      [{ conv: 'u', length: 'hh' }, 0x1ffn, '255'],
      [{ conv: 'x' }, 255n, 'ff'],
      [{ conv: 'x' }, -1n, 'ffffffff'],
      [{ conv: 'x', length: 'l' }, -1n, 'ffffffffffffffff'],
      [{ conv: 'X' }, 0xabcn, 'ABC'],
      [{ conv: 'o' }, 8n, '10'],
      [{ conv: 'c' }, 65n, 'A'],
      [{ conv: 'c' }, 0x141n, 'A'],
      [{ conv: 's' }, 'hello world', 'hello world'],
      [{ conv: 'p' }, 0xffff888000001000n, '0xffff888000001000'],
      [{ conv: 'p' }, 0n, '0x0'],
      [{ conv: 'K' }, 'do_sys_open+0x1', 'do_sys_open+0x1'],
      [{ conv: 'U' }, 'expire_proc_indirect+0x0 [automount]', 'expire_proc_indirect+0x0 [automount]'],
      [{ conv: 'K' }, 0xffffffff81000000n, '0xffffffff81000000'],
    ];
    for (const [piece, value, want] of cases) {
      expect(formatConversions(P(piece), [value]), JSON.stringify([piece, String(value)])).toBe(want);
    }
    expect(formatConversions(['100%'], [])).toBe('100%');
  });

  it('formatConversions: argument count and type errors', () => {
    expect(() => formatConversions([{ conv: 'd' }, { conv: 'd' }], [1n])).toThrow(new CheckError('format string expects 2 arguments, got 1'));
    expect(() => formatConversions([{ conv: 'd' }], ['x'])).toThrow(CheckError);
  });
});

describe('argdist', () => {
  it('the verified sample of BCC-FEATURES §3.3', () => {
    const spec1 = 'p:./testprog:compute(void *p, const char *s, int n):int,char*:n,s';
    const hist = new Array<bigint>(65).fill(0n);
    hist[7] = 20n;
    hist[6] = 1n;
    const out =
      renderArgdistIntervalHeader(at(13, 59, 3)) +
      renderArgdistFreq(argdistFreqTitle(spec1), [
        {
          count: 23n,
          key: argdistKey([
            ['n', '2'],
            ['s', "b'hello world'"],
          ]),
        },
        {
          count: 23n,
          key: argdistKey([
            ['n', '0'],
            ['s', "b'hello world'"],
          ]),
        },
      ]) +
      renderArgdistFreq(argdistFreqTitle('r:./testprog:fact()'), [
        { count: 68n, key: 'retval = 24' },
        { count: 68n, key: 'retval = 1' },
      ]);
    expect(out).toBe(
      '[13:59:03]\n' +
        'p:./testprog:compute(void *p, const char *s, int n):int,char*:n,s\n' +
        '\tCOUNT      EVENT\n' +
        "\t23         n = 2, s = b'hello world'\n" +
        "\t23         n = 0, s = b'hello world'\n" +
        'r:./testprog:fact()\n' +
        '\tCOUNT      EVENT\n' +
        '\t68         retval = 24\n' +
        '\t68         retval = 1\n',
    );
    expect(renderArgdistHist('$latency/1000', hist).split('\n').slice(0, 2)).toEqual([
      '     $latency/1000       : count     distribution',
      '         0 -> 1          : 0        |                                        |',
    ]);
    expect(renderArgdistHist('$latency/1000', hist).split('\n')[7]).toBe('        64 -> 127        : 20       |****************************************|');
    expect(renderArgdistHist('x', [])).toBe('');
  });

  it('ascending order and -T top N keeps the largest N, still ascending', () => {
    const rows = [5n, 1n, 9n, 3n].map((c) => ({ count: c, key: `k${c}` }));
    expect(renderArgdistFreq('t', rows, 2)).toBe('t\n\tCOUNT      EVENT\n\t5          k5\n\t9          k9\n');
    expect(renderArgdistFreq('t', rows, 0)).toBe(renderArgdistFreq('t', rows));
    expect(renderArgdistFreq('t', rows, 10)).toBe(renderArgdistFreq('t', rows));
    expect(renderArgdistFreq('t', rows)).toBe('t\n\tCOUNT      EVENT\n\t1          k1\n\t3          k3\n\t5          k5\n\t9          k9\n');
    expect(renderArgdistFreq('t', [])).toBe('t\n\tCOUNT      EVENT\n');
  });

  it('title and label rules', () => {
    expect(argdistLabel('p:c:write(int fd):int:fd#writes')).toBe('writes');
    expect(argdistLabel('p:c:write(int fd):int:fd#')).toBeUndefined();
    expect(argdistLabel('p:c:write(int fd):int:fd#a#b')).toBeUndefined();
    expect(argdistFreqTitle('p:c:write(int fd):int:fd#a#b')).toBe('p:c:write(int fd):int:fd#a#b');
    expect(argdistFreqTitle('p:c:write(int fd):int:fd#writes')).toBe('writes');
    expect(argdistHistLabel('r:c:read()')).toBe('retval');
    expect(argdistHistLabel('p:c:read():u64:$latency', '$latency')).toBe('$latency');
    expect(argdistHistLabel('p:c:read():u64:$latency#lat', '$latency')).toBe('lat');
  });
});

describe('json', () => {
  it('bigint as number up to 2^53, string beyond', () => {
    expect(encodeJson(1n << 53n)).toBe('9007199254740992');
    expect(encodeJson(-(1n << 53n))).toBe('-9007199254740992');
    expect(encodeJson((1n << 53n) + 1n)).toBe('"9007199254740993"');
    expect(encodeJson((1n << 64n) - 1n)).toBe('"18446744073709551615"');
  });
  it('objects, arrays, escaping, non-finite numbers, undefined members', () => {
    expect(encodeJson({ a: [1, 'x"y', null, true], b: undefined, c: Number.NaN, d: { e: 2n } })).toBe('{"a":[1,"x\\"y",null,true],"c":null,"d":{"e":2}}');
    expect(jsonLine({ event: 'malloc', pid: 12, size: 24n })).toBe('{"event":"malloc","pid":12,"size":24}\n');
  });
});
