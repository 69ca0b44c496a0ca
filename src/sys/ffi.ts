/**
 * The only module that imports koffi. It binds the handful of libc entry points polytrace
 * needs and exposes them as plain functions over numbers, bigints and native buffers.
 * Everything above works with `NativeBuffer`s so that pointers placed inside syscall
 * attribute structs stay valid (V8 may move small typed arrays; native memory never moves).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Koffi = typeof import('koffi');

/**
 * koffi's index.js eagerly loads https, zlib and crypto for its prebuilt-binary downloader
 * (about 20 ms of start-up); everything we use is in the native addon, so load that directly
 * and fall back to the package entry point if the layout is not the one we know. The package
 * is looked for where Node's resolution finds it first from dist/<dir>/ (the repository's or
 * the installing project's node_modules) before asking require.resolve, which costs ~1 ms of
 * package.json and exports lookups at every start.
 */
function loadKoffi(): Koffi {
  const nodeRequire = createRequire(import.meta.url);
  const here = dirname(fileURLToPath(import.meta.url));
  const guesses = [join(here, '..', '..', 'node_modules', 'koffi'), join(here, '..', '..', '..', 'koffi')];
  for (const dir of guesses) {
    const native = loadNative(dir);
    if (native) return native;
  }
  try {
    const native = loadNative(dirname(nodeRequire.resolve('koffi')));
    if (native) return native;
  } catch {
    // Unknown layout: use the package entry point.
  }
  return nodeRequire('koffi') as Koffi;
}

/** koffi's native addon in package directory `dir`, if it is there and of the package's version. */
function loadNative(dir: string): Koffi | undefined {
  let version: string;
  try {
    version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
  const mod = { exports: {} as Koffi & { version: string } };
  try {
    process.dlopen(mod, join(dir, 'build', 'koffi', `${process.platform}_${process.arch}`, 'koffi.node'));
  } catch {
    return undefined;
  }
  return mod.exports.version === version ? mod.exports : undefined;
}

const koffi = loadKoffi();

const libc = koffi.load('libc.so.6');

// syscall(2) is variadic; every argument we pass is an integer or a pointer, which the
// x86-64 and arm64 ABIs pass in the same registers whether or not the callee is variadic,
// so fixed-arity prototypes are safe and much cheaper to call than koffi's variadic path.
const syscall3 = libc.func('long syscall(long nr, long a, uint64_t b, long c)');
const syscall5 = libc.func('long syscall(long nr, uint64_t a, long b, long c, long d, unsigned long e)');
const ioctlFn = libc.func('int ioctl(int fd, unsigned long req, uint64_t arg)');
const closeFn = libc.func('int close(int fd)');
const mmapFn = libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)');
const munmapFn = libc.func('int munmap(void *addr, size_t len)');
const epollCreate1Fn = libc.func('int epoll_create1(int flags)');
const epollCtlFn = libc.func('int epoll_ctl(int epfd, int op, int fd, void *event)');
const epollWaitFn = libc.func('int epoll_wait(int epfd, void *events, int maxevents, int timeout)');
const mountFn = libc.func('int mount(const char *src, const char *target, const char *fstype, unsigned long flags, const char *data)');
const getrlimitFn = libc.func('int getrlimit(int resource, void *rlim)');
const setrlimitFn = libc.func('int setrlimit(int resource, void *rlim)');
const pollFn = libc.func('int poll(void *fds, unsigned long nfds, int timeout)');
const pipe2Fn = libc.func('int pipe2(void *fds, int flags)');

let mallocTrimFn: ((pad: number) => number) | null | undefined;

/**
 * glibc's `malloc_trim(0)`: give the free pages of every malloc arena back to the kernel.
 * Bound at first use; false where libc has no such function (musl) or nothing was released.
 */
export function mallocTrim(): boolean {
  if (mallocTrimFn === undefined) {
    try {
      mallocTrimFn = libc.func('int malloc_trim(size_t pad)') as (pad: number) => number;
    } catch {
      mallocTrimFn = null;
    }
  }
  return mallocTrimFn !== null && mallocTrimFn(0) === 1;
}

export type Pointer = unknown;

export function errno(): number {
  return koffi.errno();
}

export function rawSyscall3(nr: number, a: number, b: bigint, c: number): number {
  return Number(syscall3(nr, a, b, c));
}

export function rawSyscall5(nr: number, a: bigint, b: number, c: number, d: number, e: number): number {
  return Number(syscall5(nr, a, b, c, d, e));
}

export function ioctl(fd: number, req: number, arg: bigint): number {
  return ioctlFn(fd, req, arg) as number;
}

export function close(fd: number): number {
  return closeFn(fd) as number;
}

export function mmap(len: number, prot: number, flags: number, fd: number, off: number): Pointer | null {
  const p = mmapFn(null, len, prot, flags, fd, off);
  // MAP_FAILED is (void *)-1.
  if (p === null || koffi.address(p) === 0xffffffffffffffffn) return null;
  return p;
}

export function munmap(p: Pointer, len: number): number {
  return munmapFn(p, len) as number;
}

export function view(p: Pointer, len: number): ArrayBuffer {
  return koffi.view(p, len) as ArrayBuffer;
}

export function address(p: Pointer): bigint {
  return koffi.address(p) as bigint;
}

export function allocBytes(len: number): Pointer {
  return koffi.alloc('uint8_t', Math.max(len, 1));
}

export function freeBytes(p: Pointer): void {
  koffi.free(p);
}

export function epollCreate1(flags: number): number {
  return epollCreate1Fn(flags) as number;
}

export function epollCtl(epfd: number, op: number, fd: number, event: Pointer | null): number {
  return epollCtlFn(epfd, op, fd, event) as number;
}

export function epollWait(epfd: number, events: Pointer, max: number, timeoutMs: number): number {
  return epollWaitFn(epfd, events, max, timeoutMs) as number;
}

/** epoll_wait on a worker thread, so Node's event loop keeps running while we block. */
export function epollWaitAsync(epfd: number, events: Pointer, max: number, timeoutMs: number): Promise<{ n: number; errno: number }> {
  return new Promise((resolve, reject) => {
    epollWaitFn.async(epfd, events, max, timeoutMs, (err: unknown, n: number) => {
      if (err) reject(err);
      // errno of a worker-thread call is not visible here; -1 is reported as EINTR-like.
      else resolve({ n, errno: n < 0 ? 4 : 0 });
    });
  });
}

export function mount(src: string, target: string, fstype: string, flags: number, data: string | null): number {
  return mountFn(src, target, fstype, flags, data) as number;
}

export function getrlimit(resource: number, buf: Pointer): number {
  return getrlimitFn(resource, buf) as number;
}

export function setrlimit(resource: number, buf: Pointer): number {
  return setrlimitFn(resource, buf) as number;
}

/** poll(2) over an array of `struct pollfd` in native memory. */
export function poll(fds: Pointer, nfds: number, timeoutMs: number): number {
  return pollFn(fds, nfds, timeoutMs) as number;
}

/** pipe2(2) into `fds` (two ints in native memory). */
export function pipe2(fds: Pointer, flags: number): number {
  return pipe2Fn(fds, flags) as number;
}

// The dynamic linker, for IFUNC resolution (pipeline/ifunc.ts); bound on first use.
const RTLD_LAZY = 0x1;
const RTLD_NOLOAD = 0x4;
let dl:
  | {
      open: (file: string, mode: number) => Pointer | null;
      sym: (handle: Pointer, name: string) => Pointer | null;
      vsym: (handle: Pointer, name: string, version: string) => Pointer | null;
      close: (handle: Pointer) => number;
    }
  | undefined;

/**
 * The address this process's dynamic linker gives `name` (at symbol version `version`, when
 * given) in the object loaded from `file`: for an IFUNC, the implementation its resolver
 * chose. Only for an object already loaded (RTLD_NOLOAD: nothing is loaded, no constructor
 * runs); undefined when it is not loaded or has no such symbol.
 */
export function loadedSymbolAddress(file: string, name: string, version?: string): bigint | undefined {
  dl ??= {
    open: libc.func('void *dlopen(const char *file, int mode)'),
    sym: libc.func('void *dlsym(void *handle, const char *name)'),
    vsym: libc.func('void *dlvsym(void *handle, const char *name, const char *version)'),
    close: libc.func('int dlclose(void *handle)'),
  };
  const handle = dl.open(file, RTLD_LAZY | RTLD_NOLOAD);
  if (handle === null) return undefined;
  try {
    const p = version === undefined ? dl.sym(handle, name) : dl.vsym(handle, name, version);
    return p === null ? undefined : (koffi.address(p) as bigint);
  } finally {
    dl.close(handle);
  }
}
