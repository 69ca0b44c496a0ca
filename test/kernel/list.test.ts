/**
 * `polytrace list` against this machine's tracefs, BTF, ELF files and notes, each compared
 * with an independent tool: `ls` of tracefs and `bpftrace -l` for tracepoints, the format
 * file for -v fields, `nm` for uprobes, `readelf -n` for USDT.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, beforeAll } from 'vitest';
import { skipKernel, requireKernel, runTool, inCI } from '../helpers/kernel.js';
import { buildC, haveGcc } from '../helpers/cbuild.js';

const TRACEFS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'].find((p) => existsSync(`${p}/events`)) ?? '/sys/kernel/tracing';
const PYTHON = '/usr/bin/python3.11';

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

async function list(...args: string[]): Promise<{ code: number | string; out: string[]; stderr: string }> {
  const r = await runTool('polytrace', ['list', ...args]);
  return { code: r.code, out: lines(r.stdout), stderr: r.stderr };
}

describe.skipIf(skipKernel)('polytrace list (kernel)', () => {
  beforeAll(() => requireKernel());

  it('tracepoint:sched:* lists exactly the events tracefs has (ls), sorted', async () => {
    const dir = `${TRACEFS}/events/sched`;
    const want = readdirSync(dir)
      .filter((e) => existsSync(`${dir}/${e}/id`))
      .map((e) => `tracepoint:sched:${e}`)
      .sort();
    const { code, out } = await list('tracepoint:sched:*');
    expect(code).toBe(0);
    expect(out).toEqual(want);
    expect(out).toContain('tracepoint:sched:sched_switch');
    // BCC's spelling names the same set.
    expect((await list('t:sched:*')).out).toEqual(want);
  });

  it.skipIf(!have('bpftrace') && !inCI)('tracepoint:sched:* equals bpftrace -l', async () => {
    const bt = lines(execFileSync('bpftrace', ['-l', 'tracepoint:sched:*'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    expect((await list('tracepoint:sched:*')).out).toEqual([...bt].sort());
  });

  it('-v on a tracepoint prints the fields of its format file', async () => {
    const text = readFileSync(`${TRACEFS}/events/sched/sched_switch/format`, 'utf8');
    const fields = [...text.matchAll(/^\s*field:([^;]*);/gm)].map((m) => m[1]!.trim()).filter((d) => !/\bcommon_\w+$/.test(d));
    expect(fields.length).toBeGreaterThan(3);
    const { code, out } = await list('-v', 'tracepoint:sched:sched_switch');
    expect(code).toBe(0);
    expect(out).toEqual(['tracepoint:sched:sched_switch', ...fields.map((f) => `    ${f}`)]);
  });

  it('-v on kprobe:vfs_read and fentry:vfs_read prints the BTF signature', async () => {
    const sig = '    ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)';
    for (const p of ['kprobe:vfs_read', 'fentry:vfs_read', 'p::vfs_read']) {
      const { code, out } = await list('-v', p);
      expect(code, p).toBe(0);
      expect(out, p).toEqual([`${p.startsWith('p::') ? 'kprobe' : p.split(':')[0]}:vfs_read`, sig]);
    }
    const r = await list('kretprobe:vfs_rea*');
    expect(r.out).toContain('kretprobe:vfs_read');
    expect(r.out.every((l) => /^kretprobe:vfs_rea/.test(l))).toBe(true);
  });

  it.skipIf(!haveGcc() && !inCI)('uprobe listing of a binary equals its functions in nm', async () => {
    const bin = buildC(
      'listfuncs',
      `
#include <stdio.h>
static int __attribute__((noinline)) helper_one(int x) { return x * 3; }
int __attribute__((noinline)) helper_two(int x) { return helper_one(x) + 1; }
void __attribute__((weak)) weak_fn(void) {}
int main(int argc, char **argv) { weak_fn(); printf("%d\\n", helper_two(argc)); return 0; }
`,
      ['-O1', '-g'],
    );
    // nm's System V format names each symbol's ELF type: the functions are FUNC (and IFUNC).
    const nm = lines(execFileSync('nm', ['-f', 'sysv', '--defined-only', bin], { encoding: 'utf8' }))
      .map((l) => l.split('|').map((w) => w.trim()))
      .filter((w) => w.length >= 7 && /^I?FUNC$/.test(w[3]!) && /[1-9a-f]/.test(w[1]!))
      .map((w) => `uprobe:${bin}:${w[0]}`);
    const want = [...new Set(nm)].sort();
    const { code, out } = await list(`uprobe:${bin}:*`);
    expect(code).toBe(0);
    expect(out).toEqual(want);
    expect(out).toContain(`uprobe:${bin}:helper_one`);
    expect(out).toContain(`uprobe:${bin}:weak_fn`);
    expect((await list(`${bin}:helper_*`)).out).toEqual([`uprobe:${bin}:helper_one`, `uprobe:${bin}:helper_two`]);
  });

  it.skipIf((!existsSync(PYTHON) || !have('readelf')) && !inCI)('USDT listing of python3.11 equals readelf -n', async () => {
    const notes = execFileSync('readelf', ['-n', PYTHON], { encoding: 'utf8' });
    const want = [...new Set([...notes.matchAll(/Provider: (\S+)\n\s+Name: (\S+)/g)].map((m) => `usdt:${PYTHON}:${m[1]}:${m[2]}`))].sort();
    expect(want.length).toBeGreaterThan(0);
    const { code, out } = await list(`usdt:${PYTHON}:*`);
    expect(code).toBe(0);
    expect(out).toEqual(want);

    const v = await list('-v', `usdt:${PYTHON}:python:function__entry`);
    expect(v.out[0]).toBe(`usdt:${PYTHON}:python:function__entry`);
    const args = /Arguments: (.*)/.exec(notes.slice(notes.indexOf('Name: function__entry')))![1]!.split(' ');
    expect(v.out.slice(1, 1 + args.length).map((l) => /\((.*)\)$/.exec(l)![1])).toEqual(args);
    expect(v.out[1]).toMatch(/^ {4}arg1: u?int(8|16|32|64) \(/);
  });

  it('c:malloc resolves libc through ld.so.cache', async () => {
    const { code, out } = await list('c:malloc');
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^uprobe:\/.*libc\.so\.6:malloc$/);
  });

  it('nothing matched: exit 1 and a message; a bad pattern: exit 2', async () => {
    const none = await list('tracepoint:no_such_category_x:*');
    expect(none.code).toBe(1);
    expect(none.out).toEqual([]);
    expect(none.stderr).toMatch(
      /^polytrace list: no tracepoints match 'tracepoint:no_such_category_x:\*' in \/.*\/events \(list them with 'polytrace list t:\*'\)\n$/,
    );
    const typo = await list('t:sched:sched_swich');
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/^polytrace list: no tracepoints match 't:sched:sched_swich' in \/.*\/events \(did you mean sched:sched_switch\?; /);
    const bad = await list('bogus:a:b');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown probe type 'bogus'/);
  });

  it('no pattern: kernel functions only as this kernel attaches them; stderr says how many were left out and why', async () => {
    type Row = { name: string; available: boolean };
    const rows = JSON.parse((await runTool('polytrace', ['features', '--json'])).stdout) as Row[];
    const has = (n: string): boolean => rows.find((r) => r.name === n)?.available === true;
    const kprobes = has('kprobe_pmu') || has('kprobe_events');
    const r = await list();
    expect(r.code).toBe(0);
    const kinds = new Set(r.out.map((l) => l.split(':')[0]));
    expect(kinds.has('tracepoint')).toBe(true);
    expect(kinds.has('kprobe')).toBe(kprobes);
    expect(kinds.has('fentry')).toBe(has('fentry'));
    // Asked for by name, they are all listed: the note counts exactly those.
    for (const [kind, attaches] of [
      ['kprobe', kprobes],
      ['fentry', has('fentry')],
    ] as const) {
      if (attaches) continue;
      const named = await list(`${kind}:*`);
      expect(named.stderr).toMatch(
        new RegExp(`^polytrace list: note: ${kind === 'kprobe' ? 'kprobes' : 'fentry/fexit'} cannot be attached on this kernel \\(.+\\)$`, 'm'),
      );
      expect(r.stderr).toContain(`polytrace list: note: left out ${named.out.length} kernel functions as ${kind}:*, which this kernel cannot attach (`);
    }
  });

  it('polytrace funcount: one line naming the nearest tool, exit 2', async () => {
    const r = await runTool('polytrace', ['funcount', 'c:malloc']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("polytrace: unknown tool 'funcount' (did you mean funccount?; 'polytrace --help' lists the tools)\n");
  });

  it('polytrace features: a fallback that is missing too is not offered', async () => {
    type Row = { name: string; available: boolean };
    const rows = JSON.parse((await runTool('polytrace', ['features', '--json'])).stdout) as Row[];
    const has = (n: string): boolean => rows.find((r) => r.name === n)?.available === true;
    const text = (await runTool('polytrace', ['features'])).stdout;
    const fentry = /^fentry .*\n(.*)$/m.exec(text);
    expect(fentry).not.toBeNull();
    if (has('fentry')) return;
    if (has('kprobe_pmu') || has('kprobe_events')) expect(fentry![1]).toMatch(/; instead: kprobes$/);
    else
      expect(fentry![1]).toMatch(
        /; no fallback: kprobes \(kprobe_pmu, kprobe_events\) missing too; kernel functions cannot be probed here; tracepoints .*'polytrace list t:\*'/,
      );
  });

  it('stops quietly when its reader goes away', () => {
    const out = execFileSync('sh', ['-c', `node bin/polytrace.js list 'tracepoint:*' | head -3; echo "rc=\${PIPESTATUS:-0}"`], {
      encoding: 'utf8',
      cwd: `${import.meta.dirname}/../..`,
    });
    expect(lines(out)).toHaveLength(4);
  });
});
