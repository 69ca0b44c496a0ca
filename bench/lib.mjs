// Shared helpers for the benchmarks: timing exec → banner, peak RSS, in-kernel cost per
// event from kernel.bpf_stats_enabled, and medians. Everything is measured in the same
// run as the anchors (bpftrace, BCC) and printed as ratios.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function have(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

/** Compile a C file into bench/.build (cached by mtime). */
export function buildC(src, out, flags = []) {
  const dir = join(root, 'bench', '.build');
  mkdirSync(dir, { recursive: true });
  const dst = join(dir, out);
  if (!existsSync(dst) || statSync(dst).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('gcc', ['-O1', '-o', dst, src, ...flags], { stdio: 'inherit' });
  }
  return dst;
}

export function peakRssKb(pid) {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Start a command and resolve when its output matches `banner`. Returns the child, the
 * time from spawn to banner in ms, and accumulated output.
 */
export function startUntil(cmd, args, banner, { timeoutMs = 60000, env } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} did not print its banner: ${out}`));
    }, timeoutMs);
    const onData = (d) => {
      out += d;
      if (banner.test(out)) {
        clearTimeout(timer);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        resolve({ child, ms, output: () => out });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.stdout.on('data', () => {});
    child.on('exit', () => {
      clearTimeout(timer);
      if (!banner.test(out)) reject(new Error(`${cmd} exited: ${out}`));
    });
  });
}

export function stop(child, sig = 'SIGINT') {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.on('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill(sig);
  });
}

export function timeCmd(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  execFileSync(cmd, args, { stdio: 'ignore', env: { ...process.env, ...env } });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export function setBpfStats(on) {
  execFileSync('sysctl', ['-q', '-w', `kernel.bpf_stats_enabled=${on ? 1 : 0}`]);
}

/** Per-program run statistics of loaded programs, from bpftool. */
export function progStats() {
  const list = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' }));
  return list.map((p) => ({ id: p.id, name: p.name ?? '', type: p.type, runTimeNs: p.run_time_ns ?? 0, runCnt: p.run_cnt ?? 0 }));
}

/** Sum run stats of programs whose id is not in `before`. */
export function newProgStats(beforeIds, filter = () => true) {
  const now = progStats().filter((p) => !beforeIds.has(p.id) && filter(p));
  const ns = now.reduce((a, p) => a + p.runTimeNs, 0);
  const cnt = now.reduce((a, p) => a + p.runCnt, 0);
  return { ns, cnt, perEvent: cnt ? ns / cnt : NaN, names: now.map((p) => p.name) };
}

export function fmt(x, digits = 1) {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}

export function printTable(title, header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  console.log(`\n## ${title}\n`);
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
}

/**
 * Spawn a getpid_loop workload that waits for "go". Resolves once it is ready, with its pid and
 * go(), which starts it and resolves with the workload's elapsed ns per iteration.
 */
export function spawnWorkload(bin, args) {
  return new Promise((resolveReady, rejectReady) => {
    const c = spawn(bin, args.map(String), { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let done;
    const finished = new Promise((res, rej) => {
      done = { res, rej };
    });
    finished.catch(() => {});
    c.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      if (out === 'ready\n') resolveReady({ pid: c.pid, go: () => (c.stdin.write('go\n'), finished), child: c });
    });
    c.on('exit', (code) => {
      if (code === 0) done.res(Number(out.split('\n')[1]));
      else {
        done.rej(new Error(`workload exit ${code}`));
        rejectReady(new Error(`workload exit ${code}`));
      }
    });
  });
}

/**
 * In-kernel ns per event of the programs loaded since `beforeIds` that ran at least `minCnt`
 * times (the ones the workload drove; this ignores programs other users load meanwhile):
 * the sum over those programs of run_time_ns / run_cnt, so an entry + return pair counts both.
 */
export function kernelNsPerEvent(beforeIds, minCnt) {
  const progs = progStats().filter((p) => !beforeIds.has(p.id) && p.runCnt >= minCnt);
  return { perEvent: progs.length ? progs.reduce((a, p) => a + p.runTimeNs / p.runCnt, 0) : NaN, progs: progs.length };
}

/** Wait for a child to exit, at most `ms`; resolves with the time waited, or Infinity. */
export function waitExit(child, ms) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(0);
    const t0 = Date.now();
    const t = setTimeout(() => resolve(Infinity), ms);
    child.on('exit', () => {
      clearTimeout(t);
      resolve(Date.now() - t0);
    });
  });
}

export function loadavg() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** ratio of a tool's value to polytrace's, as text */
export function ratio(x, poly, digits = 2) {
  return Number.isFinite(x) && Number.isFinite(poly) && poly > 0 ? `${(x / poly).toFixed(digits)}x` : 'n/a';
}

/**
 * One wildcard run of `c` ({ tool, cmd, args, banner, env, resignal }): exec → banner (attach ms),
 * then SIGINT → exit (detach ms; Infinity past `boundMs`, after which it is killed and waited
 * for, so the kernel's teardown does not overlap the next measurement), and the probe count
 * from "Tracing N functions" or bpftrace's "Attaching N probes" (less its BEGIN probe).
 * `resignal`: a SIGINT a second until it exits (bpftrace 0.17 sometimes ignores the first).
 */
export async function measureAttachDetach(c, boundMs) {
  const s = await startUntil(c.cmd, c.args, c.banner, { timeoutMs: 300000, env: c.env });
  const m = /Tracing (\d+) functions|Attaching (\d+) probes/.exec(s.output());
  const probes = m ? Number(m[1] ?? m[2]) - (c.tool === 'bpftrace' ? 1 : 0) : NaN;
  const t0 = Date.now();
  const exited = waitExit(s.child, boundMs);
  s.child.kill('SIGINT');
  let timer;
  if (c.resignal) timer = setInterval(() => s.child.kill('SIGINT'), 1000);
  let detach = await exited;
  clearInterval(timer);
  if (detach === Infinity) {
    s.child.kill('SIGKILL');
    await waitExit(s.child, 4 * boundMs);
  } else detach = Date.now() - t0;
  return { attach: s.ms, detach, probes };
}
