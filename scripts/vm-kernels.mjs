/**
 * The kernels `npm run test:vm` boots, besides vmtest's stock Debian 6.1 (which has no
 * CONFIG_FPROBE, so no kprobe_multi): Debian's bookworm-backports 6.12, fetched once with
 * apt-get download, unpacked and depmod'ed into a cache. Nothing is installed: /boot and the
 * bootloader are left alone. With no network, a kernel already in the cache is used. When apt
 * has no bookworm-backports source, one is added (/etc/apt/sources.list.d/polytrace-backports
 * .sources): apt never installs from backports unless asked to by name.
 *
 *   POLYTRACE_VM_CACHE=DIR   where unpacked kernels live (default /var/cache/polytrace-vm)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CACHE = process.env.POLYTRACE_VM_CACHE ?? '/var/cache/polytrace-vm';
const META = 'linux-image-6.12-amd64';
const SOURCES = '/etc/apt/sources.list.d/polytrace-backports.sources';

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error || r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? (r.stderr || r.stdout || `exit ${r.status}`).trim()}`);
  }
  return r.stdout;
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
  const trees = readdirSync(CACHE).filter((d) => d.startsWith('linux-image-6.12.')).sort(byVersion).reverse();
  for (const d of trees) {
    const k = unpacked(join(CACHE, d));
    if (k) return k;
  }
  return undefined;
}

function ensureBackportsSource() {
  const codename = /^VERSION_CODENAME=(\w+)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  if (codename !== 'bookworm') {
    throw new Error(`the 6.12 kernel comes from bookworm-backports, and this host is '${codename}': set POLYTRACE_VM_KERNELS=stock to boot only the stock kernel`);
  }
  if (sh('apt-cache', ['policy']).includes('bookworm-backports')) return;
  writeFileSync(SOURCES, [
    'Types: deb',
    'URIs: http://deb.debian.org/debian',
    'Suites: bookworm-backports',
    'Components: main',
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
    '',
  ].join('\n'));
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
    // vmtest loads the 9p modules through modules.dep; busybox is vmtest's own dependency.
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
