/**
 * `polytrace completion bash|zsh|fish`: the bash script loads in bash, registers itself for
 * every bin (complete -p), and its function completes tools, options and probe names when
 * called with COMP_WORDS/COMP_LINE set as bash sets them; fish accepts its script (fish -n) and
 * completes with it (complete -C). Probe names come back from the installed bin (dist/): those
 * cases are skipped outside CI until the package is built. The candidates themselves are
 * tested in-process on the fixture host (test/helpers/probe-host.ts).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { bashScript, zshScript, fishScript, toolOptions, toolCommand, probeCandidates } from '../../../src/multitools/completion.js';
import { root, inCI } from '../../helpers/kernel.js';
import { fixtureHost } from '../../helpers/probe-host.js';

const built = existsSync(join(root, 'dist', 'cli', 'polytrace.cjs'));
const tracefs = existsSync('/sys/kernel/tracing/events/sched') || existsSync('/sys/kernel/debug/tracing/events/sched');
let script = '';

/** Run the completion function for `line` (cursor at the end); COMPREPLY, one per line. */
function complete(line: string): string[] {
  const words = line.split(/\s+/);
  const prog = `
source ${JSON.stringify(script)}
COMP_LINE=${JSON.stringify(line)}
COMP_POINT=\${#COMP_LINE}
read -ra COMP_WORDS <<< "$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
_polytrace
printf '%s\\n' "\${COMPREPLY[@]}"
`;
  void words;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', prog], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('shell completion', () => {
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'polytrace-completion-'));
    script = join(dir, 'polytrace.bash');
    writeFileSync(script, await bashScript());
  });

  it("options come from each tool's Command (the --help source)", async () => {
    const fc = toolOptions(await toolCommand('funccount'));
    expect(fc.flags).toEqual(expect.arrayContaining(['-p', '--pid', '-i', '--json', '--prometheus', '-h', '--help']));
    expect(fc.withValue).toContain('--prometheus');
    expect(fc.withValue).not.toContain('--json');
    const ad = toolOptions(await toolCommand('argdist'));
    expect(ad.specValue).toEqual(['-H', '--histogram', '-C', '--count']);
    const fl = toolOptions(await toolCommand('funclatency'));
    expect(fl.fileValue).toEqual(expect.arrayContaining(['--heatmap', '-c', '--cgroup']));
  });

  it('bash: complete -p shows the function for polytrace and the five bins', () => {
    const r = spawnSync('bash', ['--norc', '-c', `source ${JSON.stringify(script)}; complete -p polytrace trace argdist funccount funclatency stackcount`], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(
      ['polytrace', 'trace', 'argdist', 'funccount', 'funclatency', 'stackcount'].map((b) => `complete -F _polytrace ${b}`),
    );
  });

  it('bash: tools after polytrace, options after a dash, files after --heatmap, nothing after -i', () => {
    expect(complete('polytrace func')).toEqual(['funccount', 'funclatency']);
    expect(complete('polytrace funccount --js')).toEqual(['--json']);
    expect(complete('funclatency --he')).toEqual(['--heatmap', '--help']);
    expect(complete('stackcount -')).toEqual(expect.arrayContaining(['-K', '-U', '--svg', '--json', '-f']));
    expect(complete(`funclatency --heatmap ${root}/packa`)).toEqual([`${root}/package.json`, `${root}/package-lock.json`].sort());
    expect(complete('funccount -i ')).toEqual([]);
    expect(complete('polytrace completion ')).toEqual(['bash', 'zsh', 'fish']);
    expect(complete('polytrace list --ver')).toEqual(['--verbose']);
  });

  it.skipIf(!(built && tracefs) && !inCI)('bash: probe names from tracefs, BTF and ELF, relative to the last colon', () => {
    const sched = complete('funccount t:sched:sched_wak');
    expect(sched).toEqual(expect.arrayContaining(['sched_wakeup', 'sched_waking']));
    expect(sched.every((s) => s.startsWith('sched_wak'))).toBe(true);
    expect(complete('polytrace funccount t:sch')).toContain('sched:');
    expect(complete('funccount c:strle')).toEqual(['strlen']);
    expect(complete('argdist -C p:c:mallo')).toContain('malloc');
    expect(complete('trace u:/usr/bin/python3.11:function__')).toEqual(['function__entry', 'function__return']);
    // Kernel functions only where this kernel attaches them (kprobes or trampolines).
    const features = JSON.parse(spawnSync('node', [join(root, 'bin', 'polytrace.js'), 'features', '--json'], { encoding: 'utf8' }).stdout) as Array<{
      name: string;
      available: boolean;
    }>;
    const attaches = features.some((f) => ['kprobe_pmu', 'kprobe_events', 'fentry'].includes(f.name) && f.available);
    expect(complete('funclatency vfs_rea')).toEqual(attaches ? expect.arrayContaining(['vfs_read', 'vfs_readv']) : []);
    expect(complete('funccount rt:sched_switc')).toEqual(['sched_switch']);
    expect(complete('argdist -C rawtracepoint::sched_switc')).toEqual(['sched_switch']);
    // polytrace list's pattern, in BCC's and bpftrace's spellings.
    expect(complete('polytrace list t:sched:sched_wak')).toEqual(expect.arrayContaining(['sched_wakeup', 'sched_waking']));
    expect(complete('polytrace list tracepoint:sched:sched_wak')).toEqual(expect.arrayContaining(['sched_wakeup', 'sched_waking']));
  });

  it('zsh: a #compdef script with every tool', async () => {
    const z = await zshScript();
    expect(z.startsWith('#compdef polytrace trace argdist funccount funclatency stackcount\n')).toBe(true);
    for (const t of ['trace', 'argdist', 'funccount', 'funclatency', 'stackcount']) expect(z).toContain(`    ${t}) opts=(`);
    const zsh = spawnSync('sh', ['-c', 'command -v zsh']).status === 0;
    if (zsh) {
      const f = join(tmpdir(), `polytrace-${process.pid}.zsh`);
      writeFileSync(f, z);
      expect(spawnSync('zsh', ['-n', f]).status).toBe(0);
    }
  });

  it('fish: fish -n accepts the script; it completes tools, options, shells and (with dist/) probes', async () => {
    const f = await fishScript();
    expect(f).toContain("complete -c polytrace -f -n __fish_use_subcommand -a 'trace argdist funccount funclatency stackcount list features completion'");
    for (const t of ['trace', 'argdist', 'funccount', 'funclatency', 'stackcount']) expect(f).toContain(`complete -c ${t} -f -a '(__polytrace_candidates)'`);
    const fish = spawnSync('sh', ['-c', 'command -v fish']).status === 0;
    if (!fish && !inCI) return;
    const file = join(tmpdir(), `polytrace-${process.pid}.fish`);
    writeFileSync(file, f);
    const n = spawnSync('fish', ['-n', file], { encoding: 'utf8' });
    expect(n.stderr).toBe('');
    expect(n.status).toBe(0);
    const fishComplete = (line: string): string[] => {
      const r = spawnSync('fish', ['--no-config', '-c', `source ${JSON.stringify(file)}; complete -C ${JSON.stringify(line)}`], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      return r.stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split('\t')[0]!);
    };
    expect(fishComplete('polytrace func')).toEqual(['funccount', 'funclatency']);
    expect(fishComplete('funccount --js')).toEqual(['--json']);
    expect(fishComplete('polytrace funccount --js')).toEqual(['--json']);
    expect(fishComplete('polytrace completion ')).toEqual(['bash', 'zsh', 'fish'].sort());
    expect(fishComplete('polytrace list --verb')).toEqual(['--verbose']);
    if (built && tracefs)
      expect(fishComplete('polytrace list t:sched:sched_wak')).toEqual(expect.arrayContaining(['t:sched:sched_wakeup', 't:sched:sched_waking']));
  });
});

/** Candidates in-process, on the fixture host: its tracefs, BTF, function list and ELF files. */
describe('completion candidates (fixture host)', () => {
  const node = process.execPath;
  const libstdcxx = '/usr/lib/x86_64-linux-gnu/libstdc++.so.6';

  it('tracepoints: categories, then the events of one', async () => {
    const host = fixtureHost();
    expect(await probeCandidates('funccount', 't:sch', host)).toEqual(['t:sched:']);
    expect(await probeCandidates('funccount', 't:sched:sched_s', host)).toEqual(['t:sched:sched_switch']);
    // A directory without an id is no event.
    expect(await probeCandidates('funccount', 't:sched:not_', host)).toEqual([]);
    expect(await probeCandidates('list', 'tracepoint:sched:sched_s', host)).toEqual(['tracepoint:sched:sched_switch']);
    expect(await probeCandidates('list', 't:sched:sched_s', host)).toEqual(['t:sched:sched_switch']);
  });

  it('raw tracepoints: from BTF, only where the kernel has them', async () => {
    expect(await probeCandidates('trace', 'rawtracepoint:sched_', fixtureHost({ rawTracepoints: true }))).toEqual([
      'rawtracepoint:sched_kthread_stop_ret',
      'rawtracepoint:sched_wake_idle_without_ipi',
    ]);
    expect(await probeCandidates('argdist', 'rt::irq_', fixtureHost({ rawTracepoints: true }))).toEqual(['rt::irq_handler_entry']);
    expect(await probeCandidates('list', 'rawtracepoint:irq_', fixtureHost({ rawTracepoints: true }))).toEqual(['rawtracepoint:irq_handler_entry']);
    expect(await probeCandidates('trace', 'rt:irq_', fixtureHost())).toEqual([]);
  });

  it('kernel functions: only where a mechanism attaches them; fentry only those with BTF', async () => {
    expect(await probeCandidates('funccount', 'vfs_', fixtureHost({ mechanism: 'kprobe' }))).toEqual(['vfs_read', 'vfs_write']);
    expect(await probeCandidates('trace', 'p::vfs_r', fixtureHost({ mechanism: 'kprobe' }))).toEqual(['p::vfs_read']);
    expect(await probeCandidates('list', 'kprobe:vfs_r', fixtureHost({ mechanism: 'kprobe' }))).toEqual(['kprobe:vfs_read']);
    // Neither kprobes nor trampolines: no kernel function is offered.
    expect(await probeCandidates('funccount', 'vfs_', fixtureHost())).toEqual([]);
    expect(await probeCandidates('trace', 'p::vfs_r', fixtureHost())).toEqual([]);
    expect(await probeCandidates('list', 'kprobe:vfs_', fixtureHost())).toEqual([]);
    const fentry = fixtureHost({ mechanism: 'fentry' });
    const withBtf = (await probeCandidates('funccount', 'vfs_', fentry)).filter((n) => fentry.kernelFunctionHasBtf(n));
    expect(await probeCandidates('funccount', 'vfs_', fentry)).toEqual(withBtf);
  });

  it('user functions and USDT probes of a file', async () => {
    const host = fixtureHost();
    expect(await probeCandidates('funccount', `${node}:napi_create_int3`, host)).toEqual([`${node}:napi_create_int32`]);
    expect(await probeCandidates('trace', `p:${node}:napi_create_int3`, host)).toEqual([`p:${node}:napi_create_int32`]);
    expect(await probeCandidates('list', `uprobe:${node}:napi_create_int3`, host)).toEqual([`uprobe:${node}:napi_create_int32`]);
    expect(await probeCandidates('funccount', '/no/such/file:foo', host)).toEqual([]);
    expect(await probeCandidates('trace', `u:${libstdcxx}:th`, host)).toEqual([`u:${libstdcxx}:throw`]);
    expect(await probeCandidates('list', `usdt:${libstdcxx}:re`, host)).toEqual([`usdt:${libstdcxx}:rethrow`]);
  });

  it('the words before a probe, per tool', async () => {
    const host = fixtureHost();
    expect(await probeCandidates('trace', 'raw', host)).toContain('rawtracepoint:');
    expect(await probeCandidates('argdist', 'raw', host)).toContain('rawtracepoint::');
    expect(await probeCandidates('funclatency', 'raw', host)).not.toContain('rawtracepoint:');
    expect(await probeCandidates('list', 'tr', host)).toEqual(['tracepoint:']);
    expect(await probeCandidates('list', 'k', host)).toEqual(['kprobe:', 'kretprobe:']);
  });
});
