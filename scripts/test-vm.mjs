#!/usr/bin/env node
/**
 * npm run test:vm — the kernel-function tests (test/vm/) inside the stock-kernel VM of
 * ../shared/vmtest/run, all in ONE boot (the VM emulates its CPU and is ~15x slower than
 * the host). dist/ and the C workloads of test/vm/workloads/ are built here first, on the fast
 * host; the repository is shared into the VM read-write at the same path. Extra arguments go
 * to vitest (a file filter, -t …).
 *
 *   npm run test:vm
 *   npm run test:vm -- test/vm/funccount.test.ts
 *
 * VMTEST_RUN=/path/to/run overrides where the VM runner is looked for; VMTEST_KERNEL=<vmlinuz>
 * boots another kernel (e.g. a 6.12 with CONFIG_FPROBE, for kprobe_multi; see the vmtest README).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runner = process.env.VMTEST_RUN ?? join(repo, '..', 'shared', 'vmtest', 'run');

if (!existsSync(runner)) {
  process.stderr.write(
    `test:vm: the VM runner is missing: ${runner} does not exist.\n` +
      `test:vm: kernel-function tests need ../shared/vmtest/run next to the repository (or VMTEST_RUN=/path/to/run).\n`,
  );
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
{
  const dir = join(repo, 'test', 'vm', 'workloads');
  const out = join(repo, 'test', '.build');
  mkdirSync(out, { recursive: true });
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.c'))) {
    const name = file.slice(0, -2);
    const flags = ['-O1'];
    const source = readFileSync(join(dir, file), 'utf8');
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

const vitest = join(repo, 'node_modules', 'vitest', 'vitest.mjs');
const args = [
  '--timeout', process.env.POLYTRACE_VM_TIMEOUT ?? '900',
  ...(process.env.VMTEST_KERNEL ? ['--kernel', process.env.VMTEST_KERNEL] : []), '--',
  process.execPath, vitest, 'run', '--config', 'test/vm/vitest.config.ts', ...process.argv.slice(2),
];
const r = run(runner, args);
if (r.error) {
  process.stderr.write(`test:vm: cannot start ${runner}: ${r.error.message}\n`);
  process.exit(2);
}
if (r.status === 124) process.stderr.write('test:vm: the VM timed out\n');
if (r.status === 125) process.stderr.write('test:vm: the VM failed to boot or set up (see the vmtest: lines above)\n');
process.exit(r.status ?? 1);
