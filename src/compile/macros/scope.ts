/**
 * Names an expression may use that BTF does not describe: constants (`GFP_ATOMIC`, `O_CREAT`,
 * `AF_INET`) and member aliases (`sk->sk_dport`, a `#define sk_dport __sk_common.skc_dport`).
 * A `MacroScope` asks its sources in order; the first that knows a name answers, and says who
 * it is (for `--dump=resolved` and for the message when none knows it).
 */
import { MacroError, tokenize, type CValue, type MacroDef } from './cpp.js';

export interface Constant extends CValue {
  readonly name: string;
  /** Which source answered, and from what (`kernel BTF (enum sock_type)`, `uapi table`, `file:line`). */
  readonly source: string;
}

export interface MemberAlias {
  readonly name: string;
  /** The member path it stands for (`['__sk_common', 'skc_dport']`). */
  readonly path: readonly string[];
  readonly source: string;
}

/** One place constants come from. */
export interface ConstantSource {
  /** How messages name it: `kernel BTF`, `uapi table`, `kernel headers (DIR)`, `-I FILE`. */
  readonly name: string;
  /** undefined when it does not know the name; throws MacroError when it does but cannot evaluate it. */
  constant(name: string): Constant | undefined;
  /** Member aliases it knows (headers); undefined when none by that name. */
  alias?(name: string): MemberAlias | undefined;
  /** Why it has nothing to offer on this machine ('' when it is available), for messages. */
  unavailable?(): string;
  /** It has member aliases only (left out of where a constant was looked for). */
  readonly aliasesOnly?: boolean;
}

export interface MacroScope {
  constant(name: string): Constant | undefined;
  alias(name: string): MemberAlias | undefined;
  /** Where a name was looked for, for messages (`kernel BTF, uapi table, no kernel headers (…)`). */
  looked(): string;
  /** The answers given so far, in order (for `--dump=resolved`). */
  used(): readonly (Constant | MemberAlias)[];
  /** The same sources, with a log of its own. */
  fresh(): MacroScope;
}

class Scope implements MacroScope {
  readonly #used: (Constant | MemberAlias)[] = [];
  constructor(private readonly sources: readonly ConstantSource[]) {}
  constant(name: string): Constant | undefined {
    const errors: string[] = [];
    for (const s of this.sources) {
      try {
        const c = s.constant(name);
        if (c) {
          this.#used.push(c);
          return c;
        }
      } catch (e) {
        if (!(e instanceof MacroError)) throw e;
        errors.push(`${s.name}: ${e.message}`);
      }
    }
    if (errors.length > 0) throw new MacroError(`'${name}' is defined but is not an integer constant here (${errors.join('; ')})`);
    return undefined;
  }
  alias(name: string): MemberAlias | undefined {
    for (const s of this.sources) {
      const a = s.alias?.(name);
      if (a) {
        this.#used.push(a);
        return a;
      }
    }
    return undefined;
  }
  looked(): string {
    return this.sources
      .filter((s) => !s.aliasesOnly)
      .map((s) => (s.unavailable?.() ? `${s.name}: ${s.unavailable()}` : s.name))
      .join(', ');
  }
  used(): readonly (Constant | MemberAlias)[] {
    return this.#used;
  }
  fresh(): MacroScope {
    return new Scope(this.sources);
  }
}

export function macroScope(sources: readonly ConstantSource[]): MacroScope {
  return new Scope(sources);
}

/** `a.b.c` (or `a->b`, which a member alias does not use) as a path, when the text is one. */
export function memberPath(tokens: string): readonly string[] | undefined {
  const t = tokenize(tokens);
  if (t.length === 0 || t.length % 2 === 0) return undefined;
  const path: string[] = [];
  for (let i = 0; i < t.length; i++) {
    if (i % 2 === 0 && t[i]!.t === 'id') path.push(t[i]!.v);
    else if (i % 2 === 1 && t[i]!.v === '.') continue;
    else return undefined;
  }
  return path.length >= 2 ? path : undefined;
}

/** A definition that is a member alias (`#define sk_dport __sk_common.skc_dport`). */
export function aliasOf(def: MacroDef): MemberAlias | undefined {
  if (def.params) return undefined;
  const path = memberPath(def.body.map((b) => b.v).join(' '));
  return path ? { name: def.name, path, source: def.where } : undefined;
}

/**
 * The member aliases of net/sock.h, net/inet_sock.h and net/inet_timewait_sock.h: stable
 * names over struct sock_common, taken as a path only where the running kernel's BTF has it.
 */
const SOCK_ALIASES: readonly (readonly [string, string])[] = [
  ...[
    'node',
    'nulls_node',
    'refcnt',
    'tx_queue_mapping',
    'rx_queue_mapping',
    'dontcopy_begin',
    'dontcopy_end',
    'hash',
    'portpair',
    'num',
    'dport',
    'addrpair',
    'daddr',
    'rcv_saddr',
    'family',
    'state',
    'reuse',
    'reuseport',
    'ipv6only',
    'net_refcnt',
    'bound_dev_if',
    'bind_node',
    'prot',
    'net',
    'v6_daddr',
    'v6_rcv_saddr',
    'cookie',
    'incoming_cpu',
    'flags',
    'rxhash',
  ].map((m) => [`sk_${m}`, `__sk_common.skc_${m}`] as const),
  ['inet_daddr', 'sk.__sk_common.skc_daddr'],
  ['inet_rcv_saddr', 'sk.__sk_common.skc_rcv_saddr'],
  ['inet_dport', 'sk.__sk_common.skc_dport'],
  ['inet_num', 'sk.__sk_common.skc_num'],
  ...[
    'family',
    'state',
    'reuse',
    'reuseport',
    'ipv6only',
    'bound_dev_if',
    'bind_node',
    'refcnt',
    'hash',
    'prot',
    'net',
    'daddr',
    'v6_daddr',
    'rcv_saddr',
    'v6_rcv_saddr',
    'dport',
    'num',
    'cookie',
  ].map((m) => [`tw_${m}`, `__tw_common.skc_${m}`] as const),
  ['tw_node', '__tw_common.skc_nulls_node'],
  ['tw_dr', '__tw_common.skc_tw_dr'],
];

/** The built-in member aliases (net/sock.h and friends): every kernel's, no header needed. */
export const builtinAliases: ConstantSource = {
  name: 'built-in member aliases (net/sock.h, net/inet_sock.h)',
  aliasesOnly: true,
  constant: () => undefined,
  alias: (name) => {
    const hit = SOCK_ALIASES.find(([n]) => n === name);
    if (!hit) return undefined;
    const header = name.startsWith('inet_') ? 'net/inet_sock.h' : name.startsWith('tw_') ? 'net/inet_timewait_sock.h' : 'net/sock.h';
    return { name, path: hit[1].split('.'), source: `built-in (${header})` };
  },
};

/** Every built-in alias name, for tests and suggestions. */
export const BUILTIN_ALIAS_NAMES: readonly string[] = SOCK_ALIASES.map(([n]) => n);
