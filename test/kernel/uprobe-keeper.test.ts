/**
 * The uprobe keeper (src/attach/keeper.ts) on the host, in the ways that are safe here: it
 * holds the tool's uprobe link (the tool holds none), runs in a session of its own, and exits
 * after the tool — on SIGINT, and on a SIGKILL while tracing (the kernel then releases the
 * link in the keeper, not in the dying tool). Without it (POLYTRACE_DISABLE=uprobe_keeper)
 * the tool holds the link itself. Kills during attach or detach run in the VM only
 * (test/vm/uprobe-sigkill.test.ts): on the host a leaked uprobe stays until reboot.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { skipKernel, start, type Running } from '../helpers/kernel.js';
import { Sampler, heldBy, isKeeper, keeperOf } from '../soak/kernel-state.js';

const sessionOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[3]);

async function tracing(env: NodeJS.ProcessEnv = {}): Promise<{ t: Running; sampler: Sampler }> {
  const t = start('funccount', ['c:malloc'], { env });
  const sampler = new Sampler(t.child.pid!);
  await t.waitFor('Tracing');
  return { t, sampler };
}

describe.skipIf(skipKernel)('uprobe keeper (kernel)', () => {
  it('holds the uprobe link in a session of its own, and exits after the tool', async () => {
    const { t, sampler } = await tracing();
    const pid = t.child.pid!;
    const keeper = keeperOf(pid);
    expect(keeper).toBeDefined();
    expect(heldBy(pid).link.size).toBe(0);
    expect(heldBy(keeper!).link.size).toBe(1);
    expect(sessionOf(keeper!)).toBe(keeper);
    expect(sessionOf(keeper!)).not.toBe(sessionOf(pid));
    t.child.kill('SIGINT');
    expect(await t.exited).toBe(0);
    expect(await sampler.leftovers()).toEqual([]);
    expect(isKeeper(keeper!, pid)).toBe(false);
  });

  it('a tool SIGKILLed while tracing: its keeper releases the link and exits', async () => {
    const { t, sampler } = await tracing();
    const keeper = keeperOf(t.child.pid!);
    expect(keeper).toBeDefined();
    t.child.kill('SIGKILL');
    expect(await t.exited).toBe('SIGKILL');
    expect(await sampler.leftovers()).toEqual([]);
  });

  it('POLYTRACE_DISABLE=uprobe_keeper: no keeper, the tool holds the link', async () => {
    const { t, sampler } = await tracing({ POLYTRACE_DISABLE: 'uprobe_keeper' });
    const pid = t.child.pid!;
    expect(keeperOf(pid)).toBeUndefined();
    expect(heldBy(pid).link.size).toBe(1);
    t.child.kill('SIGINT');
    expect(await t.exited).toBe(0);
    expect(await sampler.leftovers()).toEqual([]);
  });
});
