/**
 * Gating for tests that need the real kernel. Without the requirements a test is skipped
 * locally, but with CI=true it runs and fails with the reason: CI never skips silently.
 */
import { existsSync } from 'node:fs';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { bpftoolShow } from '../soak/kernel-state.js';

export const inCI = process.env.CI === 'true';
export const isRoot = process.getuid?.() === 0;
export const root = join(import.meta.dirname, '..', '..');

/** Why kernel tests cannot run here, or '' when they can. */
export function kernelUnavailable(): string {
  if (!isRoot) return 'kernel tests need root';
  if (!existsSync(join(root, 'dist', 'cli', 'polytrace.cjs'))) return 'dist/ is not built (run npm run build)';
  return '';
}

/** `it.skipIf(skipKernel)` skips only outside CI. */
export const skipKernel = kernelUnavailable() !== '' && !inCI;

export function requireKernel(): void {
  const why = kernelUnavailable();
  if (why) throw new Error(`kernel test cannot run: ${why}`);
}

export function bin(tool: string): string {
  return join(root, 'bin', `${tool}.js`);
}

export interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  /** Resolves when stdout contains `text` (rejects on exit or timeout). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Start a polytrace tool (or any command) with piped output. */
export function start(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}): Running {
  const isTool = !cmd.includes('/') && existsSync(bin(cmd));
  const child = isTool
    ? spawn(process.execPath, [bin(cmd), ...args], { env: { ...process.env, ...opts.env } })
    : spawn(cmd, [...args], { env: { ...process.env, ...opts.env } });
  const r: Running = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig ?? -1))),
    waitFor(text, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => (typeof text === 'string' ? r.stdout.includes(text) : text.test(r.stdout));
        if (check()) return resolve();
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${text}; stdout: ${r.stdout}; stderr: ${r.stderr}`)), timeoutMs);
        const onData = () => {
          if (check()) {
            clearTimeout(timer);
            child.stdout.off('data', onData);
            resolve();
          }
        };
        child.stdout.on('data', onData);
        child.on('exit', () => {
          clearTimeout(timer);
          if (!check()) reject(new Error(`exited before ${text}; stdout: ${r.stdout}; stderr: ${r.stderr}`));
        });
      });
    },
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (r.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (r.stderr += d));
  return r;
}

/** Run to completion. */
export function runTool(tool: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const r = start(tool, args, { env });
  return r.exited.then((code) => ({ code, stdout: r.stdout, stderr: r.stderr }));
}

/**
 * Our programs still loaded (names matching `match`), after waiting up to `graceMs` for the
 * kernel to free them: a link whose ops defer dealloc (uprobe_multi, since 6.9's
 * bpf_link_free) drops its program only after an RCU grace period, so the program's id
 * outlives the tool's exit by a few milliseconds.
 */
export async function programsLeft(match: RegExp, graceMs = 3000): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const left = loadedProgramNames().filter((n) => match.test(n));
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Names of loaded BPF programs (bpftool prog show). */
export function loadedProgramNames(): string[] {
  const json = bpftoolShow('prog');
  return (JSON.parse(json) as Array<{ name?: string }>).map((p) => p.name ?? '');
}

/** FUNC/COUNT rows of the last table in funccount's output. */
export function lastTable(stdout: string): Map<string, number> {
  const blocks = stdout.split(/^FUNC\s+COUNT$/m);
  const rows = new Map<string, number>();
  for (const line of blocks[blocks.length - 1]!.split('\n')) {
    const m = /^(\S+)\s+(\d+)$/.exec(line);
    if (m) rows.set(m[1]!, Number(m[2]));
  }
  return rows;
}

/** Sum of argdist's COUNT EVENT rows under `title` (a -C probe's title line) over every interval. */
export function freqTotals(stdout: string, title: string): Map<string, number> {
  const rows = new Map<string, number>();
  const lines = stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== title || lines[i + 1] !== '\tCOUNT      EVENT') continue;
    for (let k = i + 2; k < lines.length && lines[k]!.startsWith('\t'); k++) {
      const m = /^\t(\d+)\s+(.*)$/.exec(lines[k]!);
      if (m) rows.set(m[2]!, (rows.get(m[2]!) ?? 0) + Number(m[1]));
    }
  }
  return rows;
}
