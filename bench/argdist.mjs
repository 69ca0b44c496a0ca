// argdist (issue 8): in-kernel ns per event beside bpftrace's @[arg0] = count() / hist(arg0)
// and BCC's argdist, on the same uprobe (work_fn(i & 63): 64 distinct values).
import { join } from 'node:path';
import { root, have } from './lib.mjs';
import { benchKernelCost, workloadBin } from './kcost.mjs';

// argdist prints nothing until its first interval (-i 1): exec → attached ≈ first "[HH:MM:SS]" − 1 s.
const FIRST = /\[\d\d:\d\d:\d\d\]/;

export async function benchArgdist() {
  const path = workloadBin();
  const fn = `${path}:work_fn`;
  const spec = (t) => `p:${path}:work_fn(int i):int:i`;
  for (const [flag, agg, what] of [
    ['-C', 'count()', 'count'],
    ['-H', 'hist(arg0)', 'histogram'],
  ]) {
    const tools = [
      {
        name: `polytrace argdist ${flag}`,
        cmd: process.execPath,
        args: [join(root, 'bin', 'argdist.js'), '-i', '1', flag, spec()],
        banner: FIRST,
        bannerLagMs: 1000,
      },
    ];
    if (have('bpftrace')) {
      tools.push({
        name: `bpftrace ${flag === '-C' ? '@[arg0] = count()' : '@ = hist(arg0)'}`,
        cmd: 'bpftrace',
        args: ['-e', `uprobe:${fn} { ${flag === '-C' ? `@[arg0] = ${agg}` : `@ = ${agg}`}; }`],
        banner: /Attaching \d+ probe/,
      });
    }
    if (have('argdist-bpfcc'))
      tools.push({ name: `BCC argdist ${flag}`, cmd: 'argdist-bpfcc', args: ['-i', '1', flag, spec()], banner: FIRST, bannerLagMs: 1000 });
    await benchKernelCost(`argdist ${flag} (${what}) of work_fn's int argument`, tools, 'work', {
      note: 'argdist exec→attached = first interval print − 1 s (approximate for both argdist tools)',
    });
  }
}
