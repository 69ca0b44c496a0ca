/**
 * The resolve step of funccount, stackcount and funclatency: a pattern (`[type:][library:]name`,
 * glob or `-r` regex) → every probe it names, through the provider registry.
 */
import { ResolveError } from '../errors.js';
import { parseFuncPattern } from '../specs/parse.js';
import type { FuncPatternAst, PatternTool } from '../specs/ast.js';
import { providerFor, resolveProbe } from '../probes/registry.js';
import { probeLimit, probeLimitError } from '../probes/kernel.js';
import { missHints, plural } from '../probes/listing.js';
import type { ProbeHost } from '../probes/host.js';
import type { Miss, ProbeQuery, ResolvedProbe } from '../probes/provider.js';
import { liveHost } from './host.js';

/**
 * Default bound on user-function, USDT and tracepoint probes: they attach through one link or
 * cheap perf events. Kernel functions are held to BCC's 1000 by their provider; an explicit
 * BCC_PROBE_LIMIT binds every kind.
 */
const USER_PROBE_LIMIT = 100_000;

export interface PatternPlan {
  readonly ast: FuncPatternAst;
  readonly query: ProbeQuery;
  readonly probes: readonly ResolvedProbe[];
}

/**
 * What each tool says when nothing matched, in BCC's words, with what was looked for (the
 * probe kind's word instead of BCC's "functions") and where, and the nearest names as hints.
 */
function noMatch(tool: PatternTool, ast: FuncPatternAst, text: string, regex: boolean, miss: Miss | undefined): ResolveError {
  const what = miss ? plural(miss.what) : 'functions';
  const where = miss ? ` in ${miss.where}` : '';
  const hints = miss ? missHints(miss) : [];
  switch (tool) {
    case 'funclatency':
      return new ResolveError(`0 ${what} matched by "${text}"${where}. Exiting.`, hints);
    case 'funccount':
    case 'stackcount':
      return new ResolveError(`No ${what} matched by pattern ${regex ? text : ast.pattern}${where}`, hints);
  }
}

/** What the query looked for, or undefined when even that cannot be read (the plain message then). */
function missOf(query: ProbeQuery, host: ProbeHost): Miss | undefined {
  try {
    return providerFor(query).missed(query, host);
  } catch {
    return undefined;
  }
}

export function patternQuery(ast: FuncPatternAst, o: { regex: boolean; pid?: number }): ProbeQuery {
  return { type: ast.type, library: ast.library, name: ast.pattern, match: o.regex ? 'regex' : 'glob', ...(o.pid !== undefined ? { pid: o.pid } : {}) };
}

export function planPattern(text: string, tool: PatternTool, o: { regex: boolean; pid?: number }, host: ProbeHost = liveHost()): PatternPlan {
  const ast = parseFuncPattern(text, tool);
  const query = patternQuery(ast, o);
  const probes = resolveProbe(query, host);
  if (probes.length === 0) throw noMatch(tool, ast, text, o.regex, missOf(query, host));
  const limit = process.env.BCC_PROBE_LIMIT === undefined ? USER_PROBE_LIMIT : probeLimit();
  if (probes.length > limit) throw probeLimitError(limit, probes.length);
  return { ast, query, probes };
}
