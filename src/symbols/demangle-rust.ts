/**
 * Rust symbol names, legacy (`_ZN…17h<hash>E`) and v0 (`_R…`), demangled by rustc-demangle —
 * the Rust project's own demangler — compiled to WebAssembly in the npm package
 * `gecko-profiler-demangle` (the Firefox profiler's). Its C++ half (cpp_demangle) prints names
 * differently from c++filt (no return types, `(unsigned long)0`), so C++ stays with our own
 * demangler (demangle.ts) and only Rust names come here.
 *
 * The package is built for bundlers (`import * as wasm from "./index_bg.wasm"`), which Node
 * cannot import; its JavaScript glue (`index_bg.js`) is bundled with us, and the wasm file is
 * read from the installed package the first time a Rust name is demangled (~4 ms: 0.5 MB
 * compiled synchronously), so start-up never pays for it. If it cannot be loaded, names stay
 * as they are.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as glue from 'gecko-profiler-demangle/index_bg.js';

/** What we use of the WebAssembly global (the project's TypeScript libs do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, object>) => { exports: Record<string, unknown> };
}

/** undefined: not tried yet; null: failed to load (names stay raw). */
let loaded: typeof glue | null | undefined;

/** Where the wasm is: the installed package's file (tests point it elsewhere to see a failed load). */
let wasmPath = (): string => createRequire(import.meta.url).resolve('gecko-profiler-demangle/index_bg.wasm');

function load(): typeof glue | null {
  try {
    const path = wasmPath();
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(readFileSync(path)), { './index_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  } catch {
    return null;
  }
}

/** Legacy Rust names end in a hash element: `17h` and 16 hex digits (before any `.llvm.N` suffix). */
const LEGACY = /^_ZN.*17h[0-9a-f]{16}E(?:\.|$)/;

/** Is this a Rust symbol name (v0, or legacy with its hash)? */
export function isRustName(name: string): boolean {
  return name.startsWith('_R') || LEGACY.test(name);
}

/** The demangled Rust name (without the legacy hash, as rustc-demangle's `{:#}`), or the input. */
export function demangleRust(name: string): string {
  if (loaded === undefined) loaded = load();
  if (loaded === null) return name;
  try {
    const r = loaded.demangle_any(name);
    // A name none of its demanglers accepts comes back unchanged, or without its leading `_`.
    return r === name.slice(1) ? name : r;
  } catch {
    return name;
  }
}

/** Tests: forget the loaded demangler and load the next one from `path`. */
export function reloadRustDemanglerFrom(path: string): void {
  loaded = undefined;
  wasmPath = () => path;
}

/** Tests: was the wasm loaded (and did it load)? */
export function rustDemanglerState(): 'unloaded' | 'loaded' | 'failed' {
  return loaded === undefined ? 'unloaded' : loaded === null ? 'failed' : 'loaded';
}
