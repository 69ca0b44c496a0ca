/**
 * The names nearest to a word that matched nothing, for "did you mean" hints: every provider's
 * not-found message and the subcommand dispatcher use this one function. Close by edit
 * distance (a typo: `funcount` → `funccount`); when no name is that close, names sharing the
 * longest prefix with the word or containing it (`sched:nosuch` → other `sched:` events).
 */

/** Glob and regex characters are no part of the name looked for. */
const PATTERN_CHARS = /[*?^$()|\\[\]{}+]/g;

/** Up to `n` names of `names` nearest to `word`, nearest first; [] when none is near. */
export function nearest(names: Iterable<string>, word: string, n = 3): string[] {
  const w = word.replace(PATTERN_CHARS, '');
  if (w === '' || n <= 0) return [];
  // A third of the word may be wrong, at least one character and at most three.
  const limit = Math.max(1, Math.min(3, Math.floor(w.length / 3)));
  // A shared prefix counts when it is half the word (and at least 3 characters).
  const minPrefix = Math.max(3, Math.ceil(w.length / 2));
  const scored: Array<{ name: string; rank: number; tie: number }> = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (name === w || seen.has(name)) continue;
    seen.add(name);
    if (Math.abs(name.length - w.length) <= limit) {
      const d = editDistance(w, name, limit);
      if (d <= limit) {
        scored.push({ name, rank: d, tie: 0 });
        continue;
      }
    }
    const p = name.includes(w) && w.length >= 3 ? w.length : commonPrefix(w, name);
    if (p >= minPrefix) scored.push({ name, rank: limit + 1 + (w.length - p), tie: Math.abs(name.length - w.length) });
  }
  const typos = scored.filter((s) => s.rank <= limit);
  if (typos.length) scored.splice(0, scored.length, ...typos);
  scored.sort((a, b) => a.rank - b.rank || a.tie - b.tie || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return scored.slice(0, n).map((s) => s.name);
}

/** `did you mean a, b or c?`, or '' for no names. */
export function didYouMean(names: readonly string[]): string {
  if (names.length === 0) return '';
  const list = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
  return `did you mean ${list}?`;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Optimal string alignment distance (a swap of neighbours is one edit), or `cap + 1` past `cap`. */
function editDistance(a: string, b: string, cap: number): number {
  const m = a.length;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > cap) return cap + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n]!;
}
