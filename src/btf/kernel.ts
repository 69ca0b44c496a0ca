/**
 * The running kernel's BTF: /sys/kernel/btf/vmlinux and split module blobs beside it. The only
 * file readers in src/btf; loaded once per process and cached.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { BtfError } from '../errors.js';
import { BtfSpec } from './spec.js';

export const KERNEL_BTF_DIR = '/sys/kernel/btf';

let vmlinux: BtfSpec | undefined;
const modules = new Map<string, BtfSpec>();

function read(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new BtfError(`cannot read ${what} BTF at ${path}: ${code}`, [
      code === 'ENOENT' ? 'the kernel must be built with CONFIG_DEBUG_INFO_BTF=y (and =y/_MODULES for modules)' : 'run as root or check permissions',
    ]);
  }
}

/** vmlinux BTF of the running kernel (cached). */
export function loadKernelBtf(): BtfSpec {
  return (vmlinux ??= BtfSpec.parse(read(`${KERNEL_BTF_DIR}/vmlinux`, 'kernel')));
}

/** Split BTF of a loaded module, on top of vmlinux (cached). */
export function loadModuleBtf(name: string): BtfSpec {
  if (!/^[\w-]+$/.test(name) || name === 'vmlinux') throw new BtfError(`bad module name '${name}'`);
  let spec = modules.get(name);
  if (!spec) {
    spec = BtfSpec.parse(read(`${KERNEL_BTF_DIR}/${name}`, `module ${name}`), { base: loadKernelBtf() });
    modules.set(name, spec);
  }
  return spec;
}

/** Names of modules that have BTF loaded (empty if none or no /sys/kernel/btf). */
export function listModuleBtf(): string[] {
  try {
    return readdirSync(KERNEL_BTF_DIR).filter((n) => n !== 'vmlinux').sort();
  } catch {
    return [];
  }
}
