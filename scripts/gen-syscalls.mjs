#!/usr/bin/env node
// Generates src/symbols/syscalls.gen.ts: system call numbers by entry-point name, for x86-64
// and arm64, from the kernel's uapi headers (linux-libc-dev), so that a program at the raw
// sys_enter/sys_exit tracepoints can tell which syscalls:sys_enter_NAME event an id belongs to.
//
//   node scripts/gen-syscalls.mjs [--check] [--headers ROOT]
//
// ROOT holds usr/include of a linux-libc-dev (an unpacked .deb, or / for the installed one; the
// default). Use headers at least as new as the kernels polytrace should trace: an event whose
// syscall is missing here still works, through a perf-event tracepoint of its own. To take a
// newer package without installing it:
//   apt-get download linux-libc-dev && dpkg-deb -x linux-libc-dev_*.deb /tmp/lld
//   node scripts/gen-syscalls.mjs --headers /tmp/lld
//
// tracefs names a syscall's events after its entry point (SYSCALL_DEFINE(NAME) → sys_NAME →
// syscalls:sys_enter_NAME), which is not always the name of its __NR_ constant:
//  - x86-64: asm/unistd_64.h lists __NR_ names only; the few whose entry point differs are
//    in X64_ENTRY below (arch/x86/entry/syscalls/syscall_64.tbl is where the kernel says so).
//  - arm64: asm-generic/unistd.h pairs each number with its entry point (`__SYSCALL(nr, sys_x)`);
//    it is run through the C preprocessor with what arm64 asks of it (64-bit longs, no compat,
//    and its __ARCH_WANT_ set). Where the package also has arm64's own asm/unistd_64.h (Linux
//    6.11+ generates it from syscall.tbl), every number is checked against it.
// With --check nothing is written; the exit status says whether the file is current.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outPath = join(root, 'src/symbols/syscalls.gen.ts');

const args = process.argv.slice(2);
const check = args.includes('--check');
const hi = args.indexOf('--headers');
const headers = hi >= 0 ? args[hi + 1] : '/';

/** x86-64 syscalls whose entry point is not sys_<__NR name> (syscall_64.tbl, 64-bit and common rows). */
const X64_ENTRY = {
  stat: 'newstat',
  fstat: 'newfstat',
  lstat: 'newlstat',
  sendfile: 'sendfile64',
  uname: 'newuname',
  umount2: 'umount',
};

/** What arch/arm64/include/uapi/asm/unistd.h defined before including asm-generic/unistd.h. */
const ARM64_WANTS = [
  '__ARCH_WANT_RENAMEAT',
  '__ARCH_WANT_NEW_STAT',
  '__ARCH_WANT_SET_GET_RLIMIT',
  '__ARCH_WANT_TIME32_SYSCALLS',
  '__ARCH_WANT_SYS_CLONE3',
  '__ARCH_WANT_MEMFD_SECRET',
];

function firstExisting(paths) {
  const p = paths.find((x) => existsSync(x));
  if (!p) throw new Error(`none of these exists: ${paths.join(', ')}`);
  return p;
}

/** `#define __NR_name number` lines → Map name → number. */
function parseNrDefines(text) {
  const out = new Map();
  for (const m of text.matchAll(/^#define\s+__NR_([A-Za-z0-9_]+)\s+(\d+)\s*$/gm)) out.set(m[1], Number(m[2]));
  return out;
}

function x64Table() {
  const file = firstExisting([join(headers, 'usr/include/x86_64-linux-gnu/asm/unistd_64.h'), join(headers, 'usr/lib/linux/uapi/x86/asm/unistd_64.h')]);
  const entries = [];
  for (const [name, nr] of parseNrDefines(readFileSync(file, 'utf8'))) entries.push([X64_ENTRY[name] ?? name, nr]);
  return { file, entries };
}

function arm64Table() {
  const file = join(headers, 'usr/include/asm-generic/unistd.h');
  const tmp = mkdtempSync(join(tmpdir(), 'gen-syscalls-'));
  try {
    // asm-generic/unistd.h includes <asm/bitsperlong.h>: arm64's says 64.
    mkdirSync(join(tmp, 'asm'));
    writeFileSync(join(tmp, 'asm', 'bitsperlong.h'), '#define __BITS_PER_LONG 64\n');
    const src = `${ARM64_WANTS.map((w) => `#define ${w}`).join('\n')}
#define __SYSCALL(nr, entry) POLYTRACE_SYSCALL nr entry ;
#include "${file}"
`;
    writeFileSync(join(tmp, 'arm64.c'), src);
    const text = execFileSync('gcc', ['-E', '-P', '-undef', '-nostdinc', '-I', tmp, join(tmp, 'arm64.c')], { encoding: 'utf8' });
    const entries = [];
    for (const m of text.matchAll(/POLYTRACE_SYSCALL\s+([^;]*?)\s+sys_([A-Za-z0-9_]+)\s*;/g)) {
      // Numbers may come out as expressions of constants, e.g. (244 + 0).
      const expr = m[1].replace(/\s+/g, '');
      if (!/^[\d()+]+$/.test(expr)) throw new Error(`unexpected syscall number expression: ${m[1]}`);
      const nr = expr
        .replace(/[()]/g, '')
        .split('+')
        .reduce((a, x) => a + Number(x), 0);
      entries.push([m[2], nr]);
    }
    if (entries.length < 250) throw new Error(`only ${entries.length} syscalls found in ${file}`);
    // Cross-check with arm64's own list where the package has it (__NR names, not entry points).
    const own = join(headers, 'usr/lib/linux/uapi/arm64/asm/unistd_64.h');
    if (existsSync(own)) {
      // The numbers asm-generic defines for arm64, following `#define __NR_x __NR3264_x`.
      const defines = execFileSync('gcc', ['-E', '-dM', '-undef', '-nostdinc', '-I', tmp, join(tmp, 'arm64.c')], { encoding: 'utf8' });
      const macros = new Map([...defines.matchAll(/^#define\s+(\w+)\s+(\w+)\s*$/gm)].map((m) => [m[1], m[2]]));
      const value = (name) => {
        let v = macros.get(name);
        for (let i = 0; v !== undefined && !/^\d+$/.test(v) && i < 4; i++) v = macros.get(v);
        return v === undefined ? undefined : Number(v);
      };
      const generic = { get: (name) => value(`__NR_${name}`) };
      for (const [name, nr] of parseNrDefines(readFileSync(own, 'utf8'))) {
        if (generic.get(name) !== nr) throw new Error(`arm64 __NR_${name}: ${nr} in ${own}, ${generic.get(name)} from asm-generic`);
      }
    }
    return { file, entries };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The kernel maps numbers to events by entry point, the highest number winning when two share
 * one (init_ftrace_syscalls sets meta->syscall_nr in ascending order): keep that one.
 */
function byEntry(entries) {
  const m = new Map();
  for (const [name, nr] of [...entries].sort((a, b) => a[1] - b[1])) m.set(name, nr);
  return [...m].sort((a, b) => a[1] - b[1]);
}

function version() {
  const v = join(headers, 'usr/include/linux/version.h');
  if (!existsSync(v)) return 'unknown';
  const t = readFileSync(v, 'utf8');
  const get = (k) => new RegExp(`#define\\s+LINUX_VERSION_${k}\\s+(\\d+)`).exec(t)?.[1];
  if (get('MAJOR') !== undefined) return `${get('MAJOR')}.${get('PATCHLEVEL')}.${get('SUBLEVEL')}`;
  const code = Number(/#define\s+LINUX_VERSION_CODE\s+(\d+)/.exec(t)?.[1] ?? NaN);
  return Number.isFinite(code) ? `${code >> 16}.${(code >> 8) & 255}.${code & 255}` : 'unknown';
}

function render(tables, ver) {
  const rel = (f) => f.replace(/^.*\/usr\//, 'usr/');
  const lines = [
    '// Code generated by scripts/gen-syscalls.mjs; DO NOT EDIT.',
    `// Source: Linux ${ver} uapi headers: ${rel(tables.x64.file)} (x64), ${rel(tables.arm64.file)} with arm64's definitions (arm64).`,
    '',
    '/**',
    ' * System call numbers by entry point: `name` is what tracefs calls the events of the syscall',
    ' * (syscalls:sys_enter_NAME, syscalls:sys_exit_NAME), which is not always its __NR_ name.',
    ' */',
    'export const SYSCALL_TABLES: {',
    '  readonly x64: readonly (readonly [name: string, nr: number])[];',
    '  readonly arm64: readonly (readonly [name: string, nr: number])[];',
    '} = {',
  ];
  for (const arch of ['x64', 'arm64']) {
    lines.push(`  ${arch}: [`);
    const entries = byEntry(tables[arch].entries);
    for (let i = 0; i < entries.length; i += 4) {
      lines.push(
        `    ${entries
          .slice(i, i + 4)
          .map(([n, nr]) => `['${n}', ${nr}]`)
          .join(', ')},`,
      );
    }
    lines.push('  ],');
  }
  lines.push('};', '');
  return lines.join('\n');
}

const text = render({ x64: x64Table(), arm64: arm64Table() }, version());
if (check) {
  const current = existsSync(outPath) ? readFileSync(outPath, 'utf8') : '';
  if (current !== text) {
    console.error(`${outPath} is out of date: run node scripts/gen-syscalls.mjs --headers ROOT`);
    process.exit(1);
  }
} else {
  writeFileSync(outPath, text);
  console.log(`wrote ${outPath}`);
}
