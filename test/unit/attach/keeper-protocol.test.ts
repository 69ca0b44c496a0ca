/**
 * The uprobe keeper's wire format (src/attach/keeper-protocol.ts): JSON lines, bigints kept
 * exact, lines split however the reads cut them.
 */
import { describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeLine, encodeLine, LineReader, type KeeperRequest } from '../../../src/attach/keeper-protocol.js';

describe('uprobe keeper protocol', () => {
  it('round-trips requests with u64 offsets and cookies exactly, one line each', () => {
    const req: KeeperRequest = {
      op: 'multi',
      id: 7,
      prog: 12,
      t: { path: '/lib/x86_64-linux-gnu/libc.so.6', offsets: [0x9a0b0n, 0xffff_ffff_ffff_fff0n], cookies: [0n, 2n ** 63n], ret: true, pid: 42 },
    };
    const line = encodeLine(req);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(decodeLine(line.slice(0, -1))).toEqual(req);
  });

  it('a path that looks like a number stays a string', () => {
    const req: KeeperRequest = { op: 'perf', id: 1, prog: 3, u: { pmuType: 9, path: '123', offset: 16n, ret: false, pid: -1, mode: 'link', what: 'x' } };
    expect(decodeLine(encodeLine(req).trim())).toEqual(req);
  });

  it('LineReader gives each line once and undefined at end of file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keeper-'));
    try {
      const lines = Array.from({ length: 3000 }, (_, i) => encodeLine({ op: 'close', id: i }));
      writeFileSync(join(dir, 'in'), lines.join(''));
      const fd = openSync(join(dir, 'in'), 'r');
      const r = new LineReader(fd);
      const got: number[] = [];
      for (let l = r.next(); l !== undefined; l = r.next()) got.push((decodeLine(l) as { id: number }).id);
      closeSync(fd);
      expect(got).toEqual(lines.map((_, i) => i));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
