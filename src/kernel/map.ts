/**
 * Live BPF maps. A BpfMap owns its fd; keys and values cross the boundary as byte arrays
 * (codecs above this layer give them types). Per-CPU maps return one value per possible
 * CPU, each rounded up to 8 bytes as the kernel lays them out.
 */
import { Fd } from '../sys/fd.js';
import { SysError, TracerError } from '../errors.js';
import { NativeBuffer } from '../sys/mem.js';
import { mapCreate, mapLookupElem, mapUpdateElem, mapDeleteElem, mapGetNextKey, mapLookupBatch } from '../sys/bpf.js';
import { MapType, type MapSpec } from '../emit/types.js';
import { possibleCpus } from './cpus.js';
import { haveBatchOps } from '../features/probes.js';

const PERCPU_TYPES: ReadonlySet<number> = new Set([MapType.PercpuHash, MapType.PercpuArray, MapType.LruPercpuHash]);

export function isPerCpu(type: number): boolean {
  return PERCPU_TYPES.has(type);
}

/**
 * `count` entries of a map laid end to end: key i at `keys[i * keySize…]`, its value at
 * `values[i * valueBytes…]`. Valid until the next chunk is asked for.
 */
export interface MapChunk {
  readonly count: number;
  readonly keys: Uint8Array;
  readonly values: Uint8Array;
}

export class BpfMap implements Disposable {
  readonly fd: Fd;
  readonly perCpu: boolean;
  /** Bytes of one lookup result: valueSize, or round8(valueSize) × possible CPUs. */
  readonly valueBytes: number;
  readonly ncpus: number;
  #key: NativeBuffer;
  #next: NativeBuffer;
  #value: NativeBuffer;

  private constructor(
    readonly spec: MapSpec,
    fd: number,
  ) {
    this.fd = new Fd(fd);
    this.perCpu = isPerCpu(spec.type);
    this.ncpus = this.perCpu ? possibleCpus().length : 1;
    this.valueBytes = this.perCpu ? ((spec.valueSize + 7) & ~7) * this.ncpus : spec.valueSize;
    this.#key = new NativeBuffer(Math.max(spec.keySize, 1));
    this.#next = new NativeBuffer(Math.max(spec.keySize, 1));
    this.#value = new NativeBuffer(Math.max(this.valueBytes, 1));
  }

  static create(spec: MapSpec): BpfMap {
    const bytes = mapBytes(spec);
    const tooBig = (code: string) =>
      new TracerError(`cannot create BPF map ${spec.name} of ${humanBytes(bytes)} (${code}): out of memory for maps`, [
        'use a smaller buffer or fewer entries (e.g. a smaller trace -b)',
        'before Linux 5.11 maps are charged to the locked-memory limit: ulimit -l unlimited',
      ]);
    if (!Number.isInteger(spec.maxEntries) || spec.maxEntries > 0xffffffff) throw tooBig('more than 2^32 entries');
    let fd: number;
    try {
      fd = mapCreate({
        type: spec.type,
        keySize: spec.keySize,
        valueSize: spec.valueSize,
        maxEntries: spec.maxEntries,
        flags: spec.flags,
        name: spec.name,
      });
    } catch (e) {
      // EINVAL is also the kernel's answer to a ring buffer past its maximum size.
      if (e instanceof SysError && (e.code === 'ENOMEM' || e.code === 'E2BIG' || (e.code === 'EINVAL' && bytes >= 2 ** 30))) throw tooBig(e.code);
      throw e;
    }
    return new BpfMap(spec, fd);
  }

  get name(): string {
    return this.spec.name;
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    this.#key.bytes.set(key);
    if (!mapLookupElem(this.fd.value, this.#key, this.#value)) return undefined;
    return this.#value.bytes.slice(0, this.valueBytes);
  }

  update(key: Uint8Array, value: Uint8Array, flags = 0n): void {
    this.#key.bytes.set(key);
    this.#value.bytes.set(value);
    mapUpdateElem(this.fd.value, this.#key, this.#value, flags);
  }

  delete(key: Uint8Array): boolean {
    this.#key.bytes.set(key);
    return mapDeleteElem(this.fd.value, this.#key);
  }

  /** All keys, by BPF_MAP_GET_NEXT_KEY. */
  keys(): Uint8Array[] {
    const out: Uint8Array[] = [];
    let have = mapGetNextKey(this.fd.value, null, this.#next);
    while (have) {
      const k = this.#next.bytes.slice(0, this.spec.keySize);
      out.push(k);
      this.#key.bytes.set(k);
      have = mapGetNextKey(this.fd.value, this.#key, this.#next);
    }
    return out;
  }

  /**
   * Every entry. Uses BPF_MAP_LOOKUP_BATCH where the kernel has it (one syscall per
   * `chunk` entries, and a consistent snapshot per chunk); else get-next-key + lookup.
   * Array maps always have every index present.
   */
  entries(chunk = 4096): Array<[Uint8Array, Uint8Array]> {
    if (this.spec.type !== MapType.Array && this.spec.type !== MapType.PercpuArray && haveBatchOps.available()) {
      return this.#batchEntries(chunk, false);
    }
    const out: Array<[Uint8Array, Uint8Array]> = [];
    for (const k of this.keys()) {
      const v = this.lookup(k);
      if (v) out.push([k, v]);
    }
    return out;
  }

  /**
   * Every entry, `chunk` at a time, for a reader that works between chunks while the programs
   * go on writing. Each chunk is `count` keys and values laid end to end in buffers that the
   * next chunk reuses (views, not copies: nothing is allocated per entry), so only one chunk
   * is held at once. A hash batch resumes at the bucket after the last one read, so an entry
   * added meanwhile in a bucket already passed is seen at the next walk. Without batch ops:
   * one get-next-key walk, looked up a chunk at a time.
   */
  *chunks(chunk = 256): Generator<MapChunk, void, undefined> {
    const n = Math.max(1, Math.min(chunk, this.spec.maxEntries));
    if (this.spec.type === MapType.Array || this.spec.type === MapType.PercpuArray || !haveBatchOps.available()) {
      yield* this.#lookupChunks(n);
      return;
    }
    using keys = new NativeBuffer(this.spec.keySize * n);
    using values = new NativeBuffer(this.valueBytes * n);
    using a = new NativeBuffer(Math.max(this.spec.keySize, 8));
    using b = new NativeBuffer(Math.max(this.spec.keySize, 8));
    let inBatch: NativeBuffer | null = null;
    let outBatch = a;
    let any = false;
    for (;;) {
      const r = mapLookupBatch(this.fd.value, inBatch, outBatch, keys, values, n, false);
      if (r.errno !== 0) {
        // ENOSPC: a bucket holds more entries than a chunk; walk the keys instead.
        if (!any) yield* this.#lookupChunks(n);
        return;
      }
      any = true;
      if (r.count > 0) yield { count: r.count, keys: keys.bytes, values: values.bytes };
      if (r.done) return;
      inBatch = outBatch;
      outBatch = outBatch === a ? b : a;
    }
  }

  *#lookupChunks(n: number): Generator<MapChunk, void, undefined> {
    const all = this.keys();
    const keys = new Uint8Array(this.spec.keySize * n);
    const values = new Uint8Array(this.valueBytes * n);
    for (let i = 0; i < all.length; i += n) {
      let count = 0;
      for (const k of all.slice(i, i + n)) {
        const v = this.lookup(k);
        if (!v) continue;
        keys.set(k, count * this.spec.keySize);
        values.set(v, count * this.valueBytes);
        count++;
      }
      if (count > 0) yield { count, keys, values };
    }
  }

  /** Read and delete every entry (hash maps); falls back to entries() + delete. */
  drain(chunk = 4096): Array<[Uint8Array, Uint8Array]> {
    if (haveBatchOps.available() && this.spec.type !== MapType.Array && this.spec.type !== MapType.PercpuArray) {
      return this.#batchEntries(chunk, true);
    }
    const all = this.entries();
    for (const [k] of all) this.delete(k);
    return all;
  }

  #batchEntries(chunk: number, andDelete: boolean): Array<[Uint8Array, Uint8Array]> {
    const n = Math.max(1, Math.min(chunk, this.spec.maxEntries));
    using keys = new NativeBuffer(this.spec.keySize * n);
    using values = new NativeBuffer(this.valueBytes * n);
    using a = new NativeBuffer(Math.max(this.spec.keySize, 8));
    using b = new NativeBuffer(Math.max(this.spec.keySize, 8));
    const out: Array<[Uint8Array, Uint8Array]> = [];
    let inBatch: NativeBuffer | null = null;
    let outBatch = a;
    for (;;) {
      const r = mapLookupBatch(this.fd.value, inBatch, outBatch, keys, values, n, andDelete);
      if (r.errno !== 0) {
        // ENOSPC: a hash bucket holds more entries than fit; fall back to the slow path.
        if (out.length === 0 && !andDelete) {
          for (const k of this.keys()) {
            const v = this.lookup(k);
            if (v) out.push([k, v]);
          }
          return out;
        }
        break;
      }
      for (let i = 0; i < r.count; i++) {
        out.push([keys.bytes.slice(i * this.spec.keySize, (i + 1) * this.spec.keySize), values.bytes.slice(i * this.valueBytes, (i + 1) * this.valueBytes)]);
      }
      if (r.done) break;
      inBatch = outBatch;
      outBatch = outBatch === a ? b : a;
    }
    return out;
  }

  /** Sums a per-CPU u64 value (or returns a plain u64 value). */
  sumU64(value: Uint8Array): bigint {
    const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
    if (!this.perCpu) return dv.getBigUint64(0, true);
    const stride = (this.spec.valueSize + 7) & ~7;
    let s = 0n;
    for (let c = 0; c < this.ncpus; c++) s += dv.getBigUint64(c * stride, true);
    return s;
  }

  close(): void {
    this.fd.close();
    this.#key.free();
    this.#next.free();
    this.#value.free();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Roughly how much kernel memory a map asks for (for error messages). */
function mapBytes(spec: MapSpec): number {
  if (spec.type === MapType.Ringbuf) return spec.maxEntries;
  return spec.maxEntries * (spec.keySize + spec.valueSize) * (PERCPU_TYPES.has(spec.type) ? possibleCpus().length : 1);
}

function humanBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${units[i]}`;
}
