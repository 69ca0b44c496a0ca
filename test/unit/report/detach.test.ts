/**
 * report/detach.ts: releasing many slow links at the end of a run, with a fake clock (each
 * close takes `ms`), a fake stderr and signals delivered between closes — no kernel, no timers.
 */
import { describe, it, expect } from 'vitest';
import { closeSlowly, type DetachIo } from '../../../src/report/detach.js';

/** `n` links whose close advances the clock by `ms`; `signalsAt` lists close counts after which a Ctrl-C arrives. */
function scene(n: number, ms: number, o: { tty?: boolean; signalsAt?: number[]; failAt?: number } = {}) {
  let t = 0;
  let closed = 0;
  let handler: (() => void) | undefined;
  let removed = false;
  const out: string[] = [];
  const io: DetachIo = {
    write: (text) => void out.push(text),
    tty: !!o.tty,
    now: () => t,
    pause: async () => {
      for (const at of o.signalsAt ?? []) if (at === closed) handler?.();
    },
    onSignal: (h) => {
      handler = h;
      return () => {
        removed = true;
        handler = undefined;
      };
    },
  };
  const links = Array.from({ length: n }, (_, i) => ({
    close: () => {
      t += ms;
      closed++;
      if (i === o.failAt) throw new Error('EBADF');
    },
  }));
  return { io, links, out, closedCount: () => closed, removed: () => removed };
}

describe('closeSlowly', () => {
  it('a few fast links: closed in silence, and the signal handler is removed', async () => {
    const s = scene(5, 2);
    await closeSlowly(s.links, s.io);
    expect(s.closedCount()).toBe(5);
    expect(s.out).toEqual([]);
    expect(s.removed()).toBe(true);
  });

  it('361 kprobes at 100 ms each, to a pipe: said at once, a line every 5 s, the time at the end', async () => {
    const s = scene(361, 100);
    await closeSlowly(s.links, s.io);
    expect(s.out[0]).toBe('Detaching 361 probes…\n');
    expect(s.out.slice(1, 3)).toEqual(['detached 50 of 361 probes (5.0 s)\n', 'detached 100 of 361 probes (10 s)\n']);
    expect(s.out.at(-2)).toBe('detached 350 of 361 probes (35 s)\n');
    expect(s.out.at(-1)).toBe('detached 361 of 361 probes in 36 s\n');
    expect(s.out).toHaveLength(1 + 7 + 1);
  });

  it('to a terminal: one live line, rewritten at most every 100 ms, ended with the time', async () => {
    const s = scene(30, 50, { tty: true });
    await closeSlowly(s.links, s.io);
    expect(s.out[0]).toBe('\r\x1b[KDetaching 30 probes… 0/30');
    expect(s.out[1]).toBe('\r\x1b[KDetaching 30 probes… 2/30');
    expect(s.out.every((l) => l.startsWith('\r\x1b[KDetaching 30 probes… '))).toBe(true);
    expect(s.out.at(-1)).toBe('\r\x1b[KDetaching 30 probes… 30/30, done in 1.5 s\n');
    expect(s.out.filter((l) => l.includes('\n'))).toHaveLength(1);
  });

  it('a set estimated under a second that takes longer is announced when a second has passed', async () => {
    const s = scene(10, 300);
    await closeSlowly(s.links, s.io);
    expect(s.out).toEqual(['Detaching 10 probes…\n', 'detached 10 of 10 probes in 3.0 s\n']);
  });

  it('a Ctrl-C meanwhile is answered with why it waits; a third with why exiting would not help', async () => {
    const s = scene(361, 100, { signalsAt: [10, 20] });
    await closeSlowly(s.links, s.io);
    expect(s.out.slice(0, 3)).toEqual([
      'Detaching 361 probes…\n',
      'still detaching: the kernel is releasing 351 more probes, one RCU grace period each; this ends by itself\n',
      'still detaching 341 more probes: exiting now would not be quicker (the kernel would release the same probes before the process could end)\n',
    ]);
    expect(s.closedCount()).toBe(361);
  });

  it('on a terminal the answer goes above the live line, which is drawn again', async () => {
    const s = scene(30, 50, { tty: true, signalsAt: [1] });
    await closeSlowly(s.links, s.io);
    expect(s.out[1]).toBe(
      '\r\x1b[Kstill detaching: the kernel is releasing 29 more probes, one RCU grace period each; this ends by itself\n\x1b[KDetaching 30 probes… 1/30',
    );
  });

  it('a Ctrl-C before anything was said says both', async () => {
    const s = scene(3, 10, { signalsAt: [1] });
    await closeSlowly(s.links, s.io);
    expect(s.out).toEqual([
      'Detaching 3 probes…\n',
      'still detaching: the kernel is releasing 2 more probes, one RCU grace period each; this ends by itself\n',
      'detached 3 of 3 probes in 0.0 s\n',
    ]);
  });

  it('a link that fails to close does not stop the others', async () => {
    const s = scene(4, 1, { failAt: 1 });
    await closeSlowly(s.links, s.io);
    expect(s.closedCount()).toBe(4);
    expect(s.removed()).toBe(true);
  });
});
