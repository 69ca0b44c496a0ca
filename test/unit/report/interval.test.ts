/** report/interval.ts: the one interval loop, driven by a fake clock (no timers, no signals). */
import { describe, it, expect } from 'vitest';
import { runIntervals, intervalMs, type IntervalClock, type IntervalPolicy } from '../../../src/report/interval.js';
import type { StopReason } from '../../../src/report/lifecycle.js';

type Wake = 'timeout' | StopReason;

/**
 * A clock whose sleeps end as `script` says (then 'timeout' forever, up to a bound); a stop
 * is remembered as lifecycle's is. `during` runs code while a given sleep is pending.
 */
function fakeClock(script: Wake[] = []) {
  const sleeps: number[] = [];
  let stop: StopReason | undefined;
  const clock: IntervalClock & { stop(r: StopReason): void } = {
    sleep: async (ms) => {
      sleeps.push(ms);
      if (sleeps.length > 1000) throw new Error('runaway loop');
      if (stop) return stop;
      const r = script.shift() ?? 'timeout';
      if (r !== 'timeout') stop = r;
      return r;
    },
    stopped: () => stop,
    stop: (r) => {
      stop = r;
    },
  };
  return { clock, sleeps };
}

/** Handlers that log what the loop does; `read` returns the interval's number. */
function recorder(onRead?: (n: number) => void) {
  const log: string[] = [];
  let n = 0;
  return {
    log,
    handlers: {
      read: () => {
        n++;
        log.push(`read ${n}`);
        onRead?.(n);
        return n;
      },
      print: async (d: number) => {
        log.push(`print ${d}`);
      },
      quiet: () => {
        log.push('quiet');
      },
    },
  };
}

async function run(policy: IntervalPolicy, script: Wake[], onRead?: (n: number, clock: { stop(r: StopReason): void }) => void) {
  const { clock, sleeps } = fakeClock(script);
  const r = recorder(onRead && ((n) => onRead(n, clock)));
  const end = await runIntervals(policy, r.handlers, clock);
  return { end, log: r.log, sleeps };
}

describe('interval loop', () => {
  it('no -i and no -d: one report, at Ctrl-C (BCC\'s 99999999 s "forever")', async () => {
    const r = await run({ onSignal: 'report' }, ['signal']);
    expect(r.sleeps).toEqual([99999999_000]);
    expect(r.log).toEqual(['read 1', 'print 1']);
    expect(r.end).toBe('last');
  });

  it('-d only: one report after the duration', async () => {
    const r = await run({ duration: 3, onSignal: 'report' }, []);
    expect(r.sleeps).toEqual([3000]);
    expect(r.log).toEqual(['read 1', 'print 1']);
    expect(r.end).toBe('last');
  });

  it('-i 2 -d 5: reports every 2 s until the elapsed time reaches 5 s (3 reports, as BCC)', async () => {
    const r = await run({ interval: 2, duration: 5, onSignal: 'report' }, []);
    expect(r.sleeps).toEqual([2000, 2000, 2000]);
    expect(r.log.filter((l) => l.startsWith('print'))).toEqual(['print 1', 'print 2', 'print 3']);
    expect(r.end).toBe('last');
  });

  it('an interval longer than the duration is cut to it (issue 20: -i 99999999 -d 1 never ended)', async () => {
    const r = await run({ interval: 99999999, duration: 1, onSignal: 'report' }, []);
    expect(r.sleeps).toEqual([1000]);
    expect(r.log).toEqual(['read 1', 'print 1']);
    expect(r.end).toBe('last');
  });

  it('-i without -d runs until a stop', async () => {
    const r = await run({ interval: 1, onSignal: 'report' }, ['timeout', 'timeout', 'timeout', 'timeout', 'signal']);
    expect(r.log.filter((l) => l.startsWith('print'))).toHaveLength(5);
  });

  it('argdist -n 2: two reports', async () => {
    const r = await run({ interval: 1, count: 2, onSignal: 'quiet' }, []);
    expect(r.log).toEqual(['read 1', 'print 1', 'read 2', 'print 2']);
    expect(r.end).toBe('last');
  });

  it('Ctrl-C during a sleep: the partial interval is the last report (funccount, funclatency, stackcount)', async () => {
    const r = await run({ interval: 1, onSignal: 'report' }, ['timeout', 'timeout', 'signal']);
    expect(r.log).toEqual(['read 1', 'print 1', 'read 2', 'print 2', 'read 3', 'print 3']);
    expect(r.end).toBe('last');
  });

  it('Ctrl-C during a sleep, quiet (argdist): no last report, but quiet() says what was dropped', async () => {
    const r = await run({ interval: 1, onSignal: 'quiet' }, ['timeout', 'timeout', 'signal']);
    expect(r.log).toEqual(['read 1', 'print 1', 'read 2', 'print 2', 'quiet']);
    expect(r.end).toBe('quiet');
  });

  it('the -p process exiting prints the partial interval as the last report, quiet or not', async () => {
    for (const onSignal of ['report', 'quiet'] as const) {
      const r = await run({ interval: 1, onSignal }, ['timeout', 'exited']);
      expect(r.log).toEqual(['read 1', 'print 1', 'read 2', 'print 2']);
      expect(r.end).toBe('last');
    }
  });

  it('a signal while an interval is read: that interval prints, the next sleep ends at once', async () => {
    const r = await run({ interval: 1, onSignal: 'report' }, [], (n, c) => n === 2 && c.stop('signal'));
    expect(r.log).toEqual(['read 1', 'print 1', 'read 2', 'print 2', 'read 3', 'print 3']);
    const q = await run({ interval: 1, onSignal: 'quiet' }, [], (n, c) => n === 2 && c.stop('signal'));
    expect(q.log).toEqual(['read 1', 'print 1', 'read 2', 'print 2', 'quiet']);
  });

  it('stdout closed during a sleep: stops silently, nothing more read or said (every tool)', async () => {
    for (const onSignal of ['report', 'quiet'] as const) {
      const r = await run({ interval: 1, onSignal }, ['timeout', 'epipe']);
      expect(r.log).toEqual(['read 1', 'print 1']);
      expect(r.end).toBe('epipe');
    }
  });

  it('stdout closed while an interval is read: it is not printed', async () => {
    const r = await run({ interval: 1, onSignal: 'report' }, [], (n, c) => n === 2 && c.stop('epipe'));
    expect(r.log).toEqual(['read 1', 'print 1', 'read 2']);
    expect(r.end).toBe('epipe');
  });

  it('steps (stackcount): the interval slept in steps, tick after each full step', async () => {
    const { clock, sleeps } = fakeClock();
    const ticks: number[] = [];
    const r = recorder();
    const end = await runIntervals(
      { interval: 1, duration: 2, onSignal: 'report', step: { ms: 400, tick: () => ticks.push(sleeps.length) } },
      r.handlers,
      clock,
    );
    expect(sleeps).toEqual([400, 400, 200, 400, 400, 200]);
    expect(ticks).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.log).toEqual(['read 1', 'print 1', 'read 2', 'print 2']);
    expect(end).toBe('last');
  });

  it('steps: a signal in the middle of an interval ends it there', async () => {
    const { clock, sleeps } = fakeClock(['timeout', 'signal']);
    const ticks: number[] = [];
    const r = recorder();
    await runIntervals({ interval: 1, onSignal: 'report', step: { ms: 400, tick: () => ticks.push(1) } }, r.handlers, clock);
    expect(sleeps).toEqual([400, 400]);
    expect(ticks).toHaveLength(1);
    expect(r.log).toEqual(['read 1', 'print 1']);
  });

  it('intervalMs: -i, else -d, else forever', () => {
    expect(intervalMs({ interval: 2, duration: 10 })).toBe(2000);
    expect(intervalMs({ duration: 10 })).toBe(10_000);
    expect(intervalMs({})).toBe(99999999_000);
  });
});
