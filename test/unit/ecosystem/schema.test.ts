/** docs/polytrace.schema.json is a valid schema, and the tools' pure JSON encoders produce documents it accepts. */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { root } from '../../helpers/kernel.js';
import { jsonInterval as funccountJson } from '../../../src/multitools/funccount.js';
import { jsonInterval as funclatencyJson } from '../../../src/multitools/funclatency.js';
import { jsonInterval as stackcountJson } from '../../../src/multitools/stackcount.js';
import { jsonInterval as argdistJson } from '../../../src/multitools/argdist.js';
import { plan as argdistPlan } from '../../../src/multitools/argdist-plan.js';
import { EventLoss } from '../../../src/report/events.js';
import type { ProbeTarget } from '../../../src/probes/targets.js';

const schema = JSON.parse(readFileSync(join(root, 'docs', 'polytrace.schema.json'), 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(schema);
const ok = (doc: unknown) => {
  const v = validate(doc);
  return v ? '' : ajv.errorsText(validate.errors);
};

describe('JSON schema', () => {
  it('funccount documents: counts ascending, zeros left out, big counts as strings', () => {
    const targets: ProbeTarget[] = [
      { kind: 'tracepoint', category: 'sched', event: 'sched_switch', name: 'sched:sched_switch', mechanism: 'perf' },
      { kind: 'uprobe', path: '/proc/12/root/usr/lib/libc.so.6', symbol: 'malloc', offset: 0n, vaddr: 0n, name: 'malloc', mechanism: 'uprobe_multi' },
      { kind: 'uprobe', path: '/usr/lib/libc.so.6', symbol: 'free', offset: 0n, vaddr: 0n, name: 'free', mechanism: 'uprobe_multi' },
    ];
    const line = funccountJson(
      { pattern: 'x', pid: 12 },
      targets,
      [
        { name: 'sched:sched_switch', count: 1n << 60n },
        { name: 'malloc', count: 3n },
        { name: 'free', count: 0n },
      ],
      new Date(0),
    );
    const doc = JSON.parse(line);
    expect(doc).toEqual({
      tool: 'funccount',
      time: '1970-01-01T00:00:00.000Z',
      pattern: 'x',
      pid: 12,
      counts: [
        { function: 'malloc', library: '/usr/lib/libc.so.6', count: 3 },
        { function: 'sched:sched_switch', library: 'kernel', count: '1152921504606846976' },
      ],
    });
    expect(ok(doc)).toBe('');
  });

  it("funclatency, stackcount and argdist documents, and trace's loss record, built from the output model", () => {
    const slots = new Array<bigint>(65).fill(0n);
    slots[2] = 5n;
    const lat = JSON.parse(
      funclatencyJson({ pattern: 'c:read', unit: 'usecs' }, { keyed: true }, [{ name: 'read', tgid: 7, slots, title: '' }], 1500n, 3n, new Date(0)),
    );
    expect(lat).toEqual({
      tool: 'funclatency',
      time: '1970-01-01T00:00:00.000Z',
      pattern: 'c:read',
      unit: 'usecs',
      histograms: [
        {
          function: 'read',
          tgid: 7,
          buckets: [
            { lo: 0, hi: 1, count: 0 },
            { lo: 2, hi: 3, count: 5 },
          ],
        },
      ],
      total: 1.5,
      count: 3,
      avg: 0.5,
    });
    expect(ok(lat)).toBe('');
    const one = JSON.parse(funclatencyJson({ pattern: 'vfs_read', unit: 'nsecs' }, { keyed: false }, [], 0n, 0n, new Date(0)));
    expect(one).toEqual({ tool: 'funclatency', time: '1970-01-01T00:00:00.000Z', pattern: 'vfs_read', unit: 'nsecs', histograms: [], total: 0, count: 0 });
    expect(ok(one)).toBe('');

    const frames = [{ addr: 0xffffffff81000010n, name: 'vfs_read' }];
    const sc = JSON.parse(
      stackcountJson(
        { pattern: 'vfs_read' },
        [
          { kernel: frames, user: [], tgid: 12, comm: 'cat', count: 4n },
          { kernel: frames, user: [{ addr: 0x401000n, name: 'main' }], tgid: 0xffffffff, comm: '', count: 2n },
        ],
        3n,
        0n,
        new Date(0),
      ),
    );
    expect(sc.stacks.map((x: { count: number }) => x.count)).toEqual([2, 4]);
    expect(sc.stacks[1]).toEqual({ count: 4, tgid: 12, comm: 'cat', kernel: [{ addr: '0xffffffff81000010', sym: 'vfs_read' }], user: [] });
    expect([sc.lost, sc.dropped]).toEqual([3, 0]);
    expect(ok(sc)).toBe('');

    const probes = argdistPlan({ counts: ['p:c:f(int x):int:x', 'p:c:g()'], histograms: ['p:c:h(int y):int:y'], stringSize: 80 }).probes;
    const ad = JSON.parse(
      argdistJson(
        new Date(0),
        [
          { plan: probes[0]!, kind: 'freq', entries: [{ values: [(1n << 64n) - 1n], count: 2n }] },
          { plan: probes[1]!, kind: 'freq', entries: [{ values: [0n], count: 9n }] },
          { plan: probes[2]!, kind: 'hist', slots },
        ],
        undefined,
        [1n, 0n, 0n],
        4n,
      ),
    );
    expect(ad.probes[0].counts).toEqual([{ key: { x: '18446744073709551615' }, count: 2 }]);
    expect(ad.probes[1].counts).toEqual([{ key: {}, count: 9 }]);
    expect(ad.read_errors).toBe(4);
    expect(ok(ad)).toBe('');

    const fake = { lookup: () => new Uint8Array(8).fill(0), sumU64: () => 5n };
    const loss = new EventLoss({ lost: fake, reader: { transportLost: () => 0n }, jsonTool: 'trace', say: () => {} });
    const rec = JSON.parse(loss.report());
    expect([rec.tool, rec.lost, rec.read_errors]).toEqual(['trace', 5, 0]);
    expect(ok(rec)).toBe('');
  });

  it('rejects what no tool prints', () => {
    expect(ok({ tool: 'funccount', time: 'yesterday', pattern: 'x', counts: [] })).not.toBe('');
    expect(ok({ tool: 'funclatency', time: '1970-01-01T00:00:00Z', pattern: 'x', unit: 'secs', histograms: [], total: 0, count: 0 })).not.toBe('');
    expect(ok({ tool: 'nope' })).not.toBe('');
    expect(ok({ tool: 'stackcount', time: '1970-01-01T00:00:00Z', pattern: 'x', stacks: [{ count: -1, kernel: [], user: [] }], lost: 0 })).not.toBe('');
  });

  it("accepts each tool's documented example (docs/json.md)", () => {
    const md = readFileSync(join(root, 'docs', 'json.md'), 'utf8');
    const examples = [...md.matchAll(/```json\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.trim().split('\n'));
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const e of examples) expect(ok(JSON.parse(e)), e).toBe('');
    const tools = new Set(examples.map((e) => (JSON.parse(e) as { tool?: string }).tool ?? 'trace'));
    expect([...tools].sort()).toEqual(['argdist', 'funccount', 'funclatency', 'stackcount', 'trace']);
  });
});
