/**
 * The resolve step of funccount, stackcount and funclatency: a pattern (`[type:][library:]name`,
 * glob or `-r` regex) → every probe it names, through the provider registry.
 */
import { ResolveError } from '../errors.js';
import { parseFuncPattern } from '../specs/parse.js';
import type { FuncPatternAst, PatternTool } from '../specs/ast.js';
import { resolveProbe } from '../probes/registry.js';
import { probeLimit, probeLimitError } from '../probes/kernel.js';
import type { ProbeHost } from '../probes/host.js';
import type { ProbeQuery, ResolvedProbe } from '../probes/provider.js';
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

/** What each tool says when nothing matched, in BCC's words. */
function noMatch(tool: PatternTool, ast: FuncPatternAst, text: string, regex: boolean): ResolveError {
  switch (tool) {
    case 'funclatency':
      return new ResolveError(`0 functions matched by "${text}". Exiting.`);
    case 'funccount':
    case 'stackcount':
      return new ResolveError(`No functions matched by pattern ${regex ? text : ast.pattern}`);
  }
}

export function patternQuery(ast: FuncPatternAst, o: { regex: boolean; pid?: number }): ProbeQuery {
  return { type: ast.type, library: ast.library, name: ast.pattern, match: o.regex ? 'regex' : 'glob', ...(o.pid !== undefined ? { pid: o.pid } : {}) };
}

export function planPattern(text: string, tool: PatternTool, o: { regex: boolean; pid?: number }, host: ProbeHost = liveHost()): PatternPlan {
  const ast = parseFuncPattern(text, tool);
  const query = patternQuery(ast, o);
  const probes = resolveProbe(query, host);
  if (probes.length === 0) throw noMatch(tool, ast, text, o.regex);
  const limit = process.env.BCC_PROBE_LIMIT === undefined ? USER_PROBE_LIMIT : probeLimit();
  if (probes.length > limit) throw probeLimitError(limit, probes.length);
  return { ast, query, probes };
}
