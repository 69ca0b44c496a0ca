/** An attachment of a program to a hook. Closing detaches; it is idempotent. */
export interface Link extends Disposable {
  readonly description: string;
  close(): void;
}

/** A Link over a set of fds (a bpf_link and the perf event it hangs on, say). */
export class FdLink implements Link {
  #closers: Array<() => void>;
  constructor(readonly description: string, closers: Array<() => void>) {
    this.#closers = closers;
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
