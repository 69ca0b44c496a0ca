/**
 * The command-line fuzzer (issue 20): option values × probe specs × format strings × hostile
 * files, through each tool's own front end in process — parseOptions, parse, -I headers,
 * resolve against the fixture host (with hostile files as libraries), check, and build the
 * programs — the path a real run takes up to loading. Every case must end in one of: built,
 * or a TracerError (what reportError prints as one `prog: message` line, exit 1, or 2 for a
 * UsageError). Anything else — a TypeError, a RangeError from a deep recursion, an
 * `internal error` message — fails, and fast-check prints the seed and the shrunk command
 * line. A hang fails on the test timeout. The real CLI gets a few hundred cases of the same
 * generator in test/kernel/fuzz-cli.test.ts.
 *
 *   FUZZ_RUNS=N FUZZ_SEED=S npx vitest run test/unit/fuzz/cli.test.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureHost } from '../../helpers/probe-host.js';
import { buildC, haveGcc } from '../../helpers/cbuild.js';
import { USDT_SRC } from '../../helpers/usdt-source.js';
import { cliCase, hostileFiles, runInProcess, type CliCase } from './cli-cases.js';
import { params } from './harness.js';

let files: string[] = [];

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'polytrace-fuzz-cli-'));
  const elfs = ['/bin/true'];
  if (haveGcc()) elfs.push(buildC('fuzz-usdt-so', USDT_SRC, ['-O1', '-fPIC', '-shared', '-Wl,--build-id']));
  files = hostileFiles(dir, elfs);
});

describe('CLI fuzzer, in process (issue 20)', () => {
  it('every generated command line builds or fails with a one-line TracerError', () => {
    const p = params(10_000);
    const t0 = Date.now();
    let cases = 0;
    const outcomes = new Map<string, number>();
    const host = fixtureHost({ mechanism: 'kprobe', rawTracepoints: true });
    const seed = p.seed ?? Date.now() ^ (Math.random() * 0x100000000);
    fc.assert(
      fc.property(
        cliCase(() => files),
        (c: CliCase) => {
          cases++;
          const r = runInProcess(c, host);
          outcomes.set(r, (outcomes.get(r) ?? 0) + 1);
        },
      ),
      { ...p, seed },
    );
    // The count and the seed, to replay a run (FUZZ_SEED) or compare its coverage.
    console.log(`cli fuzz: ${cases} cases, seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(1)} s: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    expect(cases).toBeGreaterThanOrEqual(p.numRuns ?? 0);
    // Some cases must get all the way through, or the generator only tests the option parser.
    expect(outcomes.get('built') ?? 0).toBeGreaterThan(0);
  }, 600_000);
});
