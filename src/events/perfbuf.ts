/**
 * The perf buffer fallback for kernels without BPF ring buffers (or POLYTRACE_DISABLE=ringbuf):
 * a BPF_MAP_TYPE_PERF_EVENT_ARRAY whose slot N holds a PERF_COUNT_SW_BPF_OUTPUT event opened
 * on CPU N, each with its own mmap'd ring (one metadata page + 2^n data pages). The program
 * writes with `bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, data, size)`.
 *
 * Each ring holds perf records: `{u32 type; u16 misc; u16 size}` then, for PERF_RECORD_SAMPLE
 * with PERF_SAMPLE_RAW, `{u32 raw_size; u8 raw[raw_size]}`; PERF_RECORD_LOST carries `{u64 id;
 * u64 lost}` when the kernel had to drop samples. The rings are not double-mapped, so a record
 * that wraps is copied into a scratch buffer; all others are read in place.
 */
import { Mapping, Epoll, PROT_READ, PROT_WRITE, pageSize } from '../sys/mmap.js';
import { perfEventOpen, perfIoctl, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT, PERF_SAMPLE_RAW, PERF_EVENT_IOC_ENABLE } from '../sys/perf.js';
import { close } from '../sys/ffi.js';
import { MapType, type MapSpec } from '../emit/types.js';
import { onlineCpus, possibleCpus } from '../kernel/cpus.js';
import type { BpfMap } from '../kernel/map.js';
import type { EventReader, RecordSink } from './types.js';

const PERF_RECORD_LOST = 2;
const PERF_RECORD_SAMPLE = 9;
/** Offsets in struct perf_event_mmap_page. */
const DATA_HEAD = 1024;
const DATA_TAIL = 1032;

/** BPF_F_CURRENT_CPU: the flags argument of bpf_perf_event_output. */
export const BPF_F_CURRENT_CPU = 0xffff_ffff;

export function perfEventArraySpec(name = 'events'): MapSpec {
  return { name, type: MapType.PerfEventArray, keySize: 4, valueSize: 4, maxEntries: possibleCpus().length };
}

/** Data pages per CPU for `-b PAGES` (BCC's default 64); must be a power of two. */
export function perfPages(pages: number | undefined): number {
  const n = pages ?? 64;
  if (n <= 0 || (n & (n - 1)) !== 0) throw new Error(`internal: perf buffer page count ${n} is not a power of two`);
  return n;
}

class CpuRing {
  readonly #map: Mapping;
  readonly #meta: BigInt64Array;
  readonly #bytes: Uint8Array;
  readonly #dv: DataView;
  readonly #size: number;
  #scratch = new Uint8Array(256);
  #scratchDv = new DataView(this.#scratch.buffer);

  constructor(
    readonly fd: number,
    readonly cpu: number,
    pages: number,
  ) {
    const page = pageSize();
    this.#size = pages * page;
    this.#map = Mapping.map(fd, page + this.#size, PROT_READ | PROT_WRITE, 0, `perf buffer of CPU ${cpu}`);
    this.#meta = new BigInt64Array(this.#map.buffer, 0, page / 8);
    this.#bytes = new Uint8Array(this.#map.buffer, page, this.#size);
    this.#dv = new DataView(this.#map.buffer, page, this.#size);
  }

  pending(): boolean {
    return Atomics.load(this.#meta, DATA_HEAD / 8) !== Atomics.load(this.#meta, DATA_TAIL / 8);
  }

  /** Hands samples to `sink`; returns [samples, lost]. */
  drain(sink: RecordSink, max: number): [number, bigint] {
    const head = Number(Atomics.load(this.#meta, DATA_HEAD / 8));
    let tail = Number(Atomics.load(this.#meta, DATA_TAIL / 8));
    const size = this.#size;
    let n = 0;
    let lost = 0n;
    while (tail < head && n < max) {
      const at = tail % size;
      let bytes = this.#bytes;
      let dv = this.#dv;
      let off = at;
      // The 8-byte header itself never wraps (records are 8-aligned); the body may.
      const recSize = dv.getUint16(at + 6, true);
      if (at + recSize > size) {
        if (this.#scratch.length < recSize) {
          this.#scratch = new Uint8Array(recSize * 2);
          this.#scratchDv = new DataView(this.#scratch.buffer);
        }
        const first = size - at;
        this.#scratch.set(this.#bytes.subarray(at, size), 0);
        this.#scratch.set(this.#bytes.subarray(0, recSize - first), first);
        bytes = this.#scratch;
        dv = this.#scratchDv;
        off = 0;
      }
      const type = dv.getUint32(off, true);
      if (type === PERF_RECORD_SAMPLE) {
        const rawSize = dv.getUint32(off + 8, true);
        n++;
        sink(bytes, dv, off + 12, rawSize);
      } else if (type === PERF_RECORD_LOST) {
        lost += dv.getBigUint64(off + 16, true);
      }
      if (recSize === 0) break; // never: a corrupt header would spin
      tail += recSize;
    }
    Atomics.store(this.#meta, DATA_TAIL / 8, BigInt(tail));
    return [n, lost];
  }

  close(): void {
    this.#map.unmap();
    close(this.fd);
  }
}

export class PerfBuffer implements EventReader {
  readonly kind = 'perfbuf' as const;
  readonly #rings: CpuRing[] = [];
  readonly #epoll: Epoll;
  #lost = 0n;
  #next = 0;
  #closed = false;

  private constructor(map: BpfMap, pages: number) {
    this.#epoll = new Epoll();
    const key = new Uint8Array(4);
    const value = new Uint8Array(4);
    try {
      for (const cpu of onlineCpus()) {
        const fd = perfEventOpen(
          {
            type: PERF_TYPE_SOFTWARE,
            config: BigInt(PERF_COUNT_SW_BPF_OUTPUT),
            sampleType: BigInt(PERF_SAMPLE_RAW),
            samplePeriod: 1n,
            wakeupEvents: 1,
          },
          -1,
          cpu,
          -1,
          `perf buffer of CPU ${cpu}`,
        );
        let ring: CpuRing;
        try {
          ring = new CpuRing(fd, cpu, pages);
        } catch (e) {
          close(fd);
          throw e;
        }
        this.#rings.push(ring);
        new DataView(key.buffer).setUint32(0, cpu, true);
        new DataView(value.buffer).setUint32(0, fd, true);
        map.update(key, value);
        perfIoctl(fd, PERF_EVENT_IOC_ENABLE, 0, 'PERF_EVENT_IOC_ENABLE');
        this.#epoll.add(fd, this.#rings.length - 1);
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  static open(map: BpfMap, pages?: number): PerfBuffer {
    if (map.spec.type !== MapType.PerfEventArray) throw new Error(`internal: map ${map.name} is not a perf event array`);
    return new PerfBuffer(map, perfPages(pages));
  }

  drain(sink: RecordSink, max = 4096): number {
    if (this.#closed) return 0;
    let total = 0;
    // Round-robin over the CPUs so one busy CPU cannot starve the others.
    for (let i = 0; i < this.#rings.length && total < max; i++) {
      const ring = this.#rings[(this.#next + i) % this.#rings.length];
      const [n, lost] = ring.drain(sink, max - total);
      total += n;
      this.#lost += lost;
    }
    this.#next = (this.#next + 1) % Math.max(this.#rings.length, 1);
    return total;
  }

  async wait(timeoutMs: number): Promise<void> {
    if (this.#closed || this.#rings.some((r) => r.pending())) return;
    await this.#epoll.waitAsync(timeoutMs);
  }

  transportLost(): bigint {
    return this.#lost;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#epoll.close();
    for (const r of this.#rings) r.close();
    this.#rings.length = 0;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
