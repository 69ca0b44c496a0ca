/**
 * Constants and member aliases without headers (issue 18), on 6.1 and 6.12 (run inside
 * scripts/vm/run.mjs by `npm run test:vm`): each source answers what it should on each kernel
 * (`--dump=resolved` says which), GFP_ATOMIC takes this kernel's value (6.1 still has
 * __GFP_ATOMIC), and the net/sock.h aliases read a real UDP send's socket, the port in
 * network byte order as BCC prints it.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { requireKernel, start, programsLeft, runTool } from '../helpers/kernel.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const six1 = release().startsWith('6.1.');

/** The kernel's kmalloc entry point: `__kmalloc` until 6.10 renamed it `__kmalloc_noprof`. */
function kmallocSymbol(): string {
  const names = new Set(
    readFileSync('/sys/kernel/tracing/available_filter_functions', 'utf8')
      .split('\n')
      .map((l) => l.split(/\s+/)[0]),
  );
  return names.has('__kmalloc') ? '__kmalloc' : '__kmalloc_noprof';
}

/**
 * `--dump=resolved`'s names of the first probe. argdist (-n 1) ends by itself; trace is
 * stopped once its header says it has attached (a SIGINT before that would end it before
 * its handlers are installed).
 */
async function resolvedNames(
  tool: 'trace' | 'argdist',
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<Array<{ name: string; value: string; source: string }>> {
  const t = start(tool, ['--dump=resolved', ...args], env ? { env } : {});
  if (tool === 'trace') {
    await t.waitFor(/^PID/m, 180_000);
    t.child.kill('SIGINT');
  }
  expect(await t.exited).toBe(0);
  const dump = JSON.parse(t.stdout.slice(0, t.stdout.indexOf('\n]\n') + 2)) as Array<{ names?: Array<{ name: string; value: string; source: string }> }>;
  return (dump[0]!.names ?? []).map(({ name, value, source }) => ({ name, value, source }));
}

describe('constants and member aliases (VM)', () => {
  beforeAll(() => requireKernel());

  it('each source: BTF enumerators, GFP names from tracefs (or BTF bits on 6.12), the uapi table', async () => {
    const f = kmallocSymbol();
    const names = await resolvedNames('argdist', [
      '-i',
      '1',
      '-n',
      '1',
      '-C',
      `p::${f}(size_t size, gfp_t flags):u32:flags&GFP_ATOMIC:(flags & __GFP_HIGH) && size != O_CREAT + SOCK_STREAM`,
    ]);
    const by = new Map(names.map((n) => [n.name, n]));
    expect(by.get('GFP_ATOMIC')).toEqual({ name: 'GFP_ATOMIC', value: six1 ? '0xa20' : '0x820', source: 'kernel print formats (tracefs kmem/kmalloc)' });
    expect(by.get('__GFP_HIGH')).toEqual(
      six1
        ? { name: '__GFP_HIGH', value: '0x20', source: 'kernel print formats (tracefs kmem/kmalloc)' }
        : { name: '__GFP_HIGH', value: '0x20', source: 'kernel BTF (1 << ___GFP_HIGH_BIT)' },
    );
    expect(by.get('O_CREAT')).toEqual({ name: 'O_CREAT', value: '0x40', source: 'uapi table (asm-generic/fcntl.h, x64)' });
    expect(by.get('SOCK_STREAM')).toEqual({ name: 'SOCK_STREAM', value: '0x1', source: 'kernel BTF (enum sock_type)' });
  });

  it("argdist -C 'p::__kmalloc(size_t size, gfp_t flags):gfp_t:flags&GFP_ATOMIC': every key is within this kernel's GFP_ATOMIC", async () => {
    const f = kmallocSymbol();
    const atomic = six1 ? 0xa20 : 0x820;
    const r = await runTool('argdist', ['-i', '1', '-n', '2', '-C', `p::${f}(size_t size, gfp_t flags):gfp_t:flags&GFP_ATOMIC`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const keys = [...r.stdout.matchAll(/^\s*(\d+)\s+flags&GFP_ATOMIC = (\d+)$/gm)].map((m) => Number(m[2]));
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k & ~atomic).toBe(0);
  });

  it('kernel headers: TASK_UNINTERRUPTIBLE and PAGE_SIZE from the installed headers of this kernel, else one line that says where it looked', async () => {
    const dir = `/usr/src/linux-headers-${release()}`;
    const args = ['-n', 'nothing', 'r::do_nanosleep() "%d %d", TASK_UNINTERRUPTIBLE, PAGE_SIZE'];
    if (existsSync(dir)) {
      const names = await resolvedNames('trace', args, { ...process.env, POLYTRACE_KERNEL_HEADERS: dir });
      expect(names.map((n) => [n.name, n.value])).toEqual([
        ['TASK_UNINTERRUPTIBLE', '0x2'],
        ['PAGE_SIZE', '0x1000'],
      ]);
      expect(names[0]!.source).toMatch(/^kernel headers \(\/usr\/src\/linux-headers-[^/]+\/include\/linux\/sched\.h:\d+\)$/);
      expect(names[1]!.source).toMatch(/^kernel headers \(\/usr\/src\/linux-headers-[^/]+\/arch\/x86\/include\/asm\/page_types\.h:\d+\)$/);
    } else {
      const r = await runTool('trace', args);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')[0]).toBe(
        `trace: unknown name 'TASK_UNINTERRUPTIBLE': no parameter or constant of that name (looked in kernel BTF, kernel print formats (tracefs kmem/kmalloc), uapi table, kernel headers: no kernel headers at /lib/modules/${release()}/build)`,
      );
    }
  });

  it("trace 'udp_sendmsg(struct sock *sk) (sk->sk_dport == N)': the sock.h aliases on a real send, the port in network byte order", async () => {
    const port = 41000; // 0xa028: network byte order reads 0x28a0 = 10400 on x86-64
    const t = start('trace', [
      '-n',
      'node',
      `udp_sendmsg(struct sock *sk) (sk->sk_dport == 10400) "%d %d %d %d", sk->sk_dport, sk->sk_family == AF_INET, sk->sk_state, ((struct inet_sock *)sk)->inet_dport`,
    ]);
    await t.waitFor(/^PID/m, 120_000);
    execFileSync(process.execPath, [
      '-e',
      `const s = require('node:dgram').createSocket('udp4'); s.connect(${port}, '127.0.0.1', async () => { for (let i = 0; i < 5; i++) await new Promise((r) => s.send('x', r)); s.close(); });`,
    ]);
    for (let i = 0; i < 50 && (t.stdout.match(/udp_sendmsg/g) ?? []).length < 5; i++) await sleep(100);
    t.child.kill('SIGINT');
    expect(await t.exited).toBe(0);
    const msgs = t.stdout
      .split('\n')
      .filter((l) => l.includes('udp_sendmsg'))
      .map((l) => l.replace(/^.*udp_sendmsg\s+/, ''));
    // TCP_ESTABLISHED (1): a connected UDP socket
    expect(msgs).toEqual(Array(5).fill('10400 1 1 10400'));
    expect(await programsLeft(/^trace_\d+_\d+$/)).toEqual([]);
  });
});
