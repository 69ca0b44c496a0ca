/**
 * A BPF ring buffer (BPF_MAP_TYPE_RINGBUF, 5.8+) consumed in place.
 *
 * Layout (kernel/bpf/ringbuf.c): page 0 of the map's mmap space is the consumer page (our
 * position; mapped read-write), page 1 the producer page (the kernel's position), then the
 * data pages, which the kernel maps twice in a row so that a record wrapping past the end is
 * still contiguous. Each record is an 8-byte header `{u32 len | BUSY<<31 | DISCARD<<30; u32
 * pg_off}` followed by `len` bytes, the whole rounded up to 8.
 *
 * The program side is `bpf_ringbuf_reserve/submit` (or `output`); records still BUSY stop the
 * batch, DISCARDed ones are skipped. The consumer position is advanced once per batch, so a
 * batch's records are read straight out of the mapping, never copied.
 *
 *   using rb = RingBuffer.open(map);          // map: a BpfMap of type Ringbuf
 *   for (;;) { if (!rb.drain(onRecord)) await rb.wait(100); }
 */
import { Mapping, Epoll, PROT_READ, PROT_WRITE, pageSize } from '../sys/mmap.js';
import { MapType, type MapSpec } from '../emit/types.js';
import { possibleCpus } from '../kernel/cpus.js';
import type { BpfMap } from '../kernel/map.js';
import type { EventReader, RecordSink } from './types.js';

const BUSY = 0x8000_0000;
const DISCARD = 0x4000_0000;
const HDR = 8;

/** The default ring: at least 4 MiB. */
export const DEFAULT_RING_BYTES = 4 << 20;

/**
 * Ring size for `-b PAGES` (pages per CPU, BCC's perf-buffer unit): pages × page size × CPUs,
 * rounded up to a power of two; at least 4 MiB when `pages` is not given.
 */
export function ringBytes(pages: number | undefined, cpus = possibleCpus().length, page = pageSize()): number {
  const want = pages === undefined ? DEFAULT_RING_BYTES : Math.max(pages * page * cpus, page);
  let size = page;
  while (size < want) size *= 2;
  return size;
}

export function ringbufMapSpec(bytes: number, name = 'events'): MapSpec {
  if (bytes <= 0 || (bytes & (bytes - 1)) !== 0) throw new Error(`internal: ring buffer size ${bytes} is not a power of two`);
  return { name, type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: bytes };
}

export class RingBuffer implements EventReader {
  readonly kind = 'ringbuf' as const;
  readonly #consumerMap: Mapping;
  readonly #dataMap: Mapping;
  readonly #consumer: BigInt64Array;
  readonly #producer: BigInt64Array;
  /** u32 view of the data area, for atomic header loads. */
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #dv: DataView;
  readonly #mask: number;
  readonly #epoll: Epoll;
  #pos: number;
  #closed = false;

  private constructor(
    fd: number,
    readonly size: number,
  ) {
    const page = pageSize();
    this.#consumerMap = Mapping.map(fd, page, PROT_READ | PROT_WRITE, 0, 'ring buffer consumer page');
    try {
      this.#dataMap = Mapping.map(fd, page + 2 * size, PROT_READ, page, 'ring buffer data pages');
    } catch (e) {
      this.#consumerMap.unmap();
      throw e;
    }
    this.#consumer = new BigInt64Array(this.#consumerMap.buffer, 0, 1);
    this.#producer = new BigInt64Array(this.#dataMap.buffer, 0, 1);
    this.#words = new Int32Array(this.#dataMap.buffer, page, (2 * size) / 4);
    this.#bytes = new Uint8Array(this.#dataMap.buffer, page, 2 * size);
    this.#dv = new DataView(this.#dataMap.buffer, page, 2 * size);
    this.#mask = size - 1;
    this.#pos = Number(Atomics.load(this.#consumer, 0));
    this.#epoll = new Epoll();
    this.#epoll.add(fd, 0);
  }

  static open(map: BpfMap): RingBuffer {
    if (map.spec.type !== MapType.Ringbuf) throw new Error(`internal: map ${map.name} is not a ring buffer`);
    return new RingBuffer(map.fd.value, map.spec.maxEntries);
  }

  drain(sink: RecordSink, max = 4096): number {
    if (this.#closed) return 0;
    let pos = this.#pos;
    let n = 0;
    const prod = Number(Atomics.load(this.#producer, 0));
    const words = this.#words;
    const mask = this.#mask;
    while (pos < prod && n < max) {
      const at = pos & mask;
      const len = Atomics.load(words, at >> 2) >>> 0;
      if (len & BUSY) break;
      const dataLen = len & ~(BUSY | DISCARD);
      if (!(len & DISCARD)) {
        n++;
        sink(this.#bytes, this.#dv, at + HDR, dataLen);
      }
      pos += (dataLen + HDR + 7) & ~7;
    }
    if (pos !== this.#pos) {
      this.#pos = pos;
      Atomics.store(this.#consumer, 0, BigInt(pos));
    }
    return n;
  }

  /** Whether records are waiting (the producer is ahead of us). */
  pending(): boolean {
    return !this.#closed && Number(Atomics.load(this.#producer, 0)) > this.#pos;
  }

  async wait(timeoutMs: number): Promise<void> {
    // The kernel only wakes a consumer that has caught up: check before sleeping.
    if (this.#closed || this.pending()) return;
    await this.#epoll.waitAsync(timeoutMs);
  }

  transportLost(): bigint {
    return 0n;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#epoll.close();
    this.#dataMap.unmap();
    this.#consumerMap.unmap();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
