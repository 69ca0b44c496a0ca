/**
 * Clear failures: each way a trace cannot start ends with one line on stderr that says what is
 * wrong and what to do, exit 1, and nothing attached — not root, tracefs missing, BTF missing
 * (everything that does not need BTF still works), a program the verifier refuses (the reason
 * and the refused instruction; the whole log with -v), a map too large for memory.
 */
import { copyFileSync, chmodSync, mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bin, requireKernel, skipKernel, start } from '../helpers/kernel.js';
import { counterWorkload } from '../helpers/workloads.js';
import { Sampler } from '../soak/kernel-state.js';
import { BpfMap } from '../../src/kernel/map.js';
import { MapType } from '../../src/emit/types.js';
import { TracerError } from '../../src/errors.js';

const TP = 't:syscalls:sys_enter_getpid';
let lib = '';

/**
 * Run a tool to the end (Ctrl-C after `stopAfterMs` if it is still tracing); also return what
 * it left attached.
 */
async function run(tool: string, args: readonly string[], env?: NodeJS.ProcessEnv, asNobody = false, stopAfterMs = 6000) {
  const t = asNobody
    ? start('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, bin(tool), ...args], { env })
    : start(tool, args, { env });
  const closed = new Promise<void>((r) => t.child.on('close', () => r()));
  const sampler = new Sampler(t.child.pid!);
  const timer = setTimeout(() => t.child.kill('SIGINT'), stopAfterMs);
  const code = await t.exited;
  clearTimeout(timer);
  await closed;
  const left = await sampler.leftovers();
  return { code, stdout: t.stdout, stderr: t.stderr, left };
}

const lines = (s: string) =>
  s
    .trimEnd()
    .split('\n')
    .filter((l) => l.length > 0);

/** One probe per tool and kind, ending quickly by itself. */
function probes(kind: 'tracepoint' | 'uprobe'): Array<[string, string[]]> {
  return kind === 'tracepoint'
    ? [
        ['funccount', ['-d', '1', TP]],
        ['stackcount', ['-D', '1', '-K', TP]],
        ['trace', ['-M', '1', TP]],
        ['argdist', ['-n', '1', '-i', '1', '-C', `${TP}()`]],
      ]
    : [
        ['funccount', ['-d', '1', `${lib}:pt_f0`]],
        ['funclatency', ['-d', '1', `${lib}:pt_f0`]],
        ['stackcount', ['-D', '1', `${lib}:pt_f0`]],
        ['trace', ['-M', '1', `p:${lib}:pt_f0`]],
        ['argdist', ['-n', '1', '-i', '1', '-C', `p:${lib}:pt_f0()`]],
      ];
}

describe.skipIf(skipKernel)('clear failures (kernel)', () => {
  beforeAll(() => {
    requireKernel();
    // A copy of the workload library that user nobody can read.
    const dir = mkdtempSync(join(tmpdir(), 'polytrace-fail-'));
    chmodSync(dir, 0o755);
    lib = join(dir, 'libpt.so');
    copyFileSync(counterWorkload().lib, lib);
    chmodSync(lib, 0o755);
  });

  it('not root: one line naming CAP_BPF and CAP_PERFMON and saying to run as root, exit 1', async () => {
    for (const [tool, args] of [...probes('tracepoint'), ...probes('uprobe')]) {
      const r = await run(tool, args, undefined, true);
      expect(r.code, `${tool} ${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(lines(r.stderr), `${tool}: ${r.stderr}`).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^${tool}: not permitted \\(.*\\): run as root: tracing needs the CAP_BPF and CAP_PERFMON capabilities`));
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    }
  }, 120_000);

  it('tracefs missing and not mountable: one line saying how to mount it; probes without tracefs still work', async () => {
    const env = { POLYTRACE_TEST_TRACEFS: '/nonexistent/polytrace/tracefs' };
    for (const [tool, args] of probes('tracepoint')) {
      const r = await run(tool, args, env);
      expect(r.code, `${tool}: ${r.stderr}`).toBe(1);
      expect(lines(r.stderr), `${tool}: ${r.stderr}`).toHaveLength(1);
      expect(r.stderr).toContain('tracefs is not mounted and could not be mounted at /nonexistent/polytrace/tracefs (ENOENT)');
      expect(r.stderr).toContain('mount -t tracefs nodev /nonexistent/polytrace/tracefs');
      expect(r.left).toEqual([]);
    }
    // Uprobes go through the perf PMU: no tracefs needed.
    for (const [tool, args] of probes('uprobe')) {
      const r = await run(tool, args, env);
      expect(r.code, `${tool} ${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
  }, 120_000);

  it('BTF missing: tracepoints (with fields) and uprobes still work; a kernel function says what is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'polytrace-nobtf-'));
    mkdirSync(join(dir, 'empty'), { recursive: true });
    const env = { POLYTRACE_TEST_BTF_DIR: dir };
    const work: Array<[string, string[]]> = [
      ...probes('tracepoint'),
      ...probes('uprobe'),
      ['trace', ['-M', '1', 't:syscalls:sys_enter_openat "%s %d", args->filename, args->flags']],
    ];
    for (const [tool, args] of work) {
      const t = await run(tool, args, env);
      expect(t.code, `${tool} ${args.join(' ')}: ${t.stderr}`).toBe(0);
    }
    const r = await run('trace', ['-M', '1', 'vfs_read'], env);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`cannot read kernel BTF at ${dir}/vmlinux: ENOENT`);
  }, 180_000);

  // argdist asks its host for BTF, which answers "none" instead of failing the probe.
  it('BTF missing: argdist counts a tracepoint that needs no kernel type', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'polytrace-nobtf-'));
    const r = await run('argdist', ['-n', '1', '-i', '1', '-C', `${TP}()`], { POLYTRACE_TEST_BTF_DIR: dir });
    expect(r.code, r.stderr).toBe(0);
  }, 60_000);

  it('-c with a directory that is not a cgroup v2 one: trace and funclatency say so in one line (one cgroup fill for both)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'polytrace-notcg-'));
    for (const [tool, args] of [
      ['trace', ['-c', dir, '-M', '1', TP]],
      ['funclatency', ['-c', dir, '-d', '1', `${lib}:pt_f0`]],
    ] as const) {
      const r = await run(tool, args);
      expect(r.code, `${tool}: ${r.stderr}`).toBe(1);
      expect(lines(r.stderr), `${tool}: ${r.stderr}`).toEqual([
        `${tool}: ${dir} is not a cgroup v2 directory (use a directory under the cgroup2 mount (see: mount -t cgroup2))`,
      ]);
      expect(r.left, tool).toEqual([]);
    }
  }, 60_000);

  it('a program the verifier refuses: the reason and the refused instruction on one line, the whole log with -v', async () => {
    const env = { POLYTRACE_TEST_BAD_INSN: '1' };
    for (const [tool, args] of [...probes('tracepoint'), ...probes('uprobe')]) {
      const r = await run(tool, args, env);
      expect(r.code, `${tool}: ${r.stderr}`).toBe(1);
      expect(lines(r.stderr), `${tool}: ${r.stderr}`).toHaveLength(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `^${tool}: the kernel verifier refused program \\w+.*: R9 !read_ok at insn 0: r0 = \\*\\(u64 \\*\\)\\(r9 \\+0\\) \\(run with -v for the full verifier log\\)$`,
          'm',
        ),
      );
      expect(r.left).toEqual([]);
    }
    for (const [tool, args] of [
      ['trace', ['-v', '-M', '1', TP]],
      ['funclatency', ['-v', '-d', '1', `${lib}:pt_f0`]],
    ] as const) {
      const r = await run(tool, args, env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/R9 !read_ok at insn 0/);
      expect(r.stderr).toContain('verifier log:');
      expect(r.stderr).toMatch(/^\s+0: .*\(79\) r0 = \*\(u64 \*\)\(r9 \+0\)/m);
      expect(r.stderr).toContain('program:');
    }
  }, 120_000);

  it('out of memory for maps: the map, its size and what to do, on one line', async () => {
    const r = await run('trace', ['-M', '1', '-b', '1048576', TP]);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^trace: cannot create BPF map events of \d+ [GT]iB \(.*\): out of memory for maps \(use a smaller buffer/);
    // A hash map the kernel cannot allocate: ENOMEM or E2BIG becomes the same clear error.
    let err: unknown;
    try {
      BpfMap.create({ name: 'huge', type: MapType.Array, keySize: 4, valueSize: 1 << 20, maxEntries: 1 << 20 }).fd.close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TracerError);
    expect((err as Error).message).toMatch(/^cannot create BPF map huge of 1(\.0)? TiB \((ENOMEM|E2BIG|EINVAL)\): out of memory for maps$/);
  }, 60_000);
});
