/** Builds and drives chain.c (the funclatency/stackcount workload). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildC } from '../../helpers/cbuild.js';
import { root } from '../../helpers/kernel.js';
import { startGoWorkload, type GoWorkload } from '../../helpers/workloads.js';

/** -O0 keeps a frame pointer in every function, leaf `target` included. */
export function chainExe(): string {
  return buildC('chain', readFileSync(join(root, 'test', 'kernel', 'workloads', 'chain.c'), 'utf8'), ['-O0', '-fno-omit-frame-pointer']);
}

/** One sleep_1ms call as the workload timed it: a probe's entry-to-return lies in [inner, outer]. */
export interface SleepTiming {
  readonly innerNs: number;
  readonly outerNs: number;
}

export interface ChainRun extends GoWorkload {
  /** The five sleep_1ms calls' timings, known once go() has resolved. */
  sleeps(): SleepTiming[];
}

export async function startChain(n: number, depth = 5): Promise<ChainRun> {
  const w = await startGoWorkload(chainExe(), [String(n), String(depth)]);
  return {
    ...w,
    sleeps: () => {
      const line = /^sleeps((?: \d+:\d+)+)$/m.exec(w.out());
      if (!line) throw new Error(`chain printed no sleep timings: ${w.out()}`);
      return line[1]!
        .trim()
        .split(' ')
        .map((pair) => {
          const [inner, outer] = pair.split(':').map(Number);
          return { innerNs: inner!, outerNs: outer! };
        });
    },
  };
}
