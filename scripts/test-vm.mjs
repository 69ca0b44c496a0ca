#!/usr/bin/env node
/**
 * npm run test:vm — the kernel-function tests (test/vm/) inside the VM of scripts/vm/run.mjs,
 * once per kernel, each in ONE boot (the VM emulates its CPU and is ~15x slower than the host):
 * first Debian's stock 6.1, then Debian's bookworm-backports 6.12 (CONFIG_FPROBE, so
 * kprobe_multi), both fetched once by scripts/vm-kernels.mjs. dist/ and the C
 * workloads of test/vm/workloads/ are built here first, on the fast host; the repository is
 * shared into the VM read-write at the same path. Extra arguments go to vitest (a file
 * filter, -t …).
 *
 *   npm run test:vm
 *   npm run test:vm -- test/vm/kfunc.test.ts
 *
 * VMTEST_RUN=/path/to/run runs another VM runner (same options and exit statuses);
 * POLYTRACE_VM_KERNELS=stock or =backports boots only one of the two; =arm64 boots the emulated
 * arm64 VM instead (scripts/vm/run.mjs --arch arm64, Debian's arm64 stock kernel, not in the
 * default list) and runs test/vm-arm64/ there, whose workloads (test/vm-arm64/workloads/*.c) are
 * cross-compiled here with aarch64-linux-gnu-gcc into test/.build/arm64/NAME; VMTEST_KERNEL=<vmlinuz>
 * boots only that kernel (its package unpacked as scripts/vm/run.mjs expects: DIR/boot/vmlinuz-R
 * beside DIR/lib/modules/R, with a modules.dep).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arm64Kernel, CROSS_GCC, ensureArm64HostTools } from './vm-arm64.mjs';
import { backportsKernel, stockKernel } from './vm-kernels.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runner = process.env.VMTEST_RUN ?? join(repo, 'scripts', 'vm', 'run.mjs');

if (!existsSync(runner)) {
  process.stderr.write(`test:vm: the VM runner is missing: ${runner} does not exist (VMTEST_RUN)\n`);
  process.exit(2);
}

const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: repo, stdio: 'inherit', ...opts });

if (process.env.POLYTRACE_VM_NO_BUILD !== '1') {
  const b = run('npm', ['run', '--silent', 'build']);
  if (b.status !== 0) {
    process.stderr.write('test:vm: npm run build failed\n');
    process.exit(b.status ?? 1);
  }
}

// The VM tests' C workloads, compiled here on the host as test/helpers/cbuild.ts's buildC(name,
// source, ['-O1']) would (same hash, same path), so that buildC inside the VM finds them built.
// Also the workload of test/kernel/raw-tracepoints.test.ts, which runs in the VMs too.
{
  const vmDir = join(repo, 'test', 'vm', 'workloads');
  const out = join(repo, 'test', '.build');
  mkdirSync(out, { recursive: true });
  const sources = [
    ...readdirSync(vmDir)
      .filter((f) => f.endsWith('.c'))
      .map((f) => join(vmDir, f)),
    join(repo, 'test', 'kernel', 'workloads', 'syscalls.c'),
  ];
  for (const path of sources) {
    const file = basename(path);
    const name = file.slice(0, -2);
    const flags = ['-O1'];
    const source = readFileSync(path, 'utf8');
    const hash = createHash('sha256').update(source).update('\0').update(flags.join('\0')).digest('hex').slice(0, 12);
    const exe = join(out, `${name}-${hash}`);
    if (existsSync(exe)) continue;
    const src = join(out, `${name}-${hash}.c`);
    writeFileSync(src, source);
    const g = run('gcc', ['-o', `${exe}.tmp${process.pid}`, src, ...flags]);
    if (g.status !== 0) {
      process.stderr.write(`test:vm: gcc failed on ${file}\n`);
      process.exit(g.status ?? 1);
    }
    renameSync(`${exe}.tmp${process.pid}`, exe);
  }
}

/**
 * The arm64 workloads: test/vm-arm64/workloads/NAME.c → test/.build/arm64/NAME (rebuilt when the
 * source is newer), with frame pointers (user stacks) and <sys/sdt.h> from the host's
 * systemtap-sdt-dev (the header is the same for every architecture; it sits in the host's
 * multiarch include directory, which the cross compiler must search only after its own).
 */
function buildArm64Workloads() {
  ensureArm64HostTools();
  const src = join(repo, 'test', 'vm-arm64', 'workloads');
  const out = join(repo, 'test', '.build', 'arm64');
  mkdirSync(out, { recursive: true });
  const sdt = spawnSync('dpkg', ['-L', 'systemtap-sdt-dev'], { encoding: 'utf8' })
    .stdout.split('\n')
    .find((f) => f.endsWith('/sys/sdt.h'));
  if (!sdt) {
    process.stderr.write('test:vm: systemtap-sdt-dev has no sys/sdt.h\n');
    process.exit(2);
  }
  for (const file of readdirSync(src).filter((f) => f.endsWith('.c'))) {
    const exe = join(out, file.slice(0, -2));
    if (existsSync(exe) && statSync(exe).mtimeMs >= statSync(join(src, file)).mtimeMs) continue;
    const flags = ['-O1', '-g', '-fno-omit-frame-pointer', '-idirafter', dirname(dirname(sdt))];
    const g = run(CROSS_GCC, ['-o', `${exe}.tmp${process.pid}`, join(src, file), ...flags]);
    if (g.status !== 0) {
      process.stderr.write(`test:vm: ${CROSS_GCC} failed on ${file}\n`);
      process.exit(g.status ?? 1);
    }
    renameSync(`${exe}.tmp${process.pid}`, exe);
  }
}

/** The kernels to boot, in order; `get` gives the image and its unpacked package. */
function kernels() {
  if (process.env.VMTEST_KERNEL) {
    const vmlinuz = resolve(process.env.VMTEST_KERNEL);
    return [{ label: vmlinuz, get: () => ({ vmlinuz, tree: dirname(dirname(vmlinuz)) }) }];
  }
  const all = {
    // 6.1 runs in single-threaded TCG (scripts/vm/run.mjs: multi-threaded TCG wedged its vCPUs
    // in text patching); 6.12 never did in many boots, and a thread per vCPU halves its time.
    stock: { label: "Debian's stock kernel (linux-image-amd64)", get: () => stockKernel(), tcg: 'single' },
    backports: { label: "Debian's bookworm-backports 6.12", get: () => backportsKernel(), tcg: 'multi' },
    arm64: { label: "Debian's arm64 stock kernel (linux-image-arm64, emulated)", get: () => arm64Kernel(), arch: 'arm64' },
  };
  const names = (process.env.POLYTRACE_VM_KERNELS ?? 'stock,backports').split(',').filter(Boolean);
  for (const n of names) {
    if (!(n in all)) {
      process.stderr.write(`test:vm: POLYTRACE_VM_KERNELS: unknown kernel '${n}' (stock, backports, arm64)\n`);
      process.exit(2);
    }
  }
  return names.map((n) => all[n]);
}

const vitest = join(repo, 'node_modules', 'vitest', 'vitest.mjs');
const results = [];
for (const k of kernels()) {
  process.stderr.write(`\ntest:vm: ${k.label}\n`);
  let vmlinuz;
  let tree;
  try {
    ({ vmlinuz, tree } = k.get());
  } catch (e) {
    process.stderr.write(`test:vm: cannot get ${k.label}: ${e.message}\n`);
    results.push({ label: k.label, status: 2 });
    continue;
  }
  const arm64 = k.arch === 'arm64';
  if (arm64) buildArm64Workloads();
  const args = [
    ...(arm64 ? ['--arch', 'arm64'] : []),
    '--timeout',
    process.env.POLYTRACE_VM_TIMEOUT ?? '2100',
    '--kernel',
    vmlinuz,
    '--',
    // The arm64 VM's root is the arm64 tree, whose Node is /usr/bin/node.
    arm64 ? '/usr/bin/node' : process.execPath,
    vitest,
    'run',
    '--config',
    arm64 ? 'test/vm-arm64/vitest.config.ts' : 'test/vm/vitest.config.ts',
    ...process.argv.slice(2),
  ];
  // The runner hands the caller's environment to the command: the tests find the guest's
  // modules and build config through it (the VM's / is the host's).
  const env = { POLYTRACE_VM_TCG: k.tcg ?? 'single', ...process.env, POLYTRACE_VM_KERNEL_TREE: tree };
  const r = run(runner, args, { env });
  if (r.error) {
    process.stderr.write(`test:vm: cannot start ${runner}: ${r.error.message}\n`);
    process.exit(2);
  }
  if (r.status === 124) process.stderr.write('test:vm: the VM timed out\n');
  if (r.status === 125) process.stderr.write('test:vm: the VM failed to boot or set up (see the polytrace-vm: lines above)\n');
  results.push({ label: k.label, status: r.status ?? 1 });
}
process.stderr.write(`\n${results.map((r) => `test:vm: ${r.status === 0 ? 'passed' : `FAILED (exit ${r.status})`} on ${r.label}`).join('\n')}\n`);
process.exit(results.find((r) => r.status !== 0)?.status ?? 0);
