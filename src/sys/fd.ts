import { close } from './ffi.js';

/** An owned file descriptor. Closing is idempotent. */
export class Fd implements Disposable {
  #fd: number;
  constructor(fd: number) {
    this.#fd = fd;
  }
  get value(): number {
    if (this.#fd < 0) throw new Error('use of a closed fd');
    return this.#fd;
  }
  get closed(): boolean {
    return this.#fd < 0;
  }
  close(): void {
    if (this.#fd >= 0) {
      close(this.#fd);
      this.#fd = -1;
    }
  }
  [Symbol.dispose](): void {
    this.close();
  }
}
