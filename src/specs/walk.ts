/** Generic traversal of expression trees (for validation here and type checking later). */
import { assertNever } from '../errors.js';
import type { Expr } from './ast.js';

/** The direct sub-expressions of `e`, left to right. */
export function children(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case 'int':
    case 'char':
    case 'string':
    case 'ident':
    case 'arg':
    case 'retval':
    case 'latency':
    case 'entry':
    case 'args':
    case 'ctx':
    case 'builtin':
      return [];
    case 'member':
      return [e.object];
    case 'index':
      return [e.object, e.index];
    case 'strcmp':
      return [e.literal, e.operand];
    case 'call':
      return e.args;
    case 'cast':
    case 'unary':
      return [e.operand];
    case 'binary':
      return [e.left, e.right];
    case 'ternary':
      return [e.cond, e.then, e.else];
    default:
      return assertNever(e, 'expression');
  }
}

/** Pre-order walk. */
export function walk(e: Expr, visit: (e: Expr) => void): void {
  visit(e);
  for (const c of children(e)) walk(c, visit);
}
