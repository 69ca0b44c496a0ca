/**
 * The running kernel's BTF: /sys/kernel/btf/vmlinux and split module blobs beside it, loaded
 * once per process and cached. It lives in the live layer (not src/btf, which only parses
 * bytes) because it maps the file through src/sys.
 *
 * vmlinux is mapped read-only when the kernel allows it (Linux 6.16+) and parsed in place: a
 * read() of a kernfs file returns at most one page, so reading ~5 MiB takes ~1,300 syscalls
 * (~25 ms here), where the mapping takes one. Older kernels (mmap refused) fall back to
 * reading. The mapping lives as long as the process (the spec is cached, never released).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { BtfError } from '../errors.js';
import { mmapFile } from '../sys/mmap-file.js';
import { BtfSpec } from '../btf/spec.js';

/**
 * POLYTRACE_TEST_BTF_DIR=DIR reads BTF from DIR instead (tests: a machine without BTF). An env
 * var: test/kernel/failures.test.ts runs the real CLI as a child process, no other seam reaches it.
 */
export const KERNEL_BTF_DIR = process.env['POLYTRACE_TEST_BTF_DIR'] || '/sys/kernel/btf';

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

/** How the cached vmlinux BTF was loaded ('' before the first load); for benchmarks and debugging. */
export let kernelBtfSource: '' | 'mmap' | 'read' = '';

/** vmlinux BTF of the running kernel (cached). POLYTRACE_BTF_NO_MMAP=1 forces reading. */
export function loadKernelBtf(): BtfSpec {
  if (vmlinux) return vmlinux;
  const path = `${KERNEL_BTF_DIR}/vmlinux`;
  const mapped = process.env['POLYTRACE_BTF_NO_MMAP'] ? undefined : mmapFile(path);
  if (mapped) {
    try {
      vmlinux = BtfSpec.parse(mapped.bytes);
      kernelBtfSource = 'mmap';
      return vmlinux;
    } catch (e) {
      mapped.unmap();
      throw e;
    }
  }
  vmlinux = BtfSpec.parse(read(path, 'kernel'));
  kernelBtfSource = 'read';
  return vmlinux;
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

let moduleFuncs: Map<string, { module: string; id: number }> | undefined;

/**
 * The split BTF of the loaded module that defines a FUNC of this name, with its id; undefined
 * when none does. The first call reads every module's BTF once (a few ms each): callers ask
 * only for functions vmlinux BTF does not describe.
 */
export function moduleFunction(name: string): { module: string; spec: BtfSpec; id: number } | undefined {
  if (!moduleFuncs) {
    moduleFuncs = new Map();
    for (const module of listModuleBtf()) {
      let spec: BtfSpec;
      try {
        spec = loadModuleBtf(module);
      } catch {
        continue; // a module unloaded meanwhile, or unreadable: it just has nothing to offer
      }
      for (const id of spec.idsOfKind('func')) {
        const fn = spec.nameOf(id);
        if (!moduleFuncs.has(fn)) moduleFuncs.set(fn, { module, id });
      }
    }
  }
  const found = moduleFuncs.get(name);
  return found && { ...found, spec: loadModuleBtf(found.module) };
}

/**
 * The BTF that describes a kernel function and its FUNC id: vmlinux's, else — for a function
 * of a loaded module — that module's split BTF (a superset: vmlinux's ids, then the module's
 * own, numbered as the kernel numbers them), with the module named. Undefined when no BTF
 * describes it.
 */
export function kernelFunctionBtf(name: string): { spec: BtfSpec; id: number; module?: string } | undefined {
  const spec = loadKernelBtf();
  const id = spec.idsByName(name, 'func')[0];
  return id !== undefined ? { spec, id } : moduleFunction(name);
}

/** The BTF to name and type a probe's arguments with: the function's (see kernelFunctionBtf), else vmlinux's. */
export function btfForKernelFunction(symbol: string | undefined): BtfSpec {
  return (symbol === undefined ? undefined : kernelFunctionBtf(symbol)?.spec) ?? loadKernelBtf();
}

/** Names of modules that have BTF loaded (empty if none or no /sys/kernel/btf). */
export function listModuleBtf(): string[] {
  try {
    return readdirSync(KERNEL_BTF_DIR)
      .filter((n) => n !== 'vmlinux')
      .sort();
  } catch {
    return [];
  }
}
