/** Public surface of the BTF reader. */
export * from './types.js';
export { BtfSpec, type ParseOptions } from './spec.js';
export { underlying, sizeof, alignof, ptrSize, memberPath, memberNames, suggest, describe, type MemberLocation } from './resolve.js';
export { funcProto, funcProtoOf, tracepointProto, tracepointNames, TRACEPOINT_TYPEDEF_PREFIX, type FuncProto, type TracepointProto } from './func.js';
export { formatC, formatDecl, formatFuncSignature, formatTracepointProto } from './format.js';
export { dumpRaw, dumpRawLines, dumpType } from './dump.js';
export { readHeader, type BtfHeader, KIND_NAMES, MAX_RESOLVE_DEPTH } from './wire.js';
