/**
 * Issue 20: every numeric option of the five tools, given any value, either parses or is a
 * UsageError (exit 2) in the option's terms — never commander's InvalidArgumentError escaping
 * as an internal error, never a value a timer, a field or a map size overflows on later.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UsageError } from '../../../src/errors.js';
import { parseOptions as trace } from '../../../src/multitools/trace.js';
import { parseOptions as argdist } from '../../../src/multitools/argdist.js';
import { parseOptions as funccount } from '../../../src/multitools/funccount.js';
import { parseOptions as funclatency } from '../../../src/multitools/funclatency.js';
import { parseOptions as stackcount } from '../../../src/multitools/stackcount.js';
import { PID_MAX, SECONDS_MAX } from '../../../src/multitools/options.js';
import { possibleCpus } from '../../../src/kernel/cpus.js';
import { recordLayout } from '../../../src/compile/tools/trace.js';
import { CheckError } from '../../../src/errors.js';

type Parse = (argv: readonly string[], prog: string) => unknown;

/** Each tool, the rest of a valid command line, and its numeric options with their largest value. */
const TOOLS: Array<[string, Parse, string[], Array<[string, number]>]> = [
  [
    'trace',
    trace,
    ['t:sched:sched_switch'],
    [
      ['-b', 1 << 20],
      ['-p', PID_MAX],
      ['-L', PID_MAX],
      ['--uid', 2 ** 32 - 2],
      ['-Z', 8192],
      ['-M', 2 ** 31 - 1],
    ],
  ],
  [
    'argdist',
    argdist,
    ['-C', 't:sched:sched_switch()'],
    [
      ['-p', PID_MAX],
      ['-t', PID_MAX],
      ['-z', 255],
      ['-i', SECONDS_MAX],
      ['-d', SECONDS_MAX],
      ['-n', 2 ** 31 - 1],
      ['-T', 2 ** 31 - 1],
    ],
  ],
  [
    'funccount',
    funccount,
    ['t:sched:sched_switch'],
    [
      ['-p', PID_MAX],
      ['-i', SECONDS_MAX],
      ['-d', SECONDS_MAX],
    ],
  ],
  [
    'funclatency',
    funclatency,
    ['c:malloc'],
    [
      ['-p', PID_MAX],
      ['-i', SECONDS_MAX],
      ['-d', SECONDS_MAX],
    ],
  ],
  [
    'stackcount',
    stackcount,
    ['t:sched:sched_switch'],
    [
      ['-p', PID_MAX],
      ['-i', SECONDS_MAX],
      ['-D', SECONDS_MAX],
    ],
  ],
];

function outcome(parse: Parse, argv: string[], prog: string): 'ok' | 'usage' {
  try {
    parse(argv, prog);
    return 'ok';
  } catch (e) {
    if (e instanceof UsageError) {
      expect(e.message).not.toContain('\n');
      return 'usage';
    }
    throw e;
  }
}

describe('numeric options: range and integer-ness (issue 20)', () => {
  it.each(TOOLS)('%s: each option takes its largest value and refuses one more', (prog, parse, rest, opts) => {
    for (const [flag, max] of opts) {
      expect(outcome(parse, [flag, String(max), ...rest], prog), `${flag} ${max}`).toBe('ok');
      expect(outcome(parse, [flag, String(max + 1), ...rest], prog), `${flag} ${max + 1}`).toBe('usage');
      for (const bad of ['-1', '1.5', '1e3', '0x10', '', ' ', 'nan', '99999999999999', '9'.repeat(400), '1\u0000']) {
        expect(outcome(parse, [flag, bad, ...rest], prog), `${flag} ${JSON.stringify(bad)}`).toBe('usage');
      }
    }
  });

  it('the issue examples: argdist -z 256, trace -Z 32768, -i 99999999999999', () => {
    expect(() => argdist(['-z', '256', '-C', 't:a:b()'], 'argdist')).toThrow(UsageError);
    expect(() => argdist(['-z', '256', '-C', 't:a:b()'], 'argdist')).toThrow(/string size must be at most 255, got 256/);
    expect(() => trace(['-Z', '32768', 't:a:b'], 'trace')).toThrow(/STRING_SIZE must be at most 8192, got 32768/);
    expect(() => argdist(['-i', '99999999999999', '-d', '1', '-C', 't:a:b()'], 'argdist')).toThrow(/interval must be at most 99999999/);
  });

  it('-c CPU must be a CPU of this host (BCC accepts any, and the filter never matches)', () => {
    const cpus = possibleCpus();
    const missing = cpus[cpus.length - 1]! + 1;
    for (const [prog, parse] of [
      ['funccount', funccount],
      ['stackcount', stackcount],
    ] as const) {
      expect(outcome(parse, ['-c', String(cpus[0]), 't:a:b'], prog)).toBe('ok');
      expect(() => parse(['-c', String(missing), 't:a:b'], prog)).toThrow(new RegExp(`CPU ${missing} does not exist on this host`));
    }
  });

  it('any value of any numeric option: parsed or a UsageError', () => {
    const value = fc.oneof(fc.string(), fc.integer().map(String), fc.bigInt().map(String), fc.double().map(String));
    const pick = fc.constantFrom(...TOOLS.flatMap(([prog, parse, rest, opts]) => opts.map(([flag]) => [prog, parse, rest, flag] as const)));
    fc.assert(
      fc.property(pick, value, ([prog, parse, rest, flag], v) => {
        outcome(parse, [flag, v, ...rest], prog);
      }),
      { numRuns: 2000 },
    );
  });

  it('a trace record too large for instruction offsets is a CheckError in option terms', () => {
    expect(() => recordLayout(['string', 'string', 'string', 'string', 'string'], { stringSize: 8192 })).toThrow(CheckError);
    expect(() => recordLayout(['string', 'string', 'string', 'string', 'string'], { stringSize: 8192 })).toThrow(/too large .*5 strings of -Z 8192 bytes/);
    expect(recordLayout(['string', 'string', 'string'], { stringSize: 8192 }).size).toBeLessThanOrEqual(32768);
  });
});
