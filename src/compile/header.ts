/**
 * -I headers: simple user-space struct declarations, read into the C types expressions use.
 */
import { printable } from '../symbols/printable.js';
import { CheckError } from '../errors.js';
import { basicType, knownTypedef, makeRecord, ptr, sizeOf, VOID, type CType, type Member, type RecordType } from './types.js';
import type { UserTypes } from './usertypes.js';

export interface ParsedHeader {
  readonly records: RecordType[];
  readonly typedefs: Record<string, CType>;
  /** Top-level declarations that are not struct definitions (shown to the user as ignored). */
  readonly skipped: string[];
}

function alignOf(t: CType): number {
  switch (t.kind) {
    case 'array':
      return alignOf(t.elem);
    case 'struct':
    case 'union':
      return Math.max(1, ...t.members().map((m) => alignOf(m.type)));
    default:
      return Math.max(1, Math.min(8, sizeOf(t)));
  }
}

/**
 * Reads `struct name { type member; … };` (and `typedef struct … name;`) from a header: basic
 * C types, known typedefs, pointers, fixed arrays and structs declared earlier, laid out as
 * the C compiler does on LP64. Everything else at top level (functions, macros' uses, enums,
 * variables) is returned in `skipped`. Throws CheckError on a struct it cannot lay out.
 */
/** The longest array a -I header may declare (a member of a struct read by probes). */
const MAX_ARRAY_LENGTH = 1 << 24;

/**
 * How a header's text is quoted in messages: its first C token only — an identifier, a number
 * or one character — since a header may be any file, even a secret one given by mistake
 * (`root:$6$…` quotes as `root …`); control characters escaped, at most 40 characters.
 */
export function quoted(text: string): string {
  const t = text.trim();
  const first = /^(?:[A-Za-z_]\w*|\d+)/.exec(t)?.[0] ?? t.slice(0, 1);
  const cut = first.length > 40 ? `${first.slice(0, 40)}…` : first.length < t.length ? `${first} …` : first;
  return printable(cut);
}

export function parseUserHeader(text: string, known: UserTypes): ParsedHeader {
  const src = text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/.*$/gm, ' ')
    .replace(/^\s*#.*$/gm, ' ');
  const records: RecordType[] = [];
  const typedefs: Record<string, CType> = {};
  const skipped: string[] = [];
  const lookupRecord = (kind: 'struct' | 'union', name: string): RecordType | undefined =>
    records.find((r) => r.kind === kind && r.name === name) ?? known.record(kind, name);
  const baseType = (words: string, where: string): CType => {
    const w = words
      .replace(/\b(const|volatile|__user|extern|static)\b/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    const rec = /^(struct|union)\s+([A-Za-z_]\w*)$/.exec(w);
    if (rec) {
      const r = lookupRecord(rec[1] as 'struct' | 'union', rec[2]);
      if (!r) throw new CheckError(`${where}: ${quoted(w)} is not declared before it is used`);
      return r;
    }
    const canon = w
      .replace(/\bsigned (char|short|int|long)/, (_m, x: string) => (x === 'char' ? 'signed char' : x))
      .replace(/\b(short|long|long long) int\b/, '$1')
      .replace(/^unsigned$/, 'unsigned int')
      .replace(/^signed$/, 'int')
      .replace(/^unsigned (short|long|long long) int$/, 'unsigned $1');
    const t = basicType(canon) ?? knownTypedef(canon) ?? typedefs[canon] ?? known.typedef(canon) ?? (canon === 'void' ? VOID : undefined);
    if (!t) throw new CheckError(`${where}: unknown type '${quoted(w)}'`);
    return t;
  };
  const re = /(typedef\s+)?\b(struct|union)\s+([A-Za-z_]\w*)?\s*\{([^{}]*)\}\s*([A-Za-z_]\w*)?\s*;/g;
  let last = 0;
  const noteSkipped = (chunk: string) => {
    for (const d of chunk
      .split(';')
      .map((x) => x.replace(/\s+/g, ' ').trim())
      .filter(Boolean))
      skipped.push(quoted(d));
  };
  for (let m = re.exec(src); m; m = re.exec(src)) {
    noteSkipped(src.slice(last, m.index));
    last = re.lastIndex;
    const kind = m[2] as 'struct' | 'union';
    const name = m[3] ?? m[5] ?? '';
    const members: Member[] = [];
    let off = 0;
    let size = 0;
    let maxAlign = 1;
    for (const decl of m[4]
      .split(';')
      .map((x) => x.trim())
      .filter(Boolean)) {
      const d = /^(.*?)((?:\s*\*\s*)*)([A-Za-z_]\w*)\s*((?:\[\s*\d+\s*\]\s*)*)$/.exec(decl);
      if (!d || d[1].trim() === '') throw new CheckError(`${kind} ${name}: cannot read member '${quoted(decl)}'`);
      let t = baseType(d[1], `${kind} ${name}`);
      const stars = (d[2].match(/\*/g) ?? []).length;
      for (let i = 0; i < stars; i++) t = ptr(t, true);
      const dims = [...d[4].matchAll(/\d+/g)].map((x) => Number(x[0]));
      if (dims.some((n) => n > MAX_ARRAY_LENGTH))
        throw new CheckError(`${kind} ${name}: array member ${d[3]} is too large (at most ${MAX_ARRAY_LENGTH} elements)`);
      for (let i = dims.length - 1; i >= 0; i--) t = { kind: 'array', elem: t, length: dims[i] };
      const a = alignOf(t);
      maxAlign = Math.max(maxAlign, a);
      if (kind === 'struct') off = Math.ceil(off / a) * a;
      members.push({ name: d[3], bitOffset: kind === 'struct' ? off * 8 : 0, bitSize: 0, type: t });
      if (kind === 'struct') off += sizeOf(t);
      else size = Math.max(size, sizeOf(t));
    }
    const total = Math.ceil((kind === 'struct' ? off : size) / maxAlign) * maxAlign;
    const rec = makeRecord(kind, name, total, members, 'user');
    if (name) records.push(rec);
    if (m[1] && m[5]) typedefs[m[5]] = rec;
  }
  noteSkipped(src.slice(last));
  return { records, typedefs, skipped };
}
