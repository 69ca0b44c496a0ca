/**
 * The CLI fuzzer through the real tools (issue 20): a few hundred command lines from the
 * generator of test/unit/fuzz/cli-cases.ts, each run as a child process against the kernel.
 * Every one must end as {ran: exit 0, a one-line error: exit 1 or 2}, with no `internal error`
 * and no stack, and nothing left attached. A run still tracing after 5 s is stopped with
 * SIGINT (that is how a user ends it: it ran); one that has not exited 30 s later hangs.
 * Its seed is fixed unless FUZZ_SEED says otherwise: these runs attach to the host's kernel,
 * so CI replays known command lines (the in-process fuzzer of npm test draws new ones).
 *
 *   FUZZ_CLI_RUNS=N FUZZ_SEED=S npx vitest run test/kernel/fuzz-cli.test.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildC, haveGcc } from '../helpers/cbuild.js';
import { programsLeft, requireKernel, skipKernel, start } from '../helpers/kernel.js';
import { USDT_SRC } from '../helpers/usdt-source.js';
import { cliCase, hostileFiles, type CliCase } from '../unit/fuzz/cli-cases.js';

let files: string[] = [];
const RUNS = Number(process.env['FUZZ_CLI_RUNS'] ?? 300);
const PARALLEL = 4;

/** The argv a process can receive (no NUL bytes: exec cannot pass them), argdist's reports limited. */
function bounded(c: CliCase): string[] {
  const argv = c.argv.map((a) => a.replaceAll('\u0000', ''));
  return c.tool === 'argdist' ? ['-i', '1', '-n', '1', ...argv] : argv;
}

async function runCase(c: CliCase): Promise<{ code: number | string; stderr: string; hung: boolean; interrupted: boolean }> {
  const t = start(c.tool, bounded(c));
  let interrupted = false;
  const stop = setTimeout(() => {
    interrupted = true;
    t.child.kill('SIGINT');
  }, 5000);
  let hung = false;
  const kill = setTimeout(() => {
    hung = true;
    t.child.kill('SIGKILL');
  }, 35_000);
  const code = await t.exited;
  clearTimeout(stop);
  clearTimeout(kill);
  return { code, stderr: t.stderr, hung, interrupted };
}

describe.skipIf(skipKernel)('CLI fuzzer, real tools (kernel)', () => {
  beforeAll(() => {
    requireKernel();
    const dir = mkdtempSync(join(tmpdir(), 'polytrace-fuzz-cli-'));
    const elfs = ['/bin/true'];
    if (haveGcc()) elfs.push(buildC('fuzz-usdt-so', USDT_SRC, ['-O1', '-fPIC', '-shared', '-Wl,--build-id']));
    files = hostileFiles(dir, elfs);
  });

  it('every command line runs or fails in one line, exit 0, 1 or 2', async () => {
    const seed = Number(process.env['FUZZ_SEED'] ?? 20261207);
    const cases = fc.sample(
      cliCase(() => files),
      { numRuns: RUNS, seed },
    );
    const t0 = Date.now();
    const codes = new Map<string, number>();
    const bad: string[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < cases.length; i = next++) {
        const c = cases[i]!;
        const r = await runCase(c);
        codes.set(String(r.code), (codes.get(String(r.code)) ?? 0) + 1);
        const what = `${c.tool} ${JSON.stringify(c.argv).slice(0, 300)} → ${r.code}: ${r.stderr.slice(0, 300)}`;
        if (r.hung) bad.push(`hung: ${what}`);
        else if (!['0', '1', '2', 'SIGINT'].includes(String(r.code))) bad.push(`exit: ${what}`);
        else if (/internal error|\n\s+at .*:\d+:\d+\)?\n/.test(r.stderr)) bad.push(`internal: ${what}`);
        // A run our SIGINT stopped owes no message (on a loaded machine, even start-up can take 5 s).
        else if (r.code !== 0 && r.code !== 'SIGINT' && !r.interrupted && !r.stderr.startsWith(`${c.tool}: `)) bad.push(`message: ${what}`);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    console.log(
      `cli fuzz (real tools): ${cases.length} cases, seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(0)} s, exits ${[...codes].map(([k, v]) => `${k}: ${v}`).join(', ')}`,
    );
    expect(bad).toEqual([]);
    expect(await programsLeft(/^(trace|argdist|funccount|funclat|stackcount)/)).toEqual([]);
  }, 1_200_000);
});
