/**
 * Kernel-function probes on a stock kernel (run inside scripts/vm/run.mjs by
 * `npm run test:vm`): funccount with exact counts through the kprobe PMU, tracefs
 * kprobe_events and fentry; kretprobe and fexit through attachTargets; a wildcard with and
 * without -p; and nothing of ours left in kprobe_events or loaded after SIGINT/SIGTERM.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { requireKernel, start, programsLeft, root, lastTable } from '../helpers/kernel.js';
import { buildC } from '../helpers/cbuild.js';
import { kernelConfig } from './kernel-tree.js';
import { startGoWorkload, type GoWorkload } from '../helpers/workloads.js';
import type { ProbeTarget } from '../../src/probes/targets.js';

const N = 500;
const FN = '__x64_sys_umask';
const KPROBE_EVENTS = '/sys/kernel/tracing/kprobe_events';

let exe = '';

/** `kfuncs N`: ready → (N umask, N getppid, N 1-byte reads) → done. */
const startWorkload = (n: number): Promise<GoWorkload> => startGoWorkload(exe, [String(n)]);

function ourKprobeEvents(): string[] {
  return readFileSync(KPROBE_EVENTS, 'utf8')
    .split('\n')
    .filter((l) => l.includes('polytrace_'));
}

const ourPrograms = (): Promise<string[]> => programsLeft(/^(funccount|vmret)/);

/** Run funccount, wait until it is attached, drive the work, stop it with `signal`. */
async function countWhile(args: string[], work: (tool: ReturnType<typeof start>) => Promise<void>, o: { disable?: string; signal?: NodeJS.Signals } = {}) {
  const tool = start('funccount', args, { env: { POLYTRACE_DISABLE: o.disable ?? '' } });
  await tool.waitFor(/Hit Ctrl-C to end\.\n/, 180_000);
  await work(tool);
  tool.child.kill(o.signal ?? 'SIGINT');
  const code = await tool.exited;
  return { code, stdout: tool.stdout, stderr: tool.stderr, pid: tool.child.pid! };
}

describe('kernel functions (VM)', () => {
  beforeAll(() => {
    requireKernel();
    if (!existsSync('/sys/bus/event_source/devices/kprobe')) {
      throw new Error('test/vm needs a kernel with kprobes: run it with npm run test:vm (inside scripts/vm/run.mjs)');
    }
    exe = buildC('kfuncs', readFileSync(join(root, 'test', 'vm', 'workloads', 'kfuncs.c'), 'utf8'), ['-O1']);
  });

  it('kprobe PMU: exact count for one process, one shared program, no tracefs entries', async () => {
    const w = await startWorkload(N);
    let during: string[] = [];
    const r = await countWhile(
      ['-D', '-p', String(w.pid), FN],
      async () => {
        during = ourKprobeEvents();
        await w.go();
      },
      { disable: 'kprobe_multi' },
    );
    await w.end();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/; program funccount_kp\n/);
    expect(r.stdout).toContain(`Tracing 1 functions for "${FN}"... Hit Ctrl-C to end.`);
    expect(lastTable(r.stdout).get(FN)).toBe(N);
    expect(during).toEqual([]);
    expect(await ourPrograms()).toEqual([]);
  });

  it('tracefs kprobe_events (POLYTRACE_DISABLE=kprobe_multi,kprobe_pmu): exact count, tagged entries removed on SIGTERM, stale groups swept', async () => {
    // A group left by a process that no longer exists.
    const dead = spawnSync('true').pid!;
    appendFileSync(KPROBE_EVENTS, `p:polytrace_${dead}/p_stale vfs_read\n`);
    expect(ourKprobeEvents().join('\n')).toContain(`polytrace_${dead}/p_stale`);
    const w = await startWorkload(N);
    let during: string[] = [];
    const r = await countWhile(
      ['-p', String(w.pid), FN],
      async () => {
        during = ourKprobeEvents();
        await w.go();
      },
      { disable: 'kprobe_multi,kprobe_pmu', signal: 'SIGTERM' },
    );
    await w.end();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lastTable(r.stdout).get(FN)).toBe(N);
    expect(during).toEqual([`p:polytrace_${r.pid}/p_${FN} ${FN}`]);
    expect(ourKprobeEvents()).toEqual([]);
    expect(await ourPrograms()).toEqual([]);
  });

  it('fentry (POLYTRACE_DISABLE=kprobe_multi,kprobe_pmu,kprobe_events): exact count through a BPF trampoline', async () => {
    const w = await startWorkload(N);
    const r = await countWhile(['-D', '-p', String(w.pid), FN], () => w.go(), { disable: 'kprobe_multi,kprobe_pmu,kprobe_events' });
    await w.end();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/; program funccount_fe0\n/);
    expect(lastTable(r.stdout).get(FN)).toBe(N);
    expect(await ourPrograms()).toEqual([]);
  });

  it("wildcard 'vfs_*': counts every process without -p, only that process with -p", async () => {
    const a = await startWorkload(N);
    const b = await startWorkload(N);
    const all = await countWhile(['vfs_*'], async () => {
      await a.go();
      await b.go();
    });
    await Promise.all([a.end(), b.end()]);
    expect(all.code).toBe(0);
    const m = /^Tracing (\d+) functions for "vfs_\*"/m.exec(all.stdout);
    expect(Number(m?.[1])).toBeGreaterThan(50);
    expect(lastTable(all.stdout).get('vfs_read')).toBeGreaterThanOrEqual(2 * N);

    const c = await startWorkload(N);
    const d = await startWorkload(N);
    const one = await countWhile(['-p', String(c.pid), 'vfs_*'], async () => {
      await d.go();
      await c.go();
    });
    await Promise.all([c.end(), d.end()]);
    expect(one.code).toBe(0);
    // N reads of /dev/zero, and the read of stdin that waits for 'end' (it starts before we stop).
    expect(lastTable(one.stdout).get('vfs_read')).toBe(N + 1);
    expect(ourKprobeEvents()).toEqual([]);
    expect(await ourPrograms()).toEqual([]);
  });

  /** Count returns from FN in one workload through attachTargets({ ret: true }), with `disable` set. */
  async function countReturns(disable: string) {
    const { attachTargets } = (await import(join(root, 'dist', 'attach', 'targets.js'))) as typeof import('../../src/attach/targets.js');
    const { countProgram, countsMapSpec, decodeCounts } = (await import(
      join(root, 'dist', 'compile', 'tools', 'count.js')
    )) as typeof import('../../src/compile/tools/count.js');
    const { TraceSession } = (await import(join(root, 'dist', 'session.js'))) as typeof import('../../src/session.js');
    const saved = process.env.POLYTRACE_DISABLE;
    process.env.POLYTRACE_DISABLE = disable;
    // The mechanism a kernel function's provider would choose with these features.
    const { haveKprobeMulti } = (await import(join(root, 'dist', 'features', 'probes.js'))) as typeof import('../../src/features/probes.js');
    const mechanism = disable.includes('kprobe_pmu') ? 'fentry' : haveKprobeMulti.available() ? 'kprobe_multi' : 'kprobe';
    const targets: ProbeTarget[] = [{ kind: 'kfunc', symbol: FN, name: FN, mechanism }];
    const session = new TraceSession();
    const names: string[] = [];
    try {
      const w = await startWorkload(N);
      attachTargets(session, targets, {
        ret: true,
        prefix: 'vmret',
        build: (shape) =>
          countProgram({
            name: shape.name,
            progType: shape.progType,
            expectedAttachType: shape.expectedAttachType,
            counts: countsMapSpec(1),
            slot: shape.slot,
            filter: { pid: w.pid },
          }),
        onProgram: (spec) => names.push(spec.name),
      });
      await w.go();
      await w.end();
      const count = decodeCounts(session.maps.get('counts')!.lookup(new Uint8Array(4))!)[0];
      return { count, names, links: session.links.map((l) => l.description) };
    } finally {
      session.dispose();
      if (saved === undefined) delete process.env.POLYTRACE_DISABLE;
      else process.env.POLYTRACE_DISABLE = saved;
    }
  }

  it('kretprobe and fexit through attachTargets({ ret: true })', async () => {
    const kret = await countReturns('kprobe_multi');
    expect(kret.count).toBe(BigInt(N));
    expect(kret.links).toEqual([expect.stringMatching(new RegExp(`^kretprobe:${FN} \\(bpf_link\\)$`))]);
    const fexit = await countReturns('kprobe_multi,kprobe_pmu,kprobe_events');
    expect(fexit.count).toBe(BigInt(N));
    expect(fexit.names).toEqual(['vmret_fx0']);
    expect(fexit.links).toEqual([`fexit:${FN} (bpf_link)`]);
    expect(await ourPrograms()).toEqual([]);
  });

  // Debian's 6.1 has no CONFIG_FPROBE; the bookworm-backports 6.12 that npm run test:vm
  // boots second has it. Either way the tools must pick what the kernel can do.
  it('several functions: one kprobe_multi link with cookies where CONFIG_FPROBE=y, else one PMU kprobe each', async () => {
    const { haveKprobeMulti } = (await import(join(root, 'dist', 'features', 'probes.js'))) as typeof import('../../src/features/probes.js');
    const fprobe = kernelConfig().get('CONFIG_FPROBE') === 'y';
    expect(haveKprobeMulti.available()).toBe(fprobe);
    const w = await startWorkload(N);
    const r = await countWhile(['-D', '-p', String(w.pid), '-r', `(${FN}|vfs_read|no_such_fn_here)$`], () => w.go());
    await w.end();
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(fprobe ? /; program funccount_km\n/ : /; program funccount_kp\n/);
    expect(r.stdout).toContain('Tracing 2 functions for');
    const rows = lastTable(r.stdout);
    expect(rows.get(FN)).toBe(N);
    // N reads of /dev/zero, and the read of stdin that waits for 'end'.
    expect(rows.get('vfs_read')).toBe(N + 1);
    const ret = await countReturns('');
    expect(ret.count).toBe(BigInt(N));
    expect(ret.links).toEqual(fprobe ? [`kretprobe_multi ${FN}`] : [expect.stringMatching(new RegExp(`^kretprobe:${FN} \\(bpf_link\\)$`))]);
    expect(await ourPrograms()).toEqual([]);
  });
});
