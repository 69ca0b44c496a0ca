/**
 * docs/json.md documents every member docs/polytrace.schema.json defines: each tool's members
 * (nested ones and those of shared definitions it refers to included) are named in that tool's
 * section of json.md, or in the conventions before the first section, as inline code (`name`,
 * or "name" inside a code span) in the prose; the JSON examples do not count.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../../helpers/kernel.js';

type Schema = { [key: string]: unknown };
const schema = JSON.parse(readFileSync(join(root, 'docs', 'polytrace.schema.json'), 'utf8')) as Schema;
const definitions = schema.definitions as Record<string, Schema>;
const markdown = readFileSync(join(root, 'docs', 'json.md'), 'utf8');

/** Every property name under `node`, following $refs into the shared definitions. */
function memberNames(node: unknown, seen = new Set<string>()): Set<string> {
  const names = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (n === null || typeof n !== 'object') return;
    const o = n as Schema;
    if (typeof o.$ref === 'string') {
      const name = o.$ref.replace('#/definitions/', '');
      if (!seen.has(name)) {
        seen.add(name);
        walk(definitions[name]);
      }
    }
    if (o.properties && typeof o.properties === 'object') for (const k of Object.keys(o.properties)) names.add(k);
    for (const [k, v] of Object.entries(o)) if (k !== '$ref') walk(v);
  };
  walk(node);
  return names;
}

/** json.md's prose (fenced blocks removed) by `## ` section; '' is the part before the first. */
function sections(md: string): Map<string, string> {
  const prose = md.replace(/^```[^\n]*\n[\s\S]*?^```\n/gm, '');
  const out = new Map<string, string>();
  let title = '';
  for (const line of prose.split('\n')) {
    const h = /^## (.+)$/.exec(line);
    if (h) title = h[1]!.trim();
    else out.set(title, `${out.get(title) ?? ''}${line}\n`);
  }
  return out;
}

/** Whether `name` is named as inline code in `text`: `name`, or "name" inside a code span. */
function names(text: string, name: string): boolean {
  const spans = text.match(/`[^`]+`/g) ?? [];
  return spans.some((s) => s === `\`${name}\`` || s.includes(`"${name}"`));
}

/** The schema's top-level document kinds, and json.md's section for each. */
const DOCUMENTS: [definition: string, section: string][] = [
  ['funccount', 'funccount'],
  ['funclatency', 'funclatency'],
  ['stackcount', 'stackcount'],
  ['argdist', 'argdist'],
  ['traceEvent', 'trace'],
  ['traceLoss', 'trace'],
];

describe('docs/json.md', () => {
  it('the list of document kinds covers the schema', () => {
    const refs = (schema.oneOf as { $ref: string }[]).map((r) => r.$ref.replace('#/definitions/', ''));
    expect(refs.sort()).toEqual(DOCUMENTS.map(([d]) => d).sort());
  });

  it.each(DOCUMENTS)('every member of %s is documented in its section (or the conventions)', (definition, section) => {
    const text = sections(markdown);
    expect(text.has(section), `json.md has a "## ${section}" section`).toBe(true);
    const missing = [...memberNames(definitions[definition])].filter((n) => !names(text.get(section)!, n) && !names(text.get('')!, n));
    expect(missing, `members of ${definition} that json.md's "${section}" section does not name`).toEqual([]);
  });
});
