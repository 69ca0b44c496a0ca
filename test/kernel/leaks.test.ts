/**
 * No leaked kernel state: every tool, on every probe kind it takes here (tracepoint, uprobe,
 * USDT; kernel functions run in the VM), ended every way a tool can end — SIGINT, SIGTERM,
 * SIGHUP, SIGKILL, its stdout pipe closed after the first line (`| head -1`), the traced
 * process exiting (`-p`), and an exception thrown inside output code — leaves no BPF program,
 * no link and no polytrace tracefs entry behind, and exits the way the ending calls for.
 *
 * The five tools run concurrently; each case is watched by a Sampler that reads the tool's own
 * fds, so the check after exit asks about exactly the programs, links and maps it held.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { requireKernel, skipKernel } from '../helpers/kernel.js';
import { counterWorkload } from '../helpers/workloads.js';
import { PYTHON, runLeakCases, selectedTools, type LeakCase, type Tool } from '../helpers/leak-matrix.js';
import { tracefsEntries } from '../soak/kernel-state.js';

/** Every tool's probes, per host probe kind. */
function cases(tool: Tool, lib: string): LeakCase[] {
  // funccount and stackcount count tracepoints at raw tracepoints (syscalls:* at raw sys_enter);
  // POLYTRACE_DISABLE=raw_tracepoint forces the perf events that trace and argdist use.
  const tp = (probe: string[]): LeakCase => ({ tool, kind: 'tracepoint', probe, target: 'counter' });
  const tpPerf = (probe: string[]): LeakCase => ({
    tool,
    kind: 'tracepoint (perf event)',
    probe,
    target: 'counter',
    env: { POLYTRACE_DISABLE: 'raw_tracepoint' },
  });
  const up = (probe: string[]): LeakCase => ({ tool, kind: 'uprobe', probe, target: 'counter' });
  const usdt = (probe: string[]): LeakCase => ({ tool, kind: 'usdt', probe, target: 'python' });
  switch (tool) {
    case 'funccount':
      return [
        tp(['t:syscalls:sys_enter_getpid']),
        tp(['t:sched:sched_switch']),
        tpPerf(['t:syscalls:sys_enter_getpid']),
        up([`${lib}:pt_f*`]),
        usdt([`u:${PYTHON}:function__entry`]),
      ];
    case 'funclatency':
      return [up([`${lib}:pt_f0`])];
    case 'stackcount':
      // -K: user stacks of every process on this busy tracepoint take many seconds to symbolise.
      return [
        tp(['-K', 't:syscalls:sys_enter_getpid']),
        tpPerf(['-K', 't:syscalls:sys_enter_getpid']),
        up([`${lib}:pt_f0`]),
        usdt([`u:${PYTHON}:function__entry`]),
      ];
    case 'trace':
      return [tp(['t:syscalls:sys_enter_getpid']), up([`p:${lib}:pt_f0`]), usdt([`u:${PYTHON}:function__entry`])];
    case 'argdist':
      return [tp(['-C', 't:syscalls:sys_enter_getpid()']), up(['-C', `p:${lib}:pt_f0()`]), usdt(['-C', `u:${PYTHON}:function__entry()`])];
  }
}

describe.skipIf(skipKernel)('no leaked kernel state (kernel)', () => {
  let lib = '';
  beforeAll(() => {
    requireKernel();
    lib = counterWorkload().lib;
    expect(tracefsEntries()).toEqual([]);
  });

  describe.concurrent('every tool, probe kind and ending', () => {
    for (const tool of selectedTools()) {
      it(tool, async () => {
        const { ran, failures } = await runLeakCases(cases(tool, lib));
        expect(ran).toBeGreaterThan(0);
        expect(failures).toBe('');
      }, 400_000);
    }
  });
});
