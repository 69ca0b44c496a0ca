/**
 * How a library or binary name in a probe spec becomes a file (BCC `bcc_procutils_which_so`,
 * `BPF.find_exe`, USDT `Context::resolve_bin_path`).
 *
 * uprobes (`p:c:malloc`): a name with `/` is a path; with a pid, the first `.so` mapping of the
 * process named `/lib<name>.` or `/lib<name>-`; then the first ld.so.cache entry named
 * `lib<name>.so*` of the host's ABI; then an executable on `$PATH` (broken in BCC 0.26, done
 * properly here). USDT (`u:python3.11:...`): a `$PATH` executable wins over a library.
 * With a pid, the result is seen through `/proc/PID/root` (the process's mount namespace), as
 * BCC does. Unlike BCC, a path given with `/` must exist.
 */
import { accessSync, constants, statSync, readFileSync } from 'node:fs';
import { ResolveError } from '../errors.js';
import { readLdCache, matchesHostAbi, type LdCache } from './ldcache.js';
import { parseMaps, type MapEntry } from './procmaps.js';

export type ResolvedHow = 'path' | 'maps' | 'ldcache' | 'PATH';

export interface ResolvedLibrary {
  /** The path to open and attach to (rewritten through `/proc/PID/root` with a pid). */
  readonly path: string;
  /** The path as the host (no pid) or the process (with a pid) names it. */
  readonly original: string;
  readonly how: ResolvedHow;
}

export interface ResolveOptions {
  readonly pid?: number;
  /** Test seams: */
  readonly ldCache?: LdCache;
  readonly PATH?: string;
  readonly maps?: readonly MapEntry[];
  readonly procRoot?: string;
  readonly arch?: string;
}

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function throughPidRoot(p: string, pid: number | undefined, procRoot: string): string {
  if (pid === undefined || pid === 0 || pid === -1) return p;
  if (!p.startsWith('/') || p.startsWith('/proc/')) return p;
  return `${procRoot}/${pid}/root${p}`;
}

/** The first `.so` mapping of the process named `/lib<name>.` or `/lib<name>-`. */
export function findInMaps(name: string, maps: readonly MapEntry[]): string | undefined {
  const a = `/lib${name}.`;
  const b = `/lib${name}-`;
  for (const m of maps) {
    if (m.path.includes('.so') && (m.path.includes(a) || m.path.includes(b))) return m.path;
  }
  return undefined;
}

/** The first ld.so.cache entry named `lib<name>.so*` with the host's ABI. */
export function findInLdCache(name: string, cache: LdCache, arch: string = process.arch): string | undefined {
  const soname = `lib${name}.so`;
  for (const e of cache.entries) {
    if (e.name.startsWith(soname) && matchesHostAbi(e.flags, arch)) return e.path;
  }
  return undefined;
}

/** The first regular executable file `<dir>/<name>` over `$PATH` (quotes stripped). */
export function findOnPath(name: string, PATH: string = process.env['PATH'] ?? ''): string | undefined {
  if (name.includes('/') || name === '') return undefined;
  for (let dir of PATH.split(':')) {
    dir = dir.replaceAll('"', '');
    if (dir === '') continue;
    const p = `${dir.endsWith('/') ? dir.slice(0, -1) : dir}/${name}`;
    if (isExecutableFile(p)) return p;
  }
  return undefined;
}

function soFromMapsOrCache(name: string, opts: ResolveOptions, procRoot: string): { p: string; how: ResolvedHow } | undefined {
  const pid = opts.pid;
  if (pid !== undefined && pid > 0) {
    let maps = opts.maps;
    if (!maps) {
      try {
        maps = parseMaps(readFileSync(`${procRoot}/${pid}/maps`, 'utf8'));
      } catch {
        throw new ResolveError(`unable to find library ${name}: cannot read the memory maps of pid ${pid} (no such process?)`);
      }
    }
    const p = findInMaps(name, maps);
    if (p) return { p, how: 'maps' };
  }
  let cache = opts.ldCache;
  if (!cache) {
    try {
      cache = readLdCache();
    } catch {
      cache = undefined;
    }
  }
  const p = cache && findInLdCache(name, cache, opts.arch);
  return p ? { p, how: 'ldcache' } : undefined;
}

/** Resolves a uprobe library name (libraries before executables). */
export function resolveLibrary(name: string, opts: ResolveOptions = {}): ResolvedLibrary {
  const procRoot = opts.procRoot ?? '/proc';
  if (name === '') throw new ResolveError('unable to find library (empty name)');
  if (name.includes('/')) {
    const path = throughPidRoot(name, opts.pid, procRoot);
    if (!exists(path)) throw new ResolveError(`unable to find library ${name}: no such file`);
    return { path, original: name, how: 'path' };
  }
  const so = soFromMapsOrCache(name, opts, procRoot);
  if (so) return { path: throughPidRoot(so.p, opts.pid, procRoot), original: so.p, how: so.how };
  const exe = findOnPath(name, opts.PATH);
  if (exe) return { path: throughPidRoot(exe, opts.pid, procRoot), original: exe, how: 'PATH' };
  throw new ResolveError(`unable to find library ${name}`);
}

/** Resolves a USDT binary name (executables before libraries, BCC `resolve_bin_path`). */
export function resolveUsdtBinary(name: string, pid?: number, opts: Omit<ResolveOptions, 'pid'> = {}): ResolvedLibrary {
  const procRoot = opts.procRoot ?? '/proc';
  if (name === '') throw new ResolveError('unable to find binary (empty name)');
  if (name.includes('/')) {
    const path = throughPidRoot(name, pid, procRoot);
    if (!exists(path)) throw new ResolveError(`unable to find binary ${name}: no such file`);
    return { path, original: name, how: 'path' };
  }
  const exe = findOnPath(name, opts.PATH);
  if (exe) return { path: throughPidRoot(exe, pid, procRoot), original: exe, how: 'PATH' };
  // BCC passes pid 0 here: the process's own maps are not searched for USDT binaries.
  const so = soFromMapsOrCache(name, { ...opts }, procRoot);
  if (so) return { path: throughPidRoot(so.p, pid, procRoot), original: so.p, how: so.how };
  throw new ResolveError(`unable to find binary ${name}`);
}
