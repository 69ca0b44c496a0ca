/**
 * Process file descriptors (pidfd_open(2), Linux 5.3+) and a non-blocking poll(2).
 * A pidfd turns readable when the process exits, whoever its parent is; unlike /proc/PID it
 * does not wait for a zombie to be reaped, and a recycled PID cannot be mistaken for it.
 */
import { SysError } from '../errors.js';
import { errno, rawSyscall3, poll } from './ffi.js';
import { errnoName } from './errno.js';
import { Fd } from './fd.js';
import { NativeBuffer } from './mem.js';

/** pidfd_open is 434 in the unified syscall table (x86-64 and arm64 alike). */
const NR_PIDFD_OPEN = 434;
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
