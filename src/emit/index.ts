/** The eBPF instruction model, assembler DSL, program builder, assembler and disassembler. */
export * from './insn.js';
export * from './asm.js';
export * from './types.js';
export * from './helpers.gen.js';
export * from './builder.js';
export * from './assemble.js';
export * from './disasm.js';
export * as opcode from './opcode.js';
