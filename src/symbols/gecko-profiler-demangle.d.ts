// The wasm-bindgen glue of gecko-profiler-demangle, which ships types only for its bundler
// entry point (index.js). See demangle-rust.ts.
declare module 'gecko-profiler-demangle/index_bg.js' {
  export function __wbg_set_wasm(exports: Record<string, unknown>): void;
  export function __wbindgen_init_externref_table(): void;
  export function demangle_any(name: string): string;
}
