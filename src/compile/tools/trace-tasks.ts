/**
 * trace's per-thread cache of what a record's header says about its task (tgid, comm).
 */
import { COMM_OFFSET, COMM_SIZE } from './trace.js';
import { bufferOf, cString } from './trace-record.js';

export interface TaskEntry {
  readonly tid: number;
  tgid: number;
  comm: string;
  /** What the tool derives from (tgid, tid, comm), e.g. its text columns; reset when they change. */
  columns: string | undefined;
  w0: number;
  w1: number;
  w2: number;
  w3: number;
}

/**
 * tgid and comm per thread, so that a busy thread's comm is decoded once, not per event: an
 * entry is reused while the record's tgid and comm bytes (four u32 loads) are unchanged.
 */
export class TaskCache {
  readonly #m = new Map<number, TaskEntry>();
  #lastBuffer: ArrayBufferLike | undefined;
  #buf: Buffer | undefined;

  get(bytes: Uint8Array, dv: DataView, off: number): TaskEntry {
    const tid = dv.getUint32(off + 8, true);
    const tgid = dv.getUint32(off + 12, true);
    const c = off + COMM_OFFSET;
    const w0 = dv.getInt32(c, true);
    const w1 = dv.getInt32(c + 4, true);
    const w2 = dv.getInt32(c + 8, true);
    const w3 = dv.getInt32(c + 12, true);
    let e = this.#m.get(tid);
    if (e !== undefined && e.tgid === tgid && e.w0 === w0 && e.w1 === w1 && e.w2 === w2 && e.w3 === w3) return e;
    if (bytes.buffer !== this.#lastBuffer) {
      this.#lastBuffer = bytes.buffer;
      this.#buf = bufferOf(bytes);
    }
    const comm = cString(this.#buf!, bytes.byteOffset + c, COMM_SIZE);
    if (e === undefined) {
      if (this.#m.size > 65536) this.#m.clear();
      e = { tid, tgid, comm, columns: undefined, w0, w1, w2, w3 };
      this.#m.set(tid, e);
    } else {
      Object.assign(e, { tgid, comm, columns: undefined, w0, w1, w2, w3 });
    }
    return e;
  }
}
