/**
 * The constants and member aliases trace's and argdist's expressions may use, in the order
 * the sources are asked (compile/macros/): `-I` headers, the running kernel's BTF enumerators,
 * its print formats (GFP names), the uapi table, the built-in member aliases, and the kernel
 * headers installed for the running kernel. This file does their I/O.
 *
 *   POLYTRACE_KERNEL_HEADERS=DIR   read kernel headers from DIR (a kernel build directory)
 *                                  instead of /lib/modules/$(uname -r)/build
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { hostArch } from '../compile/context.js';
import { tokenize, type Lookup, type MacroDef } from '../compile/macros/cpp.js';
import { builtinAliases, macroScope, type ConstantSource, type MacroScope } from '../compile/macros/scope.js';
import { btfEnumSource, HeaderSet, headerSource, printFormatSource, type HeaderFiles } from '../compile/macros/sources.js';
import { uapiSource } from '../compile/macros/uapi.js';
import type { ProbeHost } from '../probes/host.js';

/** The largest header read (the -I limit too): kernel headers are far smaller. */
const MAX_HEADER_BYTES = 1 << 20;

function readSmall(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile() || st.size > MAX_HEADER_BYTES) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function headersOf(dirs: readonly string[]): HeaderFiles {
  const texts = new Map<string, string | undefined>();
  return {
    paths: () =>
      dirs.flatMap((d) => {
        try {
          // x86's 32-bit variants (page_32_types.h beside page_64_types.h) are included only
          // under CONFIG_X86_32: on a 64-bit kernel their values are not this kernel's.
          return readdirSync(d)
            .filter((f) => f.endsWith('.h') && !(hostArch() === 'x64' && /_32(_types)?\.h$/.test(f)))
            .sort()
            .map((f) => join(d, f));
        } catch {
          return [];
        }
      }),
    read: (p) => {
      if (!texts.has(p)) texts.set(p, readSmall(p));
      return texts.get(p);
    },
  };
}

/** The kernel build directory to read, and why there is none. */
export function kernelHeaderDir(): { dir?: string; why: string } {
  const env = process.env.POLYTRACE_KERNEL_HEADERS;
  const dir = env ?? `/lib/modules/${release()}/build`;
  if (!existsSync(dir)) return { why: `no kernel headers at ${dir}` };
  // A build directory of another kernel (a symlink left by an upgrade) would give its values.
  const uts = readSmall(join(dir, 'include/generated/utsrelease.h'));
  const m = uts ? /UTS_RELEASE\s+"([^"]+)"/.exec(uts) : null;
  if (m && m[1] !== release()) return { why: `the kernel headers at ${dir} are for ${m[1]}, not the running ${release()}` };
  if (!m && env === undefined) return { why: `${dir} does not say which kernel it is for (include/generated/utsrelease.h)` };
  return { dir, why: '' };
}

/** Debian splits a build directory: arch-specific files here, the rest in -common (named by its Makefile). */
function commonDir(dir: string): string {
  const mk = readSmall(join(dir, 'Makefile'));
  const m = mk ? /^include\s+(\S+)\/Makefile\s*$/m.exec(mk) : null;
  return m && existsSync(m[1]!) ? m[1]! : dir;
}

/** The include directories of a build directory, most specific first. */
export function kernelIncludeDirs(dir: string, arch = hostArch()): string[] {
  const a = arch === 'arm64' ? 'arm64' : 'x86';
  const c = commonDir(dir);
  const roots = [...new Set([dir, c])];
  const sub = [
    `arch/${a}/include/generated/uapi/asm`,
    `arch/${a}/include/generated/asm`,
    `arch/${a}/include/uapi/asm`,
    `arch/${a}/include/asm`,
    'include/generated/uapi/linux',
    'include/generated',
    'include/linux',
    'include/linux/sched',
    'include/uapi/linux',
    'include/net',
    'include/asm-generic',
    'include/uapi/asm-generic',
    'include/vdso',
  ];
  return sub.flatMap((s) => roots.map((r) => join(r, s))).filter((d) => existsSync(d));
}

/** What the kernel's own build defines before any header: its configuration, __KERNEL__, the arch. */
function kernelPredefined(dir: string): Lookup {
  const defs = new Map<string, MacroDef>();
  const one = (name: string, v: string, where: string) => defs.set(name, { name, body: tokenize(v), where });
  one('__KERNEL__', '1', '<predefined>');
  one(hostArch() === 'arm64' ? '__aarch64__' : '__x86_64__', '1', '<predefined>');
  one('__LP64__', '1', '<predefined>');
  one('__GNUC__', '12', '<predefined>');
  const conf = readSmall(join(dir, 'include/generated/autoconf.h'));
  for (const m of conf?.matchAll(/^#define\s+(CONFIG_\w+)\s+(.*)$/gm) ?? []) one(m[1]!, m[2]!, 'include/generated/autoconf.h');
  return (n) => defs.get(n) ?? (n.startsWith('CONFIG_') ? null : undefined);
}

export interface ToolMacros {
  readonly scope: MacroScope;
  /** Lines for stderr (a -I header that is not installed). */
  readonly notes: readonly string[];
}

/**
 * The scope for a tool run. `includes` are the `-I` arguments: a path names a file (read
 * through `readHeader`, which keeps -I's limits: regular files, size cap), a name like
 * `linux/fs.h` an installed kernel header (looked for in the kernel headers' include
 * directories, then /usr/include).
 */
export function toolMacros(
  host: ProbeHost,
  includes: readonly IncludeFile[] = [],
  o: { kernelHeaders?: () => { dir?: string; why: string } } = {},
): ToolMacros {
  const notes: string[] = [];
  const kh = o.kernelHeaders ?? kernelHeaderDir;
  let khInfo: { dir?: string; why: string } | undefined;
  const info = () => (khInfo ??= kh());
  const btf = () => host.kernelBtf();
  const enums = btfEnumSource(btf);
  const fallback = (n: string) => enums.constant(n);
  let kernelSet: HeaderSet | undefined;
  const kernel = () => {
    const d = info().dir;
    if (!d) return undefined;
    kernelSet ??= new HeaderSet(headersOf(kernelIncludeDirs(d)), kernelPredefined(d), fallback);
    return kernelSet;
  };
  const sources: ConstantSource[] = [];
  // What a -I header's definitions use without defining (O_CREAT, an enumerator): the others'.
  const others: ConstantSource[] = [];
  const fromOthers = (n: string) => {
    for (const s of others) {
      try {
        const c = s.constant(n);
        if (c) return c;
      } catch {
        // defined there but no constant: try the next
      }
    }
    return undefined;
  };
  for (const inc of includes) {
    if (inc.text === undefined) {
      notes.push(`-I ${inc.shown}: not installed (looked in ${inc.path ?? 'the kernel headers and /usr/include'}): kernel types and constants come from BTF`);
      continue;
    }
    const text = inc.text;
    const set = new HeaderSet({ paths: () => [inc.shown], read: () => text }, () => undefined, fromOthers);
    sources.push(headerSource(`-I ${inc.shown}`, () => set));
  }
  let fmt: string | undefined | null;
  const printFmt = () => {
    if (fmt === undefined) {
      try {
        fmt = host.tracepointFormat('kmem', 'kmalloc').printFmt;
      } catch {
        fmt = null;
      }
    }
    return fmt ?? undefined;
  };
  others.push(
    enums,
    printFormatSource(printFmt, 'tracefs kmem/kmalloc'),
    uapiSource(hostArch()),
    headerSource('kernel headers', kernel, () => info().why),
  );
  sources.push(...others.slice(0, 3), builtinAliases, others[3]!);
  return { scope: macroScope(sources), notes };
}

/** A -I argument found (`text`) or not; `file` when it names a file of the user's (structs are read too). */
export interface IncludeFile {
  readonly shown: string;
  readonly path?: string;
  readonly text?: string;
  readonly file?: boolean;
}

/**
 * A `-I` argument: a path is read as a file (`readFile`, with -I's checks); a bare name
 * (`linux/sched.h`, `<net/sock.h>`) is looked for among the installed headers.
 */
export function findInclude(arg: string, readFile: (shown: string, path: string) => string): IncludeFile {
  const name = arg.replace(/^<(.*)>$/, '$1');
  // A path, or a file of that name here (as `clang -include app.h` reads ./app.h).
  if (name.startsWith('/') || name.startsWith('.') || (name === arg && existsSync(name))) {
    const path = resolvePath(name);
    return { shown: arg, path, text: readFile(arg, path), file: true };
  }
  const { dir } = kernelHeaderDir();
  const roots = [...(dir ? kernelIncludeDirs(dir).map((d) => d.replace(/\/(linux|net|asm|asm-generic|vdso|sched)$/, '')) : []), '/usr/include'];
  const uniq = [...new Set(roots)];
  for (const r of uniq) {
    const p = join(r, name);
    if (existsSync(p)) return { shown: arg, path: p, text: readFile(arg, p) };
  }
  return { shown: arg, path: uniq.join(', ') };
}
