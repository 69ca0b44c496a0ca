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

/** Pre-order walk, left to right. Iterative: any depth the parser builds is safe to walk. */
export function walk(e: Expr, visit: (e: Expr) => void): void {
  const todo: Expr[] = [e];
  for (let x = todo.pop(); x; x = todo.pop()) {
    visit(x);
    const cs = children(x);
    for (let i = cs.length - 1; i >= 0; i--) todo.push(cs[i]!);
  }
}

/**
 * How deeply an expression may nest (operators, casts, calls, parentheses do not count). The
 * checker, lowerer and printer recurse once per level, so the parser refuses deeper trees
 * before any of them runs. 256 is clang's default bracket depth; a real probe expression
 * nests a few levels. A chain of binary operators is as deep as it is long (`1+1+…+1` with
 * 300 terms nests 299 levels).
 */
export const MAX_EXPR_DEPTH = 256;

/** The first node (pre-order) deeper than `max` levels below `e`, or undefined. Iterative. */
export function tooDeep(e: Expr, max = MAX_EXPR_DEPTH): Expr | undefined {
  const todo: [Expr, number][] = [[e, 1]];
  for (let top = todo.pop(); top; top = todo.pop()) {
    const [x, d] = top;
    if (d > max) return x;
    const cs = children(x);
    for (let i = cs.length - 1; i >= 0; i--) todo.push([cs[i]!, d + 1]);
  }
  return undefined;
}
