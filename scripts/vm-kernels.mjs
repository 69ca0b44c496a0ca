/**
 * The kernels `npm run test:vm` boots, fetched once with apt-get download, unpacked and
 * depmod'ed into a cache (nothing is installed: /boot and the bootloader are left alone):
 *
 *  - stockKernel(): what Debian's linux-image-amd64 depends on (6.1 on bookworm), the default
 *    kernel of scripts/vm/run.mjs. It has no CONFIG_FPROBE, so no kprobe_multi.
 *  - ensureHostTools(): qemu and a static busybox, installed with apt-get when missing.
 *  - backportsKernel(): bookworm-backports' 6.12, which has it. When apt has no
 *    bookworm-backports source, one is added (/etc/apt/sources.list.d/polytrace-backports
 *    .sources): apt never installs from backports unless asked to by name.
 *
 * With no network, a kernel already in the cache is used.
 *
 *   POLYTRACE_VM_CACHE=DIR   where unpacked kernels live (default /var/cache/polytrace-vm)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const CACHE = process.env.POLYTRACE_VM_CACHE ?? '/var/cache/polytrace-vm';
const META = 'linux-image-6.12-amd64';
const SOURCES = '/etc/apt/sources.list.d/polytrace-backports.sources';

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error || r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? (r.stderr || r.stdout || `exit ${r.status}`).trim()}`);
  }
  return r.stdout;
}

/**
 * What the VM needs on the host: qemu, and a static busybox (the initramfs' userland, and the
 * depmod run on unpacked kernels below). Installed with apt-get when missing.
 */
export function ensureHostTools(log = (line) => process.stderr.write(`${line}\n`)) {
  const onPath = (cmd) => (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
  const installed = (pkg) => spawnSync('dpkg-query', ['-s', pkg], { encoding: 'utf8' }).stdout?.includes('Status: install ok installed');
  const missing = [];
  if (!onPath('qemu-system-x86_64')) missing.push('qemu-system-x86');
  if (!installed('busybox-static')) missing.push('busybox-static');
  if (missing.length === 0) return;
  log(`polytrace-vm: installing ${missing.join(' ')} with apt-get (once)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  sh('apt-get', ['update', '-qq'], { env });
  sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

/** An unpacked kernel package: its vmlinuz and the tree holding boot/ and lib/modules/. */
function unpacked(tree) {
  const boot = join(tree, 'boot');
  const image = existsSync(boot) ? readdirSync(boot).find((f) => f.startsWith('vmlinuz-')) : undefined;
  if (!image) return undefined;
  const release = image.slice('vmlinuz-'.length);
  if (!existsSync(join(tree, 'lib', 'modules', release, 'modules.dep'))) return undefined;
  return { vmlinuz: join(boot, image), tree, release };
}

/** Versions compare numerically part by part (6.12.118 after 6.12.95). */
const byVersion = (a, b) => a.localeCompare(b, 'en', { numeric: true });

function cached() {
  if (!existsSync(CACHE)) return undefined;
  const trees = readdirSync(CACHE)
    .filter((d) => d.startsWith('linux-image-6.12.'))
    .sort(byVersion)
    .reverse();
  for (const d of trees) {
    const k = unpacked(join(CACHE, d));
    if (k) return k;
  }
  return undefined;
}

function ensureBackportsSource() {
  const codename = /^VERSION_CODENAME=(\w+)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  if (codename !== 'bookworm') {
    throw new Error(
      `the 6.12 kernel comes from bookworm-backports, and this host is '${codename}': set POLYTRACE_VM_KERNELS=stock to boot only the stock kernel`,
    );
  }
  if (sh('apt-cache', ['policy']).includes('bookworm-backports')) return;
  writeFileSync(
    SOURCES,
    [
      'Types: deb',
      'URIs: http://deb.debian.org/debian',
      'Suites: bookworm-backports',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
    ].join('\n'),
  );
  sh('apt-get', ['update', '-qq']);
}

/** bookworm-backports' current 6.12 image, from the cache or fetched into it. */
export function backportsKernel(log = (line) => process.stderr.write(`${line}\n`)) {
  const have = cached();
  if (have) return have;
  log(`test:vm: fetching Debian's bookworm-backports ${META} into ${CACHE} (once)`);
  ensureBackportsSource();
  const pkg = /Depends: (linux-image-6\.12\.[^\s]+)/.exec(sh('apt-cache', ['depends', META]))?.[1];
  if (!pkg) throw new Error(`apt-cache depends ${META} names no linux-image-6.12.* package`);
  return fetchKernel(pkg);
}

/**
 * The image linux-image-amd64 depends on, from the cache or fetched into it. The symlink
 * CACHE/linux-image-amd64 names the package it resolved to when it was fetched (delete it to
 * fetch the current one).
 */
export function stockKernel(log = (line) => process.stderr.write(`${line}\n`)) {
  const link = join(CACHE, 'linux-image-amd64');
  const have = existsSync(link) ? unpacked(realpathSync(link)) : undefined;
  if (have) return have;
  const dep = () => /Depends: (linux-image-\d[^\s]*)/.exec(sh('apt-cache', ['depends', 'linux-image-amd64']))?.[1];
  let pkg = dep();
  if (!pkg) {
    sh('apt-get', ['update', '-qq']);
    pkg = dep();
  }
  if (!pkg) throw new Error('apt-cache depends linux-image-amd64 names no linux-image-* package');
  log(`polytrace-vm: fetching Debian's ${pkg} into ${CACHE} (once)`);
  const k = fetchKernel(pkg);
  rmSync(`${link}.${process.pid}`, { force: true });
  symlinkSync(pkg, `${link}.${process.pid}`);
  renameSync(`${link}.${process.pid}`, link);
  return k;
}

/** apt-get download PKG (a linux-image-R), unpacked into CACHE/PKG with a modules.dep. */
function fetchKernel(pkg) {
  ensureHostTools();
  mkdirSync(CACHE, { recursive: true });
  const work = join(CACHE, `.${pkg}.${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  try {
    // As root, apt cannot hand the download to its _apt user in a root-owned directory.
    sh('apt-get', ['download', '-qq', '-o', 'APT::Sandbox::User=root', pkg], { cwd: work });
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${work}`);
    const tree = join(work, 'tree');
    sh('dpkg-deb', ['-x', join(work, deb), tree]);
    const release = readdirSync(join(tree, 'lib', 'modules'))[0];
    // The package ships no modules.dep (its postinst makes it): scripts/vm/run.mjs reads it to
    // find the modules the VM needs. busybox-static is the runner's own dependency.
    sh('busybox', ['depmod', '-b', tree, release]);
    const final = join(CACHE, pkg);
    rmSync(final, { recursive: true, force: true });
    renameSync(tree, final);
    const k = unpacked(final);
    if (!k) throw new Error(`${pkg} unpacked into ${final} has no boot/vmlinuz-* with modules.dep`);
    return k;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
