import { allocBytes, freeBytes, view, address, type Pointer } from './ffi.js';

/**
 * Native memory that never moves, with a byte view and its address. Syscall attribute
 * structs carry pointers to keys, values, instructions and log buffers as u64s; those
 * must point at memory the garbage collector cannot relocate.
 */
export class NativeBuffer implements Disposable {
  readonly ptr: Pointer;
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  readonly addr: bigint;
  #freed = false;

  constructor(readonly size: number) {
    this.ptr = allocBytes(size);
    const ab = view(this.ptr, Math.max(size, 1));
    this.bytes = new Uint8Array(ab, 0, size);
    this.dv = new DataView(ab, 0, Math.max(size, 1));
    this.addr = address(this.ptr);
    this.bytes.fill(0);
  }

  static from(data: Uint8Array): NativeBuffer {
    const b = new NativeBuffer(data.length);
    b.bytes.set(data);
    return b;
  }

  /** A NUL-terminated C string. */
  static cString(s: string): NativeBuffer {
    const enc = new TextEncoder().encode(s);
    const b = new NativeBuffer(enc.length + 1);
    b.bytes.set(enc);
    return b;
  }

  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    freeBytes(this.ptr);
  }

  [Symbol.dispose](): void {
    this.free();
  }
}
