import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Helper, HELPER_NAMES } from '../../../src/emit/helpers.gen.js';
import { AttachType, MapType, ProgType } from '../../../src/emit/types.js';
// @ts-expect-error: a plain .mjs script without type declarations
import { parseFuncMapper, render } from '../../../scripts/gen-helpers.mjs';

const HEADER = '/usr/include/linux/bpf.h';
const haveHeader = existsSync(HEADER);

/** Name → value of a uapi enum, counting implicit values as the C compiler does. */
function cEnum(text: string, enumName: string, prefix: string): Map<string, number> {
  const m = new RegExp(`enum ${enumName} \\{([^}]*)\\}`).exec(text);
  if (!m) throw new Error(`no enum ${enumName}`);
  const out = new Map<string, number>();
  let next = 0;
  for (const raw of m[1]!.replace(/\/\*[\s\S]*?\*\//g, '').split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [name, value] = entry.split('=').map((s) => s.trim()) as [string, string | undefined];
    if (name.startsWith('__MAX')) continue;
    if (value !== undefined && !/^\d+$/.test(value)) continue; // an alias of another entry
    const v = value !== undefined ? Number(value) : next;
    next = v + 1;
    const camel = name
      .slice(prefix.length)
      .toLowerCase()
      .split('_')
      .map((p) => p[0]!.toUpperCase() + p.slice(1))
      .join('');
    out.set(camel, v);
  }
  return out;
}

describe.skipIf(!haveHeader && process.env.CI !== 'true')('uapi tables agree with ' + HEADER, () => {
  const text = haveHeader ? readFileSync(HEADER, 'utf8') : '';
  it.each([
    ['bpf_prog_type', 'BPF_PROG_TYPE_', ProgType],
    ['bpf_map_type', 'BPF_MAP_TYPE_', MapType],
    ['bpf_attach_type', 'BPF_', AttachType],
  ] as const)('%s', (name, prefix, table) => {
    const header = cEnum(text, name, prefix);
    expect(header.size).toBeGreaterThan(10);
    for (const [k, v] of header) expect([k, (table as Record<string, number>)[k]]).toEqual([k, v]);
  });

  it('helpers.gen.ts is what the generator makes of the header', () => {
    const current = readFileSync(new URL('../../../src/emit/helpers.gen.ts', import.meta.url), 'utf8');
    expect(render(parseFuncMapper(text), 'include/uapi/linux/bpf.h')).toBe(current);
  });
});

describe('helper table', () => {
  it('has the ids and names disasm needs', () => {
    expect(Helper.MapLookupElem).toBe(1);
    expect(Helper.GetFuncIp).toBe(173);
    expect(HELPER_NAMES[1]).toBe('bpf_map_lookup_elem');
    expect(HELPER_NAMES[Helper.GetStackid]).toBe('bpf_get_stackid');
    expect(Object.keys(Helper)).toHaveLength(HELPER_NAMES.length);
  });

  it('the generator reads the 6.2+ list style with explicit ids', () => {
    const text = [
      '#define ___BPF_FUNC_MAPPER(FN, ctx...)\t\t\\',
      '\tFN(unspec, 0, ##ctx)\t\t\t\\',
      '\tFN(map_lookup_elem, 1, ##ctx)\t\t\\',
      '\tFN(d_path, 2, ##ctx)\t\t\t\\',
      '\t/* */',
      '#define __BPF_FUNC_MAPPER(FN) ___BPF_FUNC_MAPPER(__BPF_FUNC_MAPPER_APPLY, FN)',
    ].join('\n');
    expect(parseFuncMapper(text)).toEqual([
      ['unspec', 0],
      ['map_lookup_elem', 1],
      ['d_path', 2],
    ]);
    expect(render(parseFuncMapper(text), 'x')).toContain('  DPath: 2,');
  });
});
