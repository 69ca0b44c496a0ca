/** Expression compiler: probe contexts, C types, type checking, lowering, $entry/$latency, diagnostics. */
export * from './types.js';
export * from './usertypes.js';
export * from './context.js';
export * from './check.js';
export * from './lower.js';
export * from './entry.js';
export * from './diagnose.js';
