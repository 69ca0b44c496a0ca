/**
 * Watching, without blocking, for the end of things a tool's run depends on: the traced
 * process (`-p`) and the reader of stdout. Polled from report/lifecycle.ts.
 */
import { pidfdOpen, pollNow, POLLIN, POLLERR, POLLHUP } from '../sys/pidfd.js';
import type { Fd } from '../sys/fd.js';

/**
 * The exit of process `pid`: its pidfd turns readable (Linux 5.3+: no wait for the zombie to be
 * reaped, and a recycled PID cannot be mistaken for it); where pidfd_open is missing, /proc/PID
 * disappearing.
 */
export class ProcessExit implements Disposable {
  readonly #fd: Fd | undefined;

  constructor(readonly pid: number) {
    let fd: Fd | undefined;
    try {
      fd = pidfdOpen(pid);
    } catch {
      fd = undefined;
    }
    this.#fd = fd;
  }

  exited(): boolean {
    const fd = this.#fd;
    if (fd && !fd.closed) return (pollNow([{ fd: fd.value, events: POLLIN }])[0]! & POLLIN) !== 0;
    return !procExists(this.pid);
  }

  close(): void {
    this.#fd?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function procExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True once the reader of the pipe or socket on `fd` is gone: nothing written there can be read. */
export function pipeReaderGone(fd = 1): boolean {
  return (pollNow([{ fd, events: 0 }])[0]! & (POLLERR | POLLHUP)) !== 0;
}
