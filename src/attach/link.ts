/** An attachment of a program to a hook. Closing detaches; it is idempotent. */
export interface Link extends Disposable {
  readonly description: string;
  /**
   * Closing waits for the kernel: a perf event's release waits for an RCU grace period (about
   * 70–100 ms here, longer on faultable syscall tracepoints), so hundreds of them take
   * tens of seconds to detach. The session says so when it releases many.
   */
  readonly slowClose?: boolean;
  close(): void;
}

/** A Link over a set of fds (a bpf_link and the perf event it hangs on, say). */
export class FdLink implements Link {
  #closers: Array<() => void>;
  readonly slowClose: boolean;
  constructor(
    readonly description: string,
    closers: Array<() => void>,
    o: { slowClose?: boolean } = {},
  ) {
    this.#closers = closers;
    this.slowClose = !!o.slowClose;
  }
  close(): void {
    const cs = this.#closers;
    this.#closers = [];
    for (const c of cs) c();
  }
  [Symbol.dispose](): void {
    this.close();
  }
}
