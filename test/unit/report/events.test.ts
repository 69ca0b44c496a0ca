/** report/events.ts: trace's loss, said on stderr and (--json) as a record, from the same deltas. */
import { describe, it, expect } from 'vitest';
import { EventLines, EventLoss } from '../../../src/report/events.js';

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
});
