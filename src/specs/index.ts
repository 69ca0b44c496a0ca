/** The spec language: text → AST, diagnostics, and AST → text. */
export type * from './ast.js';
export { BUILTIN_NAMES } from './ast.js';
export { parseArgdistSpec, parseExpr, parseFormat, parseFuncPattern, parseTraceProbe, parseTraceProbes, parseTypeName } from './parse.js';
export { collect, renderDiagnostic, renderError, type Diagnostic } from './diagnostics.js';
export { dumpAst, printArgdistSpec, printExpr, printFormat, printFuncPattern, printProbeRef, printSignature, printTraceProbe, printType } from './print.js';
export { children, walk } from './walk.js';
export { TYPEDEF_NAMES } from './grammar/lexer.js';
