/** report/events.ts: trace's loss, said on stderr and (--json) as a record, from the same deltas. */
import { describe, it, expect } from 'vitest';
import { EventLines, EventLoss, EventWriter } from '../../../src/report/events.js';

/** A fake per-CPU array whose slot 0 sums to `total()`. */
const counter = (total: () => bigint) => ({ lookup: () => new Uint8Array(8), sumU64: () => total() });

describe('event loss', () => {
  it("the larger of the programs' and the transport's count; deltas; read errors; JSON record only when something was lost", () => {
    let kernel = 0n;
    let transport = 0n;
    let failed = 0n;
    const said: string[] = [];
    const loss = new EventLoss({
      lost: counter(() => kernel),
      readErrors: counter(() => failed),
      reader: { transportLost: () => transport },
      jsonTool: 'trace',
      say: (l) => said.push(l),
    });
    expect(loss.report()).toBe('');
    kernel = 3n;
    transport = 5n;
    const rec = JSON.parse(loss.report());
    expect([rec.tool, rec.lost, rec.read_errors]).toEqual(['trace', 5, 0]);
    failed = 2n;
    const rec2 = JSON.parse(loss.report(4n));
    expect([rec2.lost, rec2.read_errors]).toEqual([4, 2]);
    expect(said).toEqual(['5 events lost\n', '4 events lost\n', '2 reads of user memory failed\n']);
  });

  it('without --json only stderr says it', () => {
    const said: string[] = [];
    const loss = new EventLoss({ lost: counter(() => 7n), reader: { transportLost: () => 0n }, say: (l) => said.push(l) });
    expect(loss.report()).toBe('');
    expect(said).toEqual(['7 events lost\n']);
  });

  it('lines wait for stdout and are taken once', () => {
    const lines = new EventLines();
    lines.push('a\n');
    lines.push('b\n');
    expect(lines.length).toBe(2);
    expect(lines.take()).toBe('a\nb\n');
    expect(lines.length).toBe(0);
    expect(lines.take()).toBe('');
  });

  /** A stdout whose reader took `sent` bytes of the current write, and acks only when told. */
  function stuckStdout() {
    const writes: Array<{ text: string; ack: () => void }> = [];
    const stream = {
      _handle: { writeQueueSize: 0 },
      write(text: string, cb: () => void) {
        writes.push({ text, ack: cb });
        stream._handle.writeQueueSize = Buffer.byteLength(text);
        return false;
      },
    };
    return { stream, writes, take: (n: number) => (stream._handle.writeQueueSize -= n) };
  }

  it('events whose lines never reached the OS are counted: queued chunks, and the unsent part of the current write', async () => {
    const s = stuckStdout();
    const writer = new EventWriter(s.stream as unknown as NodeJS.WriteStream);
    const lines = new EventLines();
    lines.push('one\n');
    lines.push('{"lost":1}\n', false);
    lines.push('two\nstack\n');
    void writer.write(lines.takeChunk());
    lines.push('three\n');
    void writer.write(lines.takeChunk());
    // One chunk in flight, one queued behind it (a single write at a time).
    expect(s.writes.length).toBe(1);
    expect(writer.abandoned()).toBe(3);
    // The reader took "one\n" and part of the loss record: "two" is not out yet.
    s.take(6);
    expect(writer.abandoned()).toBe(2);
    // A partly written event is not printed: lost.
    s.take(12);
    expect(writer.abandoned()).toBe(2);
    s.take(7);
    expect(writer.abandoned()).toBe(1);
    expect(await writer.idle(5)).toBe(false);
    s.writes[0]!.ack();
    expect(s.writes.map((w) => w.text)).toEqual(['one\n{"lost":1}\ntwo\nstack\n', 'three\n']);
    s.writes[1]!.ack();
    expect(writer.abandoned()).toBe(0);
    expect(await writer.idle(5)).toBe(true);
  });

  it("without libuv's count the whole current write counts as not sent", () => {
    const stream = { write: () => false };
    const writer = new EventWriter(stream as unknown as NodeJS.WriteStream);
    const lines = new EventLines();
    lines.push('a\n');
    lines.push('b\n');
    void writer.write(lines.takeChunk());
    expect(writer.abandoned()).toBe(2);
  });
});
