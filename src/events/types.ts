/**
 * What the event transports (BPF ring buffer, perf buffer) hand to their consumer: records
 * read in place, a batch at a time.
 */

/**
 * Called once per record, synchronously, while the record's bytes are still owned by the
 * reader: `bytes` and `dv` view the same memory, the record is `[off, off + len)`. Copy what
 * must outlive the call (strings decoded from it are copies already).
 */
export type RecordSink = (bytes: Uint8Array, dv: DataView, off: number, len: number) => void;

export interface EventReader extends Disposable {
  /** 'ringbuf' or 'perfbuf', for -v and messages. */
  readonly kind: 'ringbuf' | 'perfbuf';
  /**
   * Hands up to `max` available records to `sink` and releases their space to the kernel
   * after the batch. Returns how many records were handed over (0: the buffer is empty).
   */
  drain(sink: RecordSink, max?: number): number;
  /** Waits until records may be available or `timeoutMs` passes (without blocking Node's loop). */
  wait(timeoutMs: number): Promise<void>;
  /** Records the kernel reported as lost in the transport itself (perf buffer LOST records). */
  transportLost(): bigint;
  close(): void;
}
