/**
 * What the tools say when a probe names nothing (issue 16): the probe kind's word, where it was
 * looked for, and the nearest names there — for patterns (funccount, stackcount, funclatency)
 * and exact names (trace, argdist), on the fixture host.
 */
import { describe, expect, it } from 'vitest';
import { planPattern } from '../../../src/pipeline/pattern.js';
import { resolveProbe } from '../../../src/probes/registry.js';
import { ResolveError, TracerError } from '../../../src/errors.js';
import { FIXTURE_TRACEFS, fixtureHost } from '../../helpers/probe-host.js';
import type { ProbeHost } from '../../../src/probes/host.js';
import type { PatternTool } from '../../../src/specs/ast.js';

const node = process.execPath;
const libstdcxx = '/usr/lib/x86_64-linux-gnu/libstdc++.so.6';

/** The error `f` throws: its message and hints. */
function thrown(f: () => unknown): { message: string; hints: readonly string[] } {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TracerError);
    return { message: (e as TracerError).message, hints: (e as TracerError).hints };
  }
  throw new Error('did not throw');
}

const pattern = (text: string, host: ProbeHost, tool: PatternTool = 'funccount') => thrown(() => planPattern(text, tool, { regex: false }, host));

describe('a pattern that matched nothing', () => {
  it('t:sched:nosuch: tracepoints, tracefs, the events of that category', () => {
    expect(pattern('t:sched:nosuch', fixtureHost())).toEqual({
      message: `No tracepoints matched by pattern sched:nosuch in ${FIXTURE_TRACEFS}/events`,
      hints: ['did you mean sched:sched_switch or sched:sched_process_exec?', "list them with 'polytrace list t:sched:*'"],
    });
    expect(pattern('t:sched:sched_swich', fixtureHost()).hints[0]).toBe('did you mean sched:sched_switch?');
    // An unknown category: the listing of every tracepoint.
    expect(pattern('t:nosuch:nosuch', fixtureHost()).hints).toEqual(["list them with 'polytrace list t:*'"]);
  });

  it('u:LIB:nosuch: USDT probes, the library, its probes', () => {
    expect(pattern(`u:${libstdcxx}:thorw`, fixtureHost())).toEqual({
      message: `No USDT probes matched by pattern thorw in ${libstdcxx}`,
      hints: ['did you mean throw?', `list them with 'polytrace list usdt:${libstdcxx}:*'`],
    });
    expect(pattern(`u:${libstdcxx}:nosuch`, fixtureHost()).message).toBe(`No USDT probes matched by pattern nosuch in ${libstdcxx}`);
  });

  it('LIB:nosuch: functions, the file, its functions', () => {
    const r = pattern(`${node}:napi_create_int33`, fixtureHost(), 'stackcount');
    expect(r.message).toBe(`No functions matched by pattern napi_create_int33 in ${node}`);
    expect(r.hints).toEqual(['did you mean napi_create_int32, napi_create_int64 or napi_create_uint32?', `list them with 'polytrace list uprobe:${node}:*'`]);
  });

  it('a kernel function: kernel functions, the list read, nearest names', () => {
    expect(pattern('vfs_raed', fixtureHost({ mechanism: 'kprobe' }), 'funclatency')).toEqual({
      message: `0 kernel functions matched by "vfs_raed" in ${FIXTURE_TRACEFS}/available_filter_functions. Exiting.`,
      hints: ['did you mean vfs_read?', "list them with 'polytrace list kprobe:vfs_*'"],
    });
  });

  it('rt:nosuch: raw tracepoints, kernel BTF (or tracefs), nearest names', () => {
    expect(pattern('rt:sched_kthread_stop_re', fixtureHost({ rawTracepoints: true }))).toEqual({
      message: 'No raw tracepoints matched by pattern sched_kthread_stop_re in kernel BTF',
      hints: ['did you mean sched_kthread_stop_ret?', "list them with 'polytrace list rawtracepoint:*'"],
    });
    expect(pattern('rt:sched_swich', fixtureHost({ rawTracepoints: true, btf: false })).message).toBe(
      'No raw tracepoints matched by pattern sched_swich in tracefs',
    );
  });
});

describe('an exact name that is missing (trace, argdist)', () => {
  it('a tracepoint: where, and the nearest events', () => {
    const r = thrown(() => resolveProbe({ type: 't', library: '', name: 'sched:sched_swich', match: 'exact' }, fixtureHost()));
    expect(r).toEqual({
      message: `tracepoint sched:sched_swich does not exist in ${FIXTURE_TRACEFS}/events`,
      hints: ['did you mean sched:sched_switch?', "list them with 'polytrace list t:sched:*'"],
    });
  });

  it('a user function and a USDT probe: the nearest names in the file', () => {
    expect(thrown(() => resolveProbe({ type: 'p', library: node, name: 'napi_create_int33', match: 'exact' }, fixtureHost()))).toEqual({
      message: `could not determine address of symbol napi_create_int33 in ${node}`,
      hints: ['did you mean napi_create_int32, napi_create_int64 or napi_create_uint32?', `list them with 'polytrace list uprobe:${node}:*'`],
    });
    expect(thrown(() => resolveProbe({ type: 'u', library: libstdcxx, name: 'rethorw', match: 'exact' }, fixtureHost()))).toEqual({
      message: `unrecognized USDT probe rethorw in ${libstdcxx}`,
      hints: ['did you mean rethrow?', `list them with 'polytrace list usdt:${libstdcxx}:*'`],
    });
    // With its provider, the names are provider:probe.
    expect(thrown(() => resolveProbe({ type: 'u', library: libstdcxx, provider: 'libstdcxx', name: 'thorw', match: 'exact' }, fixtureHost())).hints[0]).toBe(
      'did you mean libstdcxx:throw or libstdcxx:rethrow?',
    );
  });

  it('a kernel function: where it was looked for, and the nearest names', () => {
    const r = thrown(() => resolveProbe({ type: 'p', library: '', name: 'vfs_wirte', match: 'exact' }, fixtureHost({ mechanism: 'kprobe' })));
    expect(r.message).toBe(`cannot attach to kernel function vfs_wirte: it is not traceable (not in ${FIXTURE_TRACEFS}/available_filter_functions)`);
    expect(r.hints).toEqual(['did you mean vfs_write?', "list them with 'polytrace list kprobe:vfs_*'"]);
  });

  it('is a ResolveError', () => {
    expect(() => resolveProbe({ type: 't', library: '', name: 'sched:nosuch', match: 'exact' }, fixtureHost())).toThrow(ResolveError);
  });
});
