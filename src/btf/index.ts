/** Public surface of the BTF reader. */
export * from './types.js';
export { BtfSpec, type ParseOptions } from './spec.js';
export { underlying, sizeof, alignof, ptrSize, memberPath, memberNames, suggest, describe, type MemberLocation } from './resolve.js';
export { funcProto, funcProtoOf, type FuncProto } from './func.js';
export { formatC, formatDecl, formatFuncSignature } from './format.js';
export { dumpRaw, dumpRawLines, dumpType } from './dump.js';
export { readHeader, type BtfHeader, KIND_NAMES, MAX_RESOLVE_DEPTH } from './wire.js';
