/**
 * tracefs facts: where it is mounted, which tracepoints exist, what their records look
 * like, which kernel functions ftrace can see, and the kprobe blacklist.
 *
 * Parsers are pure (text in, data out); the readers around them are thin node:fs calls.
 * Mounting tracefs is not done here.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { FormatError, ResolveError } from '../errors.js';

/**
 * Where tracefs is looked for, in order. (BCC 0.26 prefers the debugfs path when it exists;
 * we prefer the tracefs mount point, which is what modern kernels and distributions use.)
 */
export const TRACEFS_CANDIDATES: readonly string[] = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/** Where the kernel lists functions kprobes refuse (debugfs). */
export const KPROBE_BLACKLIST_PATH = '/sys/kernel/debug/kprobes/blacklist';

/**
 * The first candidate that is a mounted tracefs (it has `available_events` or `events/`),
 * or undefined. An unmounted `/sys/kernel/tracing` is an empty directory, so existence of
 * the directory alone proves nothing.
 */
export function findTracefs(candidates: readonly string[] = TRACEFS_CANDIDATES): string | undefined {
  for (const c of candidates) {
    if (fs.existsSync(path.join(c, 'available_events')) || fs.existsSync(path.join(c, 'events'))) return c;
  }
  return undefined;
}

export interface TracepointName {
  readonly category: string;
  readonly event: string;
}

/**
 * Directory entries in the kernel's order (node's readdirSync sorts them; BCC's
 * os.listdir does not, and funccount numbers its probes in that order).
 */
function listDir(dir: string): fs.Dirent[] {
  const d = fs.opendirSync(dir);
  const out: fs.Dirent[] = [];
  try {
    for (let e = d.readSync(); e !== null; e = d.readSync()) out.push(e);
  } finally {
    d.closeSync();
  }
  return out;
}

/**
 * Every tracepoint under `<root>/events`: category directories (not `ftrace`, whose
 * events cannot be attached to) holding event directories with an `id` file. Files such
 * as `enable`, `filter`, `header_page` are skipped. Kernel directory order.
 */
export function listTracepoints(root: string): TracepointName[] {
  return listTracepointDirs(root).filter((t) => hasEventId(root, t));
}

/**
 * Every `events/<category>/<event>/` directory, without checking for its `id` file: a stat
 * per event costs ~50 ms over ~2,000 events, so callers that filter by name first check
 * `hasEventId` only for what they keep.
 */
export function listTracepointDirs(root: string): TracepointName[] {
  const events = path.join(root, 'events');
  const out: TracepointName[] = [];
  for (const cat of listDir(events)) {
    if (!cat.isDirectory() || cat.name === 'ftrace') continue;
    const catDir = path.join(events, cat.name);
    let entries: fs.Dirent[];
    try {
      entries = listDir(catDir);
    } catch {
      continue;
    }
    for (const ev of entries) {
      if (ev.isDirectory()) out.push({ category: cat.name, event: ev.name });
    }
  }
  return out;
}

/**
 * Whether `category` and `event` can name a trace event: the kernel's names are C identifiers
 * (`available_events` uses `[a-z0-9_]`; dynamic events allow capitals, and some systems `.`
 * and `-`). They become path components under tracefs, so nothing else — no `/`, no `..` — is
 * ever joined into a path (`t:../../../tmp/x:y` read a planted `id` once).
 */
export function isTracepointName(category: string, event: string): boolean {
  return EVENT_NAME.test(category) && EVENT_NAME.test(event);
}

const EVENT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,255}$/;

/** Whether an event directory is a real trace event (has an `id`). */
export function hasEventId(root: string, t: TracepointName): boolean {
  return isTracepointName(t.category, t.event) && fs.existsSync(path.join(root, 'events', t.category, t.event, 'id'));
}

function eventFile(root: string, category: string, event: string, file: string): string {
  if (!isTracepointName(category, event)) {
    throw new ResolveError(`${JSON.stringify(`${category}:${event}`)} is not a tracepoint name`, [
      'tracepoint names are category:event, letters, digits and _ (see polytrace list t:*)',
    ]);
  }
  const p = path.join(root, 'events', category, event, file);
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ResolveError(`tracepoint ${category}:${event} does not exist (no ${p})`, [`list tracepoints with: ls ${path.join(root, 'events', category)}`]);
    }
    throw new ResolveError(`cannot read ${p}: ${code ?? String(e)}`);
  }
}

/** The tracepoint's id (`events/<cat>/<ev>/id`), used as perf_event_attr.config. */
export function tracepointId(root: string, category: string, event: string): number {
  const text = eventFile(root, category, event, 'id').trim();
  if (!/^\d+$/.test(text)) throw new FormatError(`bad tracepoint id '${text}' for ${category}:${event}`);
  return Number(text);
}

export interface TracepointField {
  readonly name: string;
  /**
   * The C type as the format declares it, with any array suffix moved onto the type:
   * `const char *`, `unsigned long`, `char[16]`, `u8[6]`, `unsigned long[]`; for a
   * `__data_loc` field the declared element array (`char[]`, `u64[]`, `cpumask_t`).
   */
  readonly cType: string;
  readonly offset: number;
  readonly size: number;
  readonly signed: boolean;
  /** `common_*` fields, the header every record starts with. */
  readonly isCommon: boolean;
  /**
   * `__data_loc T name` (or `__rel_loc`): the record holds a u32 at `offset` whose low 16
   * bits are the data's offset (from the record start; for __rel_loc from the end of this
   * field) and high 16 bits its length.
   */
  readonly dataLoc: boolean;
  /** `__rel_loc`: the data offset is relative to the end of this u32. */
  readonly relLoc?: boolean;
  /** Element count of a fixed array (`char comm[16]` → 16; a flexible `args[]` → 0). */
  readonly arrayLength?: number;
}

export interface TracepointFormat {
  readonly name: string;
  readonly id: number;
  readonly fields: readonly TracepointField[];
  /** The text after `print fmt: `, verbatim. */
  readonly printFmt: string;
}

const FIELD_RE = /^\s*field:(.*?);\s*offset:(\d+);\s*size:(\d+);(?:\s*signed:(-?\d+);)?\s*$/;

/** Parse one `field:` declaration (`const char * filename`, `char comm[16]`, `__data_loc char[] name`). */
function parseDecl(decl: string, line: string): Pick<TracepointField, 'name' | 'cType' | 'dataLoc' | 'relLoc' | 'arrayLength'> {
  let text = decl.trim();
  let dataLoc = false;
  let relLoc = false;
  const loc = /^(__data_loc|__rel_loc)\s+/.exec(text);
  if (loc) {
    dataLoc = true;
    relLoc = loc[1] === '__rel_loc';
    text = text.slice(loc[0].length);
  }
  // name, optionally followed by an array suffix, at the end of the declaration
  const m = /^(.*?)([A-Za-z_][A-Za-z0-9_]*)\s*(\[[^\]]*\])?$/.exec(text);
  if (!m || m[1]!.trim() === '') throw new FormatError(`cannot parse tracepoint field declaration: ${line.trim()}`);
  const base = m[1]!.trim();
  const name = m[2]!;
  const suffix = m[3];
  let cType = base;
  let arrayLength: number | undefined;
  if (suffix !== undefined) {
    const inner = suffix.slice(1, -1).trim();
    cType = `${base}[${inner}]`;
    if (inner === '') arrayLength = 0;
    else if (/^\d+$/.test(inner)) arrayLength = Number(inner);
  }
  return { name, cType, dataLoc, ...(relLoc ? { relLoc } : {}), ...(arrayLength !== undefined ? { arrayLength } : {}) };
}

/**
 * Parse `events/<cat>/<ev>/format`. A missing `signed:` (kernels before 2.6.34) reads as
 * unsigned. Throws FormatError on a malformed file.
 */
export function parseTracepointFormat(text: string): TracepointFormat {
  let name: string | undefined;
  let id: number | undefined;
  let printFmt: string | undefined;
  const fields: TracepointField[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('name: ')) name = line.slice(6).trim();
    else if (line.startsWith('ID: ')) {
      const t = line.slice(4).trim();
      if (!/^\d+$/.test(t)) throw new FormatError(`bad tracepoint ID line: ${line}`);
      id = Number(t);
    } else if (line.startsWith('print fmt: ')) printFmt = line.slice(11);
    else if (/^\s*field:/.test(line)) {
      const m = FIELD_RE.exec(line);
      if (!m) throw new FormatError(`cannot parse tracepoint field line: ${line.trim()}`);
      const decl = parseDecl(m[1]!, line);
      fields.push({
        ...decl,
        offset: Number(m[2]),
        size: Number(m[3]),
        signed: m[4] !== undefined && m[4] !== '0',
        isCommon: decl.name.startsWith('common_'),
      });
    }
  }
  if (name === undefined) throw new FormatError('tracepoint format has no "name:" line');
  if (id === undefined) throw new FormatError(`tracepoint format of ${name} has no "ID:" line`);
  return { name, id, fields, printFmt: printFmt ?? '' };
}

/** Read and parse the format of `category:event`; ResolveError when it does not exist. */
export function readTracepointFormat(root: string, category: string, event: string): TracepointFormat {
  return parseTracepointFormat(eventFile(root, category, event, 'format'));
}

/**
 * Function names in `available_filter_functions` text: the first word of each line, with
 * the ` [module]` suffix dropped, de-duplicated in first-seen order. Placeholders the
 * kernel prints for functions it could not resolve (`__ftrace_invalid_address___N`) are
 * skipped. Also accepts the `available_filter_functions_addrs` layout (`addr name [mod]`).
 */
export function parseAvailableFilterFunctions(text: string): string[] {
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    let name = words[0];
    if (name !== undefined && /^[0-9a-f]{8,16}$/.test(name) && words.length > 1 && !words[1]!.startsWith('[')) {
      name = words[1];
    }
    if (!name || name.startsWith('__ftrace_invalid_address__')) continue;
    seen.add(name);
  }
  return [...seen];
}

/** Read `<root>/available_filter_functions` (root only; lockdown may refuse it: ResolveError). */
export function availableFilterFunctions(root: string): string[] {
  const p = path.join(root, 'available_filter_functions');
  try {
    return parseAvailableFilterFunctions(fs.readFileSync(p, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ResolveError(`cannot read ${p}: ${code ?? String(e)}`, [
      code === 'EPERM' || code === 'EACCES' ? 'run as root (kernel lockdown may also forbid it)' : 'is tracefs mounted?',
    ]);
  }
}

/** Names in kprobes/blacklist text (`0xstart-0xend\tname` per line). */
export function parseKprobeBlacklist(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words.length >= 2 && words[1]) out.add(words[1]);
  }
  return out;
}

/**
 * Kernel functions kprobes refuse. A missing or unreadable list (debugfs not mounted, no
 * kprobes, not root) gives an empty set: BCC 0.26 fails there, we treat it as "nothing known".
 */
export function kprobeBlacklist(file: string = KPROBE_BLACKLIST_PATH): Set<string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return new Set();
  }
  return parseKprobeBlacklist(text);
}

/** The group a dynamic event of this type goes to when its definition names none. */
const DYNAMIC_GROUP: Readonly<Record<string, string>> = { p: 'kprobes', r: 'kprobes', s: 'synthetic', e: 'eprobes', f: 'fprobes', t: 'tracepoints' };

/**
 * `category:event` of each definition in dynamic_events (or kprobe_events, uprobe_events)
 * text: `p:kprobes/name sym`, `r:grp/name …`, `s:synthetic/name …`, `e:eprobes/name …`. Lines
 * of synthetic_events (`name fields`) are read with `synthetic` set.
 */
export function parseDynamicEvents(text: string, o: { synthetic?: boolean } = {}): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (o.synthetic) {
      out.push(`synthetic:${line.split(/\s+/)[0]!}`);
      continue;
    }
    const m = /^([a-z])[^:\s]*:(?:([^/\s]+)\/)?(\S+)/.exec(line);
    if (!m) continue;
    const group = m[2] ?? DYNAMIC_GROUP[m[1]!];
    if (group) out.push(`${group}:${m[3]!}`);
  }
  return out;
}

/**
 * tracefs events that are dynamic (kprobe, uprobe, synthetic, eprobe, fprobe events), not
 * tracepoints of their own: from dynamic_events, else the per-type files of older kernels.
 * Files that cannot be read add nothing.
 */
export function dynamicEvents(root: string): Set<string> {
  const read = (name: string): string | undefined => {
    try {
      return fs.readFileSync(`${root}/${name}`, 'utf8');
    } catch {
      return undefined;
    }
  };
  const all = read('dynamic_events');
  if (all !== undefined) return new Set(parseDynamicEvents(all));
  const out = new Set<string>();
  for (const f of ['kprobe_events', 'uprobe_events']) for (const e of parseDynamicEvents(read(f) ?? '')) out.add(e);
  for (const e of parseDynamicEvents(read('synthetic_events') ?? '', { synthetic: true })) out.add(e);
  return out;
}
