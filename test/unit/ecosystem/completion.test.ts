/**
 * `polytrace completion bash`: the script loads in bash, registers itself for every bin
 * (complete -p), and its function completes tools, options and probe names when called with
 * COMP_WORDS/COMP_LINE set as bash sets them. Probe names come back from the installed bin
 * (dist/): those cases are skipped outside CI until the package is built.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { bashScript, zshScript, toolOptions, toolCommand, probeCandidates } from '../../../src/multitools/completion.js';
import { root, inCI } from '../../helpers/kernel.js';

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
    expect(complete('polytrace completion ')).toEqual(['bash', 'zsh']);
  });

  it.skipIf(!(built && tracefs) && !inCI)('bash: probe names from tracefs, BTF and ELF, relative to the last colon', () => {
    const sched = complete('funccount t:sched:sched_wak');
    expect(sched).toEqual(expect.arrayContaining(['sched_wakeup', 'sched_waking']));
    expect(sched.every((s) => s.startsWith('sched_wak'))).toBe(true);
    expect(complete('polytrace funccount t:sch')).toContain('sched:');
    expect(complete('funccount c:strle')).toEqual(['strlen']);
    expect(complete('argdist -C p:c:mallo')).toContain('malloc');
    expect(complete('trace u:/usr/bin/python3.11:function__')).toEqual(['function__entry', 'function__return']);
    expect(complete('funclatency vfs_rea')).toEqual(expect.arrayContaining(['vfs_read', 'vfs_readv']));
    expect(complete('funccount rt:sched_switc')).toEqual(['sched_switch']);
    expect(complete('argdist -C rawtracepoint::sched_switc')).toEqual(['sched_switch']);
  });

  it.skipIf(!tracefs && !inCI)('candidates, in-process', async () => {
    expect(await probeCandidates('funccount', 't:sched:sched_switc')).toEqual(['t:sched:sched_switch']);
    expect(await probeCandidates('funccount', 'c:strle')).toEqual(['c:strlen']);
    expect(await probeCandidates('trace', 'p::vfs_rea')).toEqual(expect.arrayContaining(['p::vfs_read']));
    expect(await probeCandidates('funccount', 'no_such_lib_xyz:foo')).toEqual([]);
    // Raw tracepoints: names from kernel BTF (else tracefs); argdist writes rawtracepoint::NAME.
    expect(await probeCandidates('trace', 'rawtracepoint:sched_switc')).toEqual(['rawtracepoint:sched_switch']);
    expect(await probeCandidates('stackcount', 'rt:sched_switc')).toEqual(['rt:sched_switch']);
    expect(await probeCandidates('argdist', 'rt::sched_switc')).toEqual(['rt::sched_switch']);
    expect(await probeCandidates('trace', 'raw')).toContain('rawtracepoint:');
    expect(await probeCandidates('argdist', 'raw')).toContain('rawtracepoint::');
    expect(await probeCandidates('funclatency', 'raw')).not.toContain('rawtracepoint:');
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
});
