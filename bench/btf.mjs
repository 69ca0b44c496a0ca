#!/usr/bin/env node
// BTF reader benchmark (issue 3). Runs against the compiled dist/btf/*.js (or BTF_DIST=dir).
// Each measurement runs in a fresh node process (cold JIT, cold caches in the reader), five
// times; the table shows medians beside `bpftool btf dump file /sys/kernel/btf/vmlinux`.
//   first prototype: loadKernelBtf() (mmap, or read with POLYTRACE_BTF_NO_MMAP=1) + parse
//                    /sys/kernel/btf/vmlinux, then funcProto('vfs_read') + format
//   1000 prototypes: funcProto + formatFuncSignature of 1,000 random kernel functions (after open)
//   full index:      buildNameIndex() after open
//   extra RSS:       RSS after open + index + 1000 prototypes, minus RSS before reading the file
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(process.env.BTF_DIST ?? join(here, '..', 'dist'));
const VMLINUX = '/sys/kernel/btf/vmlinux';
const RUNS = Number(process.env.RUNS ?? 5);

async function child() {
  const url = (f) => pathToFileURL(join(dist, 'btf', f)).href;
  const tImp0 = performance.now();
  // kernel/btf.js brings src/sys (koffi) for the mapping; its import time is its own row.
  const kernel = await import(pathToFileURL(join(dist, 'kernel', 'btf.js')).href);
  const tImp = performance.now() - tImp0;
  const { funcProto, funcProtoOf } = await import(url('func.js'));
  const { formatFuncSignature } = await import(url('format.js'));
  globalThis.gc?.();
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const spec = kernel.loadKernelBtf();
  const tOpen = performance.now();
  // mode 'index': time the name index alone, right after open; mode 'first': the first lookup
  // builds it as part of the first prototype.
  const indexFirst = process.argv.includes('index');
  const tI0 = performance.now();
  if (indexFirst) spec.buildNameIndex();
  const tIndex = performance.now();
  const tF0 = performance.now();
  const fp = funcProto(spec, 'vfs_read');
  const sig = formatFuncSignature(spec, fp.func.id);
  const tFirst = performance.now() - tF0 + (tOpen - t0);
  const funcs = spec.idsOfKind('func');
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % funcs.length;
  const names = Array.from({ length: 1000 }, () => spec.nameOf(funcs[rnd()]));
  const tP0 = performance.now();
  let chars = 0;
  for (const n of names) {
    const p = funcProto(spec, n);
    chars += formatFuncSignature(spec, p.func.id).length + p.params.length;
  }
  const tP1 = performance.now();
  const rss1 = process.memoryUsage().rss;
  void funcProtoOf;
  console.log(
    JSON.stringify({
      open: tOpen - t0,
      first: tFirst,
      imp: tImp,
      source: kernel.kernelBtfSource,
      index: tIndex - tI0,
      protos: tP1 - tP0,
      rss: (rss1 - rss0) / (1 << 20),
      sig,
      chars,
      types: spec.count,
    }),
  );
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  if (!existsSync(join(dist, 'btf', 'spec.js'))) {
    console.error(`no ${join(dist, 'btf', 'spec.js')}: build first (npx tsc -p tsconfig.build.json)`);
    process.exit(1);
  }
  if (!existsSync(VMLINUX)) {
    console.error(`no ${VMLINUX}`);
    process.exit(1);
  }
  const run = (mode) => {
    const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', mode], {
      encoding: 'utf8',
      env: { ...process.env, BTF_DIST: dist },
    });
    if (r.status !== 0) {
      console.error(r.stderr);
      process.exit(1);
    }
    return JSON.parse(r.stdout);
  };
  const rows = [];
  const indexRows = [];
  for (let i = 0; i < RUNS; i++) {
    rows.push(run('first'));
    indexRows.push(run('index'));
  }
  const bpftoolMs = [];
  const bpftool = ['/usr/sbin/bpftool', '/usr/bin/bpftool'].find((p) => existsSync(p));
  if (bpftool) {
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      execFileSync('/bin/sh', ['-c', `${bpftool} btf dump file ${VMLINUX} > /dev/null`]);
      bpftoolMs.push(performance.now() - t);
    }
  }
  const bt = bpftoolMs.length ? median(bpftoolMs) : NaN;
  const col = (rs, k) => rs.map((r) => r[k]);
  const line = (what, vs, unit, target) => {
    const v = median(vs);
    const lo = Math.min(...vs);
    const ratio = unit === 'ms' && bpftoolMs.length ? `${(v / bt).toFixed(3)}×` : '';
    const ok = target === undefined ? '' : v <= target ? 'ok' : 'OVER';
    console.log(
      `${what.padEnd(34)} ${v.toFixed(1).padStart(8)} ${lo.toFixed(1).padStart(8)} ${unit.padEnd(3)} ${ratio.padStart(9)}  ${target === undefined ? '' : `≤ ${target} ${ok}`}`,
    );
  };
  const [l1, l5] = (await import('node:os')).loadavg();
  console.log(`BTF reader: ${rows[0].types} types in ${VMLINUX}; ${RUNS} fresh processes per row; load average ${l1.toFixed(1)}`);
  console.log(`${'measurement'.padEnd(34)} ${'median'.padStart(8)} ${'min'.padStart(8)}     ${'/bpftool'.padStart(9)}  target (median)`);
  line('import kernel/btf.js (with koffi)', col(rows, 'imp'), 'ms');
  line(`open (${rows[0].source} + parse)`, col(rows, 'open'), 'ms');
  line('open + first prototype (vfs_read)', col(rows, 'first'), 'ms', 30);
  line('full name index (after open)', col(indexRows, 'index'), 'ms', 100);
  line('1,000 random prototypes', col(rows, 'protos'), 'ms');
  line('extra RSS', col(rows, 'rss'), 'MB', 40);
  if (bpftoolMs.length) line('bpftool btf dump file > /dev/null', bpftoolMs, 'ms');
  void l5;
  console.log(`(${rows[0].sig})`);
}

if (process.argv.includes('--child')) await child();
else await main();
