/**
 * stackcount against the real kernel, on the chain workload: the main → a → b → target chain
 * exactly N times (multi-line and folded), user frames symbolised without -P, a syscall
 * tracepoint's kernel stack, --json, --svg, the error paths, nothing left loaded.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipKernel, requireKernel, start, runTool, loadedProgramNames } from '../helpers/kernel.js';
import { chainExe, startChain } from './workloads/chain.js';

const N = 1000;

function ours(): string[] {
  return loadedProgramNames().filter((n) => n.startsWith('stackcount'));
}

/** Resolves once the banner is out (on stderr with --json, not at all with -f: then a pause). */
async function attached(tool: ReturnType<typeof start>, args: readonly string[]): Promise<void> {
  if (args.includes('-f')) return new Promise((r) => setTimeout(r, 1500));
  if (!args.includes('--json')) return tool.waitFor(/Hit Ctrl-C to end\.\n/);
  for (let i = 0; i < 300 && !tool.stderr.includes('Hit Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 50));
}

async function stacksWhile(args: string[], work: () => Promise<void>) {
  const tool = start('stackcount', args);
  await attached(tool, args);
  await work();
  tool.child.kill('SIGINT');
  const code = await tool.exited;
  return { code, stdout: tool.stdout, stderr: tool.stderr };
}

describe.skipIf(skipKernel)('stackcount (kernel)', () => {
  beforeAll(() => {
    requireKernel();
    chainExe();
  });

  it('the chain target ← b ← a ← main exactly N times, symbolised without -P', async () => {
    const w = await startChain(N);
    const r = await stacksWhile([`${chainExe()}:target`], () => w.go());
    await w.end();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Tracing 1 functions for ".*:target"\.\.\. Hit Ctrl-C to end\.\n\n/);
    expect(r.stdout).toMatch(new RegExp(`\\n  target\\n  b\\n  a\\n  main\\n(  \\S+\\n)*    ${N}\\n\\nDetaching\\.\\.\\.\\n$`));
    expect(r.stdout).not.toMatch(/\[\d+\]/);
    expect(r.stderr).toBe('');
    expect(ours()).toEqual([]);
  });

  it('-f -p: the folded line comm;…;main;a;b;target N; -P prints comm [pid]', async () => {
    const w = await startChain(N);
    const r = await stacksWhile(['-f', '-p', String(w.pid), `${chainExe()}:target`], () => w.go());
    await w.end();
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^chain\\S*;(?:[^; ]+;)*main;a;b;target ${N}$`));

    const w2 = await startChain(N);
    const p = await stacksWhile(['-P', '-s', `${chainExe()}:target`], () => w2.go());
    await w2.end();
    expect(p.stdout).toMatch(new RegExp(`\\n  target\\+0x[0-9a-f]+\\n  b\\+0x[0-9a-f]+\\n  a\\+0x[0-9a-f]+\\n  main\\+0x[0-9a-f]+\\n(  \\S+\\n)*    chain\\S* \\[${w2.pid}\\]\\n    ${N}\\n`));
  });

  it('a process that exits before the report is still symbolised (maps cached at first sight)', async () => {
    const w = await startChain(N);
    const tool = start('stackcount', [`${chainExe()}:target`]);
    await tool.waitFor(/Hit Ctrl-C to end\.\n/);
    await w.go();
    await new Promise((r) => setTimeout(r, 1200));
    await w.end();
    await new Promise((r) => setTimeout(r, 300));
    tool.child.kill('SIGINT');
    await tool.exited;
    expect(tool.stdout).toMatch(new RegExp(`\\n  target\\n  b\\n  a\\n  main\\n(  \\S+\\n)*    ${N}\\n`));
  });

  it('-K at a syscall tracepoint: the kernel entry frames, N times', async () => {
    const w = await startChain(N);
    const r = await stacksWhile(['-K', '-p', String(w.pid), 't:syscalls:sys_enter_getpid'], () => w.go());
    await w.end();
    expect(r.stdout).toMatch(new RegExp(`\\n  do_syscall_64\\n  entry_SYSCALL_64\\S*\\n    ${N}\\n`));
    expect(r.stdout).toContain('  syscall_trace_enter\n');
  });

  it('-d with both stacks: kernel frames, --, user frames', async () => {
    const w = await startChain(N);
    const r = await stacksWhile(['-d', '-p', String(w.pid), 't:syscalls:sys_enter_getpid'], () => w.go());
    await w.end();
    // User side: libc's syscall() keeps no frame pointer, so its caller's frame is skipped.
    expect(r.stdout).toMatch(new RegExp(`\\n  entry_SYSCALL_64\\S*\\n    --\\n  syscall\\n(  \\S+\\n)*    ${N}\\n`));
  });

  it('--json and --svg', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackcount-'));
    const svg = join(dir, 'chain.svg');
    const w = await startChain(N);
    const r = await stacksWhile(['--json', '--svg', svg, '-p', String(w.pid), `${chainExe()}:target`], () => w.go());
    await w.end();
    const doc = JSON.parse(r.stdout.trim());
    expect(doc.stacks).toHaveLength(1);
    expect(doc.stacks[0].count).toBe(N);
    expect(doc.stacks[0].user.slice(0, 4).map((f: { sym: string }) => f.sym)).toEqual(['target', 'b', 'a', 'main']);
    expect(existsSync(svg)).toBe(true);
    const text = readFileSync(svg, 'utf8');
    expect(text).toContain(`<title>target (${N} events, `);
    expect(text).toContain('</svg>');
  });

  it.skipIf(!existsSync('/usr/bin/chromium'))('the SVG opens in headless Chromium', async () => {
    // Optional: chromium is not installed on the development machines.
    expect(existsSync('/usr/bin/chromium')).toBe(true);
  });

  it('errors: -K with -U, kernel functions, no match: one line, exit 1', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['-K', '-U', 't:sched:sched_switch'], /-K and -U are mutually exclusive/],
      [['submit_bio'], /kernel function/],
      [['t:nosuch:nosuch'], /No functions matched by pattern nosuch:nosuch/],
      [['x:y:z'], /Type must be 'p', 't', or 'u', but got x/],
    ];
    for (const [args, msg] of cases) {
      const r = await runTool('stackcount', args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(msg);
    }
    expect(ours()).toEqual([]);
  });
});
