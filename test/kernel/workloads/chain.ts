/** Builds and drives chain.c (the funclatency/stackcount workload). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { buildC } from '../../helpers/cbuild.js';
import { root } from '../../helpers/kernel.js';

/** -O0 keeps a frame pointer in every function, leaf `target` included. */
export function chainExe(): string {
  return buildC('chain', readFileSync(join(root, 'test', 'kernel', 'workloads', 'chain.c'), 'utf8'), ['-O0', '-fno-omit-frame-pointer']);
}

/** One sleep_1ms call as the workload timed it: a probe's entry-to-return lies in [inner, outer]. */
export interface SleepTiming {
  readonly innerNs: number;
  readonly outerNs: number;
}

export interface ChainRun {
  readonly pid: number;
  readonly child: ChildProcessWithoutNullStreams;
  go(): Promise<void>;
  end(): Promise<void>;
  /** The five sleep_1ms calls' timings, known once go() has resolved. */
  sleeps(): SleepTiming[];
}

export async function startChain(n: number, depth = 5): Promise<ChainRun> {
  const child = spawn(chainExe(), [String(n), String(depth)]);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const waitFor = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => out.includes(text) && (child.stdout.off('data', check), resolve());
      child.stdout.on('data', check);
      child.on('exit', (code) => (out.includes(text) ? resolve() : reject(new Error(`chain exited ${code}: ${out}`))));
      check();
    });
  await waitFor('ready');
  return {
    pid: Number(/ready (\d+)/.exec(out)![1]),
    child,
    go: () => {
      child.stdin.write('go\n');
      return waitFor('done');
    },
    end: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        // Never told to go (the tool failed first): it would take 'end' for 'go' and then wait.
        if (!out.includes('done')) child.kill('SIGKILL');
        else child.stdin.write('end\n');
      }),
    sleeps: () => {
      const line = /^sleeps((?: \d+:\d+)+)$/m.exec(out);
      if (!line) throw new Error(`chain printed no sleep timings: ${out}`);
      return line[1]!.trim().split(' ').map((pair) => {
        const [inner, outer] = pair.split(':').map(Number);
        return { innerNs: inner!, outerNs: outer! };
      });
    },
  };
}
