/**
 * Constants and member aliases through the real CLI on this host's kernel (issue 18): uapi
 * names in a tracepoint predicate (O_CREAT on a file the test creates), the net/sock.h aliases
 * on a real TCP connect (rawtracepoint inet_sock_set_state: its sock's sk_dport, in network
 * byte order as BCC prints it), BTF enumerators (TCP_SYN_SENT), kernel headers
 * (POLYTRACE_KERNEL_HEADERS at the fixture build directory), a -I header's constants, and
 * the one-line message for a name no source has.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipKernel, requireKernel, start, runTool, programsLeft, root } from '../helpers/kernel.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FIXTURE_KERNEL = join(root, 'fixtures/headers/kernel');

/** trace's event messages (what follows the FUNC column). */
function messages(stdout: string, func: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.includes(` ${func} `))
    .map((l) => l.slice(l.indexOf(` ${func} `) + func.length + 2).trim());
}

/** Run trace around `work`, until `want` events have printed (at most 10 s), then stop it. */
async function traceAround(args: string[], work: () => Promise<void> | void, func: string, want: number, env?: NodeJS.ProcessEnv) {
  const t = start('trace', args, env ? { env } : {});
  try {
    await t.waitFor(/^PID/m, 60_000);
    await work();
    for (let i = 0; i < 100 && messages(t.stdout, func).length < want; i++) await sleep(100);
    await sleep(200);
    t.child.kill('SIGINT');
    expect(await t.exited).toBe(0);
    return { stdout: t.stdout, stderr: t.stderr };
  } finally {
    if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGKILL');
  }
}

describe.skipIf(skipKernel)('constants and member aliases (kernel)', () => {
  let dir = '';
  beforeAll(() => {
    requireKernel();
    dir = mkdtempSync(join(tmpdir(), 'polytrace-consts-'));
    return () => rmSync(dir, { recursive: true, force: true });
  });

  it('trace t:syscalls:sys_enter_openat with O_CREAT, O_WRONLY, O_TRUNC (uapi table) and TASK_KILLABLE (kernel headers)', async () => {
    const file = join(dir, 'created');
    const r = await traceAround(
      [
        `t:syscalls:sys_enter_openat ((args->flags & O_CREAT) && STRCMP("${file}", args->filename)) "%d %d %d", args->flags & O_CREAT, args->flags & (O_WRONLY | O_TRUNC), TASK_KILLABLE`,
      ],
      () => {
        // Created once (O_CREAT), then opened for reading: one event.
        execFileSync(process.execPath, [
          '-e',
          `const fs = require('node:fs'); fs.writeFileSync(${JSON.stringify(file)}, 'x'); fs.readFileSync(${JSON.stringify(file)});`,
        ]);
      },
      'sys_enter_openat',
      1,
      { ...process.env, POLYTRACE_KERNEL_HEADERS: FIXTURE_KERNEL },
    );
    // Other processes' file names may not be paged in when STRCMP reads them: counted, not fatal.
    expect(r.stderr).toMatch(/^(\d+ reads? of user memory failed\n)*$/);
    expect(messages(r.stdout, 'sys_enter_openat')).toEqual(['64 513 258']);
    expect(await programsLeft(/^trace_\d+_\d+$/)).toEqual([]);
  });

  it('rawtracepoint inet_sock_set_state: sk->sk_dport and inet_dport (aliases) on a TCP connect, in network byte order', async () => {
    const server = createServer((s) => s.destroy());
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as { port: number }).port;
    const be = ((port & 0xff) << 8) | (port >> 8);
    try {
      const r = await traceAround(
        [
          `rt:inet_sock_set_state (args->sk->sk_dport == ${be} && args->newstate == TCP_SYN_SENT) "%d %d %d %d", args->sk->sk_dport, ((struct inet_sock *)args->sk)->inet_dport, args->sk->sk_family == AF_INET, args->sk->sk_state == TCP_CLOSE`,
        ],
        () =>
          new Promise<void>((res, rej) => {
            const c = connect(port, '127.0.0.1', () => {
              c.end();
              res();
            });
            c.on('error', rej);
          }),
        'inet_sock_set_state',
        1,
      );
      expect(r.stderr).toBe('');
      // The state changes after the tracepoint: the sock is still TCP_CLOSE when it fires.
      expect(messages(r.stdout, 'inet_sock_set_state')).toEqual([`${be} ${be} 1 1`]);
    } finally {
      server.close();
    }
  });

  it('--dump=resolved says which source answered each name; -I adds a header of constants', async () => {
    const t = start(
      'trace',
      [
        '--dump=resolved',
        '-I',
        join(root, 'fixtures/headers/user.h'),
        't:syscalls:sys_enter_close (args->fd == APP_MAGIC) "%d %d %d %d", SOCK_STREAM, EAGAIN, TASK_RUNNING, APP_FLAGS',
      ],
      { env: { ...process.env, POLYTRACE_KERNEL_HEADERS: FIXTURE_KERNEL } },
    );
    await t.waitFor(/^PID/m, 60_000);
    t.child.kill('SIGINT');
    expect(await t.exited).toBe(0);
    expect(t.stderr).toBe('');
    const dump = JSON.parse(t.stdout.slice(0, t.stdout.indexOf('\n]\n') + 2)) as Array<{ names: Array<{ name: string; value: string; source: string }> }>;
    expect(dump[0]!.names.map((n) => [n.name, n.value, n.source.replaceAll(root, '.')])).toEqual([
      ['APP_MAGIC', '0x1234', '-I ./fixtures/headers/user.h (./fixtures/headers/user.h:4)'],
      ['SOCK_STREAM', '0x1', 'kernel BTF (enum sock_type)'],
      ['EAGAIN', '0xb', 'uapi table (asm-generic/errno-base.h, x64)'],
      ['TASK_RUNNING', '0x0', 'kernel headers (./fixtures/headers/kernel/include/linux/sched.h:3)'],
      ['APP_FLAGS', '0x1040', '-I ./fixtures/headers/user.h (./fixtures/headers/user.h:5)'],
    ]);
  });

  it('a name no source has: one line with a caret, naming it and where the tool looked', async () => {
    const r = await runTool('trace', ['t:syscalls:sys_enter_close (args->fd == GFP_NOSUCH)'], { ...process.env, POLYTRACE_KERNEL_HEADERS: '/nonexistent' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [
        "trace: unknown name 'GFP_NOSUCH': no parameter or constant of that name (looked in kernel BTF, kernel print formats (tracefs kmem/kmalloc), uapi table, kernel headers: no kernel headers at /nonexistent)",
        '    t:syscalls:sys_enter_close (args->fd == GFP_NOSUCH)',
        '                                            ^~~~~~~~~~',
        '',
      ].join('\n'),
    );
  });

  it('-I of a header that is not installed: one line, and the run goes on with BTF', async () => {
    const t = start('trace', ['-I', 'linux/polytrace-nothere.h', 't:syscalls:sys_enter_close (args->fd == -1) "%d", SIGKILL'], {
      env: { ...process.env, POLYTRACE_KERNEL_HEADERS: '/nonexistent' },
    });
    await t.waitFor(/^PID/m, 60_000);
    t.child.kill('SIGINT');
    expect(await t.exited).toBe(0);
    expect(t.stderr).toBe('trace: -I linux/polytrace-nothere.h: not installed (looked in /usr/include): kernel types and constants come from BTF\n');
  });
});
