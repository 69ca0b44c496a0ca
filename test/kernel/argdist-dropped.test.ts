/**
 * A full frequency map counts what it could not store: the argdist program with a two-entry
 * map over three distinct keys (16 ×100, 32 ×50, 4096 ×7) stores the first two and counts
 * every update of the third in `ad_dropped`.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { skipKernel, requireKernel, root } from '../helpers/kernel.js';
import { buildC } from '../helpers/cbuild.js';
import { plan, resolveProbe, decodeFreq } from '../../src/multitools/argdist-plan.js';
import { argdistProgram, compileArgdist, droppedMapSpec, freqMapSpec } from '../../src/compile/tools/argdist.js';
import { attachTargets } from '../../src/attach/targets.js';
import { TraceSession } from '../../src/session.js';

describe.skipIf(skipKernel)('argdist dropped updates (kernel)', () => {
  let exe = '';
  beforeAll(() => {
    requireKernel();
    exe = buildC('argwork', readFileSync(join(root, 'test', 'kernel', 'workloads', 'argwork.c'), 'utf8'), ['-O1']);
  });

  it('counts every update a full map refused', async () => {
    const p = plan({ counts: [`p:${exe}:take_size(size_t n):size_t:n`], histograms: [], stringSize: 80 }).probes[0]!;
    const resolved = resolveProbe(p, undefined)[0]!;
    const session = new TraceSession();
    try {
      const freq = freqMapSpec(0, p.layout.size, 2);
      const dropped = droppedMapSpec(1);
      attachTargets(session, [resolved.target], {
        prefix: 'argdist_t',
        build: (shape) =>
          argdistProgram({
            kind: 'freq',
            name: shape.name,
            progType: shape.progType,
            expectedAttachType: shape.expectedAttachType,
            index: 0,
            layout: p.layout,
            freq,
            dropped,
            filter: {},
            lower: compileArgdist({ ast: p.ast, types: p.types, site: resolved.site, stringSize: 80, prefix: 'ad0' }).lower,
          }),
      });
      const w = spawn(exe, []);
      let out = '';
      w.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      await new Promise<void>((resolve) => {
        const check = () => (out.includes('done') ? resolve() : setTimeout(check, 10));
        w.stdin.write('sizes\nend\n');
        check();
      });
      const rows = decodeFreq(p, session.maps.get(freq.name)!.entries());
      expect(rows.map((r) => [r.values[0], r.count])).toEqual(
        expect.arrayContaining([
          [16n, 100n],
          [32n, 50n],
        ]),
      );
      const dm = session.maps.get(dropped.name)!;
      expect(dm.sumU64(dm.lookup(new Uint8Array(4))!)).toBe(7n);
    } finally {
      session.dispose();
    }
  });
});
