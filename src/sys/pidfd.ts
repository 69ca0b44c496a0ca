/**
 * Process file descriptors (pidfd_open(2), Linux 5.3+; pidfd_getfd(2), 5.6+), pipes, and a
 * non-blocking poll(2).
 * A pidfd turns readable when the process exits, whoever its parent is; unlike /proc/PID it
 * does not wait for a zombie to be reaped, and a recycled PID cannot be mistaken for it.
 */
import { SysError } from '../errors.js';
import { close, errno, rawSyscall3, poll, pipe2 } from './ffi.js';
import { errnoName } from './errno.js';
import { Fd } from './fd.js';
import { NativeBuffer } from './mem.js';

/** pidfd_open is 434 in the unified syscall table (x86-64 and arm64 alike). */
const NR_PIDFD_OPEN = 434;
/** pidfd_getfd is 438 in the same table. */
const NR_PIDFD_GETFD = 438;
const O_CLOEXEC = 0o2000000;
export const POLLIN = 0x1;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;

export function pidfdOpen(pid: number): Fd {
  const fd = rawSyscall3(NR_PIDFD_OPEN, pid, 0n, 0);
  if (fd < 0) {
    const e = errno();
    throw new SysError('pidfd_open', e, errnoName(e), `pid ${pid}`);
  }
  return new Fd(fd);
}

/** poll(2) with no wait: the `revents` of each `{ fd, events }`, in order. */
export function pollNow(fds: ReadonlyArray<{ readonly fd: number; readonly events: number }>): number[] {
  const buf = new NativeBuffer(8 * Math.max(fds.length, 1));
  try {
    fds.forEach((f, i) => {
      buf.dv.setInt32(i * 8, f.fd, true);
      buf.dv.setInt16(i * 8 + 4, f.events, true);
    });
    for (;;) {
      const n = poll(buf.ptr, fds.length, 0);
      if (n >= 0) break;
      const e = errno();
      // A signal (the user's Ctrl-C) can land in a zero-timeout poll too: ask again.
      if (errnoName(e) === 'EINTR') continue;
      throw new SysError('poll', e, errnoName(e));
    }
    return fds.map((_f, i) => buf.dv.getInt16(i * 8 + 6, true));
  } finally {
    buf.free();
  }
}

/** True once the process behind `fd` has exited. */
export function pidfdExited(fd: Fd): boolean {
  return (pollNow([{ fd: fd.value, events: POLLIN }])[0]! & POLLIN) !== 0;
}

/**
 * A duplicate, in this process, of fd `targetFd` of the process behind `pidfd` (close-on-exec).
 * Needs ptrace rights over it (root has them).
 */
export function pidfdGetfd(pidfd: number, targetFd: number): number {
  const fd = rawSyscall3(NR_PIDFD_GETFD, pidfd, BigInt(targetFd), 0);
  if (fd < 0) {
    const e = errno();
    throw new SysError('pidfd_getfd', e, errnoName(e), `fd ${targetFd}`);
  }
  return fd;
}

/** A blocking pipe, both ends close-on-exec: [read end, write end]. */
export function pipeCloexec(): [number, number] {
  const buf = new NativeBuffer(8);
  try {
    if (pipe2(buf.ptr, O_CLOEXEC) < 0) {
      const e = errno();
      throw new SysError('pipe2', e, errnoName(e));
    }
    return [buf.dv.getInt32(0, true), buf.dv.getInt32(4, true)];
  } finally {
    buf.free();
  }
}

/** Whether the kernel has pidfd_getfd: asked with pidfd -1, EBADF says it does. */
export function pidfdGetfdExists(): boolean {
  const fd = rawSyscall3(NR_PIDFD_GETFD, -1, 0n, 0);
  if (fd >= 0) {
    close(fd);
    return true;
  }
  return errnoName(errno()) !== 'ENOSYS';
}
