/** docs/polytrace.schema.json is a valid schema, and the tools' pure JSON encoders produce documents it accepts. */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { root } from '../../helpers/kernel.js';
import { jsonInterval as funccountJson } from '../../../src/multitools/funccount.js';
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
      { kind: 'tracepoint', category: 'sched', event: 'sched_switch', name: 'sched:sched_switch' },
      { kind: 'uprobe', path: '/proc/12/root/usr/lib/libc.so.6', symbol: 'malloc', offset: 0n, vaddr: 0n, name: 'malloc' },
      { kind: 'uprobe', path: '/usr/lib/libc.so.6', symbol: 'free', offset: 0n, vaddr: 0n, name: 'free' },
    ];
    const line = funccountJson({ pattern: 'x', pid: 12 }, targets, [{ name: 'sched:sched_switch', count: 1n << 60n }, { name: 'malloc', count: 3n }, { name: 'free', count: 0n }], new Date(0));
    const doc = JSON.parse(line);
    expect(doc).toEqual({
      tool: 'funccount', time: '1970-01-01T00:00:00.000Z', pattern: 'x', pid: 12,
      counts: [{ function: 'malloc', library: '/usr/lib/libc.so.6', count: 3 }, { function: 'sched:sched_switch', library: 'kernel', count: '1152921504606846976' }],
    });
    expect(ok(doc)).toBe('');
  });

  it('rejects what no tool prints', () => {
    expect(ok({ tool: 'funccount', time: 'yesterday', pattern: 'x', counts: [] })).not.toBe('');
    expect(ok({ tool: 'funclatency', time: '1970-01-01T00:00:00Z', pattern: 'x', unit: 'secs', histograms: [], total: 0, count: 0 })).not.toBe('');
    expect(ok({ tool: 'nope' })).not.toBe('');
    expect(ok({ tool: 'stackcount', time: '1970-01-01T00:00:00Z', pattern: 'x', stacks: [{ count: -1, kernel: [], user: [] }], lost: 0 })).not.toBe('');
  });

  it('accepts each tool\'s documented example (docs/json.md)', () => {
    const md = readFileSync(join(root, 'docs', 'json.md'), 'utf8');
    const examples = [...md.matchAll(/```json\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.trim().split('\n'));
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const e of examples) expect(ok(JSON.parse(e)), e).toBe('');
    const tools = new Set(examples.map((e) => (JSON.parse(e) as { tool?: string }).tool ?? 'trace'));
    expect([...tools].sort()).toEqual(['argdist', 'funccount', 'funclatency', 'stackcount', 'trace']);
  });
});
