/**
 * The booted kernel's files, seen from inside the VM: its build config and its modules. The
 * VM's root is the host's, so /lib/modules holds the host's modules, not the guest's:
 * scripts/test-vm.mjs names the unpacked kernel package in POLYTRACE_VM_KERNEL_TREE (a
 * directory with boot/config-R and lib/modules/R); without it, the package of that release in
 * scripts/vm-kernels.mjs's cache, then / itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { release } from 'node:os';
import { join } from 'node:path';

/** The directory holding boot/config-R and lib/modules/R of the running kernel. */
export function kernelTree(): string {
  const r = release();
  const cache = process.env.POLYTRACE_VM_CACHE ?? '/var/cache/polytrace-vm';
  const candidates = [process.env.POLYTRACE_VM_KERNEL_TREE, join(cache, `linux-image-${r}`), '/'].filter((d): d is string => !!d);
  const tree = candidates.find((d) => existsSync(join(d, 'boot', `config-${r}`)));
  if (!tree) throw new Error(`no kernel tree with boot/config-${r} among ${candidates.join(', ')} (set POLYTRACE_VM_KERNEL_TREE)`);
  return tree;
}

/** CONFIG_X → value (y, m, a number, a string) of the running kernel's build. */
export function kernelConfig(): Map<string, string> {
  const text = readFileSync(join(kernelTree(), 'boot', `config-${release()}`), 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^(CONFIG_\w+)=(.*)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/**
 * Loads a module of the running kernel (`drivers/block/brd`, plain or compressed as Debian
 * ships it: 6.1 plain .ko, 6.12 .ko.xz; busybox insmod reads both) unless it is loaded.
 */
export function insmod(path: string, params: string[] = []): void {
  const name = path.split('/').pop()!;
  if (existsSync(`/sys/module/${name}`)) return;
  const dir = join(kernelTree(), 'lib', 'modules', release(), 'kernel');
  const file = ['.ko', '.ko.xz', '.ko.zst', '.ko.gz'].map((ext) => join(dir, `${path}${ext}`)).find((f) => existsSync(f));
  if (!file) throw new Error(`module ${path} not found under ${dir}`);
  execFileSync('busybox', ['insmod', file, ...params], { stdio: 'pipe' });
}
