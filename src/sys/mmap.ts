/**
 * Shared mappings of kernel buffers (BPF ring buffers, perf rings) and epoll sets, over the
 * mmap/munmap/epoll bindings of ffi.ts. A Mapping is read in place through an ArrayBuffer
 * view of the mapped memory: no copy, and the kernel's writes are visible as they happen.
 *
 *   using m = Mapping.map(fd, 4096, PROT_READ | PROT_WRITE, 0);
 *   const pos = new BigUint64Array(m.buffer, 0, 1);
 *
 *   using ep = new Epoll();
 *   ep.add(fd, 7);
 *   const ready = await ep.waitAsync(100);   // on a worker thread: Node's loop keeps running
 */
import { readFileSync } from 'node:fs';
import { SysError } from '../errors.js';
import { errno, mmap, munmap, view, close as closeFd, epollCreate1, epollCtl, epollWait, epollWaitAsync, type Pointer } from './ffi.js';
import { errnoName } from './errno.js';
import { NativeBuffer } from './mem.js';

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;

let pageSizeCache: number | undefined;

/** The kernel page size: 4 KiB on x86-64; arm64 kernels may use 16 or 64 KiB pages (smaps says). */
export function pageSize(): number {
  if (pageSizeCache !== undefined) return pageSizeCache;
  let size = 4096;
  if (process.arch !== 'x64') {
    try {
      const m = /KernelPageSize:\s+(\d+) kB/.exec(readFileSync('/proc/self/smaps', 'utf8'));
      if (m) size = Number(m[1]) * 1024;
    } catch {
      // keep 4 KiB
    }
  }
  return (pageSizeCache = size);
}

/** A shared mapping of `length` bytes of `fd` at `offset`. */
export class Mapping implements Disposable {
  /** The mapped bytes (an external ArrayBuffer over the mapping). */
  readonly buffer: ArrayBuffer;
  #ptr: Pointer | null;

  private constructor(
    ptr: Pointer,
    readonly length: number,
  ) {
    this.#ptr = ptr;
    this.buffer = view(ptr, length);
  }

  static map(fd: number, length: number, prot: number, offset: number, what = 'mmap'): Mapping {
    const p = mmap(length, prot, MAP_SHARED, fd, offset);
    if (p === null) {
      const e = errno();
      throw new SysError('mmap', e, errnoName(e), what);
    }
    return new Mapping(p, length);
  }

  get closed(): boolean {
    return this.#ptr === null;
  }

  unmap(): void {
    if (this.#ptr === null) return;
    munmap(this.#ptr, this.length);
    this.#ptr = null;
  }

  [Symbol.dispose](): void {
    this.unmap();
  }
}

export const EPOLLIN = 1;
const EPOLL_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;
// struct epoll_event is packed on x86-64 (12 bytes: u32 events, u64 data), 16 bytes elsewhere.
const EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
const DATA_OFF = process.arch === 'x64' ? 4 : 8;
const MAX_EVENTS = 64;

/** An epoll set whose members carry a u32 tag (returned by wait for each ready member). */
export class Epoll implements Disposable {
  readonly fd: number;
  #events = new NativeBuffer(EVENT_SIZE * MAX_EVENTS);
  #one = new NativeBuffer(EVENT_SIZE);
  #closed = false;
  #pending = 0;

  constructor() {
    const fd = epollCreate1(EPOLL_CLOEXEC);
    if (fd < 0) {
      const e = errno();
      throw new SysError('epoll_create1', e, errnoName(e));
    }
    this.fd = fd;
  }

  add(fd: number, tag: number, events = EPOLLIN): void {
    this.#one.dv.setUint32(0, events, true);
    this.#one.dv.setBigUint64(DATA_OFF, BigInt(tag), true);
    if (epollCtl(this.fd, EPOLL_CTL_ADD, fd, this.#one.ptr) < 0) {
      const e = errno();
      throw new SysError('epoll_ctl', e, errnoName(e), `add fd ${fd}`);
    }
  }

  #tags(n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(Number(this.#events.dv.getBigUint64(i * EVENT_SIZE + DATA_OFF, true)));
    return out;
  }

  /** Waits without blocking: the tags of members ready now. */
  poll(): number[] {
    const n = epollWait(this.fd, this.#events.ptr, MAX_EVENTS, 0);
    return n > 0 ? this.#tags(n) : [];
  }

  /**
   * Waits up to `timeoutMs` on a worker thread. Resolves with the ready tags ([] on timeout or
   * EINTR). Only one wait may be outstanding at a time (they share the event array).
   */
  async waitAsync(timeoutMs: number): Promise<number[]> {
    if (this.#pending) throw new Error('internal: Epoll.waitAsync while another wait is pending');
    this.#pending++;
    try {
      const r = await epollWaitAsync(this.fd, this.#events.ptr, MAX_EVENTS, timeoutMs);
      if (this.#closed) return [];
      return r.n > 0 ? this.#tags(r.n) : [];
    } finally {
      this.#pending--;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeFd(this.fd);
    this.#one.free();
    // A wait still running on a worker thread may write into the event array: keep it alive
    // until the process exits rather than free it under the worker.
    if (!this.#pending) this.#events.free();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
