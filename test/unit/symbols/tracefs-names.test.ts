/**
 * Issue 20: tracepoint names are path components under tracefs; a name that is not one
 * (`../../tmp/x`) never reaches the filesystem, even where a planted `id`/`format` waits.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResolveError } from '../../../src/errors.js';
import { hasEventId, isTracepointName, readTracepointFormat, tracepointId } from '../../../src/symbols/tracefs.js';

describe('tracepoint names', () => {
  const base = mkdtempSync(join(tmpdir(), 'polytrace-tracefs-'));
  const root = join(base, 'tracing');
  mkdirSync(join(root, 'events', 'sched', 'sched_switch'), { recursive: true });
  writeFileSync(join(root, 'events', 'sched', 'sched_switch', 'id'), '316\n');
  // Planted outside tracefs, where ../ would lead.
  mkdirSync(join(base, 'x', 'y'), { recursive: true });
  writeFileSync(join(base, 'x', 'y', 'id'), '42\n');
  writeFileSync(join(base, 'x', 'y', 'format'), 'name: y\nID: 42\nformat:\n');

  it('kernel names pass; anything with a path in it does not', () => {
    for (const [c, e] of [
      ['sched', 'sched_switch'],
      ['probe_libc', 'malloc'],
      ['sunrpc', 'xprt_reserve_cong'],
      ['A-b.c', 'D_1'],
    ]) {
      expect(isTracepointName(c!, e!), `${c}:${e}`).toBe(true);
    }
    for (const [c, e] of [
      ['..', 'y'],
      ['../x', 'y'],
      ['../../x', 'y'],
      ['x', '..'],
      ['x', 'a/b'],
      ['.hidden', 'y'],
      ['', 'y'],
      ['x', ''],
      ['x\u0000', 'y'],
      ['x', 'y\n'],
      ['a'.repeat(300), 'y'],
    ]) {
      expect(isTracepointName(c!, e!), JSON.stringify(`${c}:${e}`)).toBe(false);
    }
  });

  it('a planted id or format outside tracefs is never read', () => {
    expect(tracepointId(root, 'sched', 'sched_switch')).toBe(316);
    expect(hasEventId(root, { category: '../x', event: 'y' })).toBe(false);
    expect(() => tracepointId(root, '../x', 'y')).toThrow(ResolveError);
    expect(() => tracepointId(root, '../x', 'y')).toThrow('"../x:y" is not a tracepoint name');
    expect(() => readTracepointFormat(root, '../x', 'y')).toThrow('is not a tracepoint name');
  });
});
