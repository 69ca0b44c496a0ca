/**
 * BCC's name-pattern semantics (funccount, funclatency, stackcount, trace/argdist wildcards).
 *
 * BCC turns a glob into a Python regular expression by replacing every `*` with `.*` and
 * wrapping the result in `^…$`; **no other character is escaped**. So `.` `?` `+` `[` `(`
 * `|` keep their regex meaning: `go:os.*` is the regex `^os..*$` (any one character after
 * `os`), `c:str?len` is `^str?len$` (`?` makes the `r` optional), `c:(read|write)` is an
 * alternation. We keep that quirk on purpose so every BCC command line selects the same
 * functions. With `-r` the text is used as a regex as is, and like Python's `re.match` it
 * is anchored at the start only.
 *
 * The patterns are Python regexes, compiled here as JavaScript ones. Where the two
 * dialects differ we translate (`(?P<n>…)`, `(?P=n)`, `\A`, `\Z`, `\a`, `{,n}`, a literal
 * `]` first in a class, leading `(?i)`/`(?m)`/`(?s)`) or refuse with a clear message
 * (possessive quantifiers, atomic groups, conditionals, scoped flags, `(?x)`, and escapes
 * Python rejects such as `\q`). Python's `$` also matches before a final newline; names
 * never contain newlines, so JavaScript's `$` is used.
 */

import { ResolveError } from '../errors.js';

interface Translated {
  readonly source: string;
  readonly flags: string;
}

class PatternError extends Error {}

const CLASS_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S', 'f', 'n', 'r', 't', 'v', 'b', 'x', 'u']);
const ESCAPES = new Set([...CLASS_ESCAPES, 'B']);

/** Translate a Python regular expression into JavaScript source and flags. */
export function translatePythonRegex(py: string): Translated {
  let out = '';
  let flags = '';
  let i = 0;
  let atStart = true; // only global inline flags may precede
  let lastWasQuantifier = false;
  const n = py.length;

  const escapeAt = (inClass: boolean): string => {
    const c = py[i + 1];
    if (c === undefined) throw new PatternError('bad escape (end of pattern)');
    i += 2;
    if (/[0-9]/.test(c)) return `\\${c}`;
    if (!/[A-Za-z]/.test(c)) return `\\${c}`;
    if (c === 'a') return '\\x07';
    if (!inClass && c === 'A') return '(?<![\\s\\S])';
    if (!inClass && c === 'Z') return '(?![\\s\\S])';
    if (c === 'U' || c === 'N') throw new PatternError(`\\${c} escapes are not supported`);
    if ((inClass ? CLASS_ESCAPES : ESCAPES).has(c)) return `\\${c}`;
    throw new PatternError(`bad escape \\${c} at position ${i - 2}`);
  };

  while (i < n) {
    const c = py[i]!;
    if (c === '\\') {
      out += escapeAt(false);
      atStart = false;
      lastWasQuantifier = false;
      continue;
    }
    if (c === '[') {
      // character class: copy to the closing ']' (a ']' right after '[' or '[^' is literal)
      let cls = '[';
      i++;
      if (py[i] === '^') {
        cls += '^';
        i++;
      }
      if (py[i] === ']') {
        cls += '\\]';
        i++;
      }
      let closed = false;
      while (i < n) {
        const d = py[i]!;
        if (d === '\\') {
          cls += escapeAt(true);
          continue;
        }
        if (d === '[') {
          cls += '\\[';
          i++;
          continue;
        }
        cls += d;
        i++;
        if (d === ']') {
          closed = true;
          break;
        }
      }
      if (!closed) throw new PatternError(`unterminated character set at position ${out.length}`);
      out += cls;
      atStart = false;
      lastWasQuantifier = false;
      continue;
    }
    if (c === '(' && py[i + 1] === '?') {
      const rest = py.slice(i + 2);
      let m: RegExpExecArray | null;
      if ((m = /^P<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest))) {
        out += `(?<${m[1]}>`;
        i += 2 + m[0].length;
      } else if ((m = /^P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(rest))) {
        out += `\\k<${m[1]}>`;
        i += 2 + m[0].length;
      } else if (rest.startsWith('#')) {
        const end = py.indexOf(')', i);
        if (end < 0) throw new PatternError('missing ), unterminated comment');
        i = end + 1;
        continue;
      } else if ((m = /^([aiLmsux]+)\)/.exec(rest))) {
        if (!atStart) throw new PatternError('global flags not at the start of the expression');
        for (const f of m[1]!) {
          if (f === 'x') throw new PatternError('verbose patterns (?x) are not supported');
          if (f === 'L') throw new PatternError('locale patterns (?L) are not supported');
          if ((f === 'i' || f === 'm' || f === 's') && !flags.includes(f)) flags += f;
        }
        i += 2 + m[0].length;
        continue;
      } else if (/^[aiLmsux-]*[-:]/.test(rest) && !rest.startsWith(':')) {
        throw new PatternError('scoped inline flags like (?i:...) are not supported');
      } else if (rest.startsWith('>')) {
        throw new PatternError('atomic groups (?>...) are not supported');
      } else if (rest.startsWith('(')) {
        throw new PatternError('conditional groups (?(id)yes|no) are not supported');
      } else {
        out += '(?';
        i += 2;
      }
      atStart = false;
      lastWasQuantifier = false;
      continue;
    }
    if (c === '{') {
      const m = /^\{(\d*)(,?)(\d*)\}/.exec(py.slice(i));
      if (m && (m[1] !== '' || m[3] !== '') && out !== '') {
        out += `{${m[1] === '' ? '0' : m[1]}${m[2]}${m[3]}}`;
        i += m[0].length;
        lastWasQuantifier = true;
        atStart = false;
        continue;
      }
      out += '\\{';
      i++;
      atStart = false;
      lastWasQuantifier = false;
      continue;
    }
    if (c === '}') {
      out += '\\}';
      i++;
      atStart = false;
      lastWasQuantifier = false;
      continue;
    }
    if (c === '+' && lastWasQuantifier) {
      throw new PatternError(`possessive quantifiers are not supported (at position ${i})`);
    }
    out += c;
    i++;
    atStart = false;
    lastWasQuantifier = c === '*' || c === '+' || (c === '?' && !out.endsWith('(?'));
  }
  return { source: out, flags };
}

function compile(source: string, flags: string, shown: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (e) {
    const msg = (e as Error).message;
    const reason = /^Invalid regular expression: \/.*\/[a-z]*: (.*)$/s.exec(msg)?.[1] ?? msg;
    throw new ResolveError(`invalid regular expression '${shown}': ${reason}`);
  }
}

function translateOrThrow(py: string, shown: string): Translated {
  try {
    return translatePythonRegex(py);
  } catch (e) {
    if (e instanceof PatternError) throw new ResolveError(`invalid regular expression '${shown}': ${e.message}`);
    throw e;
  }
}

/**
 * The Python regex BCC builds from a glob: every `*` → `.*`, wrapped in `^…$`, nothing
 * else escaped (`os.*` → `^os..*$`). This is the text BCC prints in
 * `No functions matched by pattern …`.
 */
export function globToRegExpSource(pattern: string): string {
  return `^${pattern.replaceAll('*', '.*')}$`;
}

/**
 * Python `re.match` semantics: every alternative is anchored at the start (`^a|b$` must
 * not find `b` inside `xb`). The text is validated alone first, so an unbalanced pattern
 * such as `a)|(b` fails instead of pairing with our own group.
 */
function pyMatchRegExp(py: string): RegExp {
  const t = translateOrThrow(py, py);
  compile(t.source, t.flags, py);
  return compile(`^(?:${t.source})`, t.flags, py);
}

/** Characters that keep a regex meaning in a BCC glob, besides `*` and `.` (module comment). */
const REGEX_META = /[?+[\](){}|^$\\]/;

/**
 * Whether `name` matches `glob` whose `*` is any run of characters and `.` any one character
 * (BCC's `^…$` with `.*` and `.`). The two-pointer wildcard match: on a mismatch it retries
 * only from the last `*`, so its work is at most length(glob) × length(name), whatever the
 * number of stars — where a backtracking regex over `.*.*…x` takes exponential time.
 */
export function wildcardMatch(glob: string, name: string): boolean {
  let g = 0;
  let n = 0;
  let star = -1; // the glob index after the last '*' seen
  let from = 0; // where in name that '*' now resumes
  while (n < name.length) {
    const c = glob[g];
    if (c === '*') {
      star = ++g;
      from = n;
    } else if (c !== undefined && (c === '.' || c === name[n])) {
      g++;
      n++;
    } else if (star >= 0) {
      g = star;
      n = ++from;
    } else {
      return false;
    }
  }
  while (glob[g] === '*') g++;
  return g === glob.length;
}

/**
 * A RegExp whose `test` is `wildcardMatch` (callers hold RegExps; all of them use `test`). Its
 * source is BCC's regex, for anything that prints or executes it.
 */
class WildcardRegExp extends RegExp {
  constructor(
    private readonly glob: string,
    source: string,
  ) {
    super(source);
  }

  override test(name: string): boolean {
    return wildcardMatch(this.glob, name);
  }
}

/**
 * A glob compiled with BCC's semantics (see the module comment). Runs of `*` are one `*`
 * (the same names match). A glob of plain characters, `*` and `.` — nearly all of them —
 * matches in linear time (`wildcardMatch`); one with other regex characters is a regex, as
 * BCC's is.
 */
export function globToRegExp(pattern: string): RegExp {
  const glob = pattern.replace(/\*{2,}/g, '*');
  const source = globToRegExpSource(glob);
  if (!REGEX_META.test(glob)) return new WildcardRegExp(glob, source);
  return pyMatchRegExp(source);
}

/**
 * A `-r` regular expression, anchored at the start only (Python `re.match`).
 * Invalid → ResolveError `invalid regular expression '<re>': <reason>`.
 */
export function userRegExp(text: string): RegExp {
  return pyMatchRegExp(text);
}

/** The names `re` matches, first occurrence order, without duplicates. */
export function matchNames(names: Iterable<string>, re: RegExp): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const name of names) {
    if (seen.has(name)) continue;
    seen.add(name);
    re.lastIndex = 0;
    if (re.test(name)) out.push(name);
  }
  return out;
}
