#!/usr/bin/env node
// Generates src/compile/macros/uapi.gen.ts: the integer constants of the kernel's user-space
// ABI (O_CREAT, EAGAIN, SIGKILL, PROT_READ, MAP_SHARED, CLONE_*, IPPROTO_*, …) for x86-64 and
// arm64, so that expressions can use them with no headers installed. Only uapi names: values
// internal to the kernel (GFP flags, TASK_* states) change between versions and come from
// the running kernel (BTF, tracefs, its headers), never from this table.
//
//   npm run build && node scripts/gen-uapi-constants.mjs [--check] [--x64 ROOT] [--arm64 ROOT]
//
// The headers are read by polytrace's own preprocessor (dist/compile/macros/cpp.js, hence the
// build first), with each arch's predefined macros:
//  - x86-64: linux-libc-dev's /usr/include (asm/ in /usr/include/x86_64-linux-gnu);
//  - arm64: linux-libc-dev-arm64-cross's /usr/aarch64-linux-gnu/include.
// AF_*/PF_*/MSG_*/SOCK_* are not uapi headers' (include/linux/socket.h is kernel-only), but are
// the same ABI: they come from glibc's bits/socket.h and bits/socket_type.h (libc6-dev, and
// libc6-dev-arm64-cross), the headers user space takes them from.
// A value that differs between the two arches is kept per arch; the rest are common.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outPath = join(root, 'src/compile/macros/uapi.gen.ts');
const { readHeader, enumConstants, evalMacro, MacroError } = await import(join(root, 'dist/compile/macros/cpp.js'));

const args = process.argv.slice(2);
const check = args.includes('--check');
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const ARCHES = {
  x64: {
    roots: [join(opt('--x64', '/'), 'usr/include/x86_64-linux-gnu'), join(opt('--x64', '/'), 'usr/include')],
    predefined: ['__x86_64__', '__LP64__', '__linux__', '__GNUC__'],
  },
  arm64: {
    roots: [join(opt('--arm64', '/'), 'usr/aarch64-linux-gnu/include')],
    predefined: ['__aarch64__', '__LP64__', '__linux__', '__GNUC__', '__AARCH64EL__'],
  },
};

/** The headers read, and which of the names they reach are kept (their own, asm's, asm-generic's). */
const HEADERS = [
  'linux/fcntl.h',
  'linux/errno.h',
  'asm/signal.h',
  'linux/mman.h',
  'linux/sched.h',
  'linux/stat.h',
  'linux/wait.h',
  'linux/time.h',
  'linux/eventpoll.h',
  'linux/poll.h',
  'linux/resource.h',
  'linux/futex.h',
  'linux/in.h',
  'linux/in6.h',
  'linux/tcp.h',
  'asm/socket.h',
  'linux/if_ether.h',
  'linux/capability.h',
  'linux/prctl.h',
  'linux/ptrace.h',
  'linux/fs.h',
  'linux/limits.h',
  'linux/netlink.h',
  'linux/mount.h',
  'linux/inotify.h',
  'bits/socket.h',
  'bits/socket_type.h',
];
const KEEP = (file) => HEADERS.includes(file) || /^(asm|asm-generic)\//.test(file) || /^bits\/socket/.test(file);

/** uapi typedefs casts use (`(__force __poll_t)0x1`): all 32-bit unsigned. */
const typeOf = (n) => (/^__(poll|kernel_mode|kernel_uid32|kernel_gid32)_t$/.test(n) ? { size: 4, signed: false } : undefined);

function readArch(arch) {
  const { roots, predefined } = ARCHES[arch];
  const pre = new Map(predefined.map((n) => [n, { name: n, body: [{ t: 'num', v: n === '__GNUC__' ? '12' : '1' }], where: '<predefined>' }]));
  const defs = new Map();
  const enums = new Map();
  const origin = new Map();
  const seen = new Set();
  const find = (inc) => roots.map((r) => join(r, inc)).find((p) => existsSync(p));
  const lookup = (n) =>
    pre.get(n) ?? defs.get(n) ?? (enums.has(n) ? { name: n, body: [{ t: 'num', v: String(enums.get(n).value) }], where: 'enum' } : undefined);
  const read = (inc, top) => {
    if (seen.has(inc)) return;
    seen.add(inc);
    const path = find(inc);
    if (!path) {
      if (inc === top) throw new Error(`${arch}: ${inc} not found under ${roots.join(', ')}`);
      return;
    }
    const text = readFileSync(path, 'utf8');
    for (const m of text.matchAll(/^\s*#\s*include\s*[<"]([^>"]+)[>"]/gm)) read(m[1], top);
    const h = readHeader(text, inc, lookup);
    for (const [n, d] of h.defines) {
      defs.set(n, d);
      if (KEEP(inc)) origin.set(n, inc);
    }
    for (const [n, v] of enumConstants(h.code, lookup)) {
      enums.set(n, v);
      if (KEEP(inc)) origin.set(n, inc);
    }
  };
  for (const h of HEADERS) read(h, h);
  const out = new Map();
  for (const [n, file] of origin) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(n)) continue;
    let v;
    try {
      v = defs.has(n) ? evalMacro(n, lookup, typeOf) : enums.get(n);
    } catch (e) {
      if (!(e instanceof MacroError)) throw e;
      // `#define SOCK_STREAM SOCK_STREAM` beside its enumerator (glibc, linux/in.h)
      v = enums.get(n);
      if (!v && process.env.GEN_DEBUG) process.stderr.write(`${arch}: ${n}: ${e.message}\n`);
    }
    if (!v) continue;
    out.set(n, { value: v.value, type: `${v.signed ? '' : 'u'}${v.size === 8 ? 'l' : 'i'}`, file });
  }
  return out;
}

const x64 = readArch('x64');
const arm64 = readArch('arm64');
const common = new Map();
const only = { x64: new Map(), arm64: new Map() };
for (const [n, v] of x64) {
  const a = arm64.get(n);
  if (a && a.value === v.value && a.type === v.type) common.set(n, v);
  else only.x64.set(n, v);
}
for (const [n, v] of arm64) if (!common.has(n)) only.arm64.set(n, v);

const files = [...new Set([...x64.values(), ...arm64.values()].map((v) => v.file))].sort();
const version = (pkg) => {
  try {
    return execFileSync('dpkg-query', ['-W', `-f=${'$'}{Version}`, pkg], { encoding: 'utf8' });
  } catch {
    return 'unknown';
  }
};
const table = (m) =>
  `{\n${[...m]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([n, v]) => `  ${n}: ['${v.value}', '${v.type}', ${files.indexOf(v.file)}],`)
    .join('\n')}\n}`;
const text = `// Code generated by scripts/gen-uapi-constants.mjs; DO NOT EDIT.
// From linux-libc-dev ${version('linux-libc-dev')} (x86-64), linux-libc-dev-arm64-cross ${version('linux-libc-dev-arm64-cross')} (arm64),
// and glibc's bits/socket.h and bits/socket_type.h for AF_*, PF_*, MSG_*, SOCK_*.

/** [value, type (i int, ui unsigned int, l long, ul unsigned long), index in UAPI_FILES]. */
export type UapiEntry = readonly [string, 'i' | 'ui' | 'l' | 'ul', number];

export const UAPI_FILES: readonly string[] = ${JSON.stringify(files)};

/** Constants with the same value on x86-64 and arm64. */
export const UAPI_COMMON: Readonly<Record<string, UapiEntry>> = ${table(common)};

/** Constants whose value is the arch's own (or defined on one arch only). */
export const UAPI_ARCH: Readonly<Record<'x64' | 'arm64', Readonly<Record<string, UapiEntry>>>> = {
  x64: ${table(only.x64).replace(/\n/g, '\n  ')},
  arm64: ${table(only.arm64).replace(/\n/g, '\n  ')},
};
`;
if (check) {
  const cur = existsSync(outPath) ? readFileSync(outPath, 'utf8') : '';
  if (cur !== text) {
    process.stderr.write(`${outPath} is not current: run node scripts/gen-uapi-constants.mjs\n`);
    process.exit(1);
  }
} else {
  writeFileSync(outPath, text);
  process.stderr.write(`wrote ${outPath}: ${common.size} common, ${only.x64.size} x86-64, ${only.arm64.size} arm64\n`);
}
