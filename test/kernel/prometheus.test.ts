/**
 * --prometheus against a real Prometheus server (Debian's prometheus): the exporter serves
 * /metrics on loopback, Prometheus scrapes it every second, and PromQL over the HTTP API
 * returns the exact counts of a deterministic workload. Then `promtool check metrics` on a
 * scrape of every tool that serves metrics, and the server's defences (default bind address,
 * a flood of idle connections) against the real CLI. Every wait is bounded; Prometheus and
 * the tools are stopped at the end.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { skipKernel, requireKernel, start, inCI, type Running } from '../helpers/kernel.js';
import { counterWorkload, startCounter } from '../helpers/workloads.js';
import { chainExe, startChain } from './workloads/chain.js';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const N = 1000;
const noPrometheus = !existsSync(PROMETHEUS) && !inCI;
const noPromtool = !existsSync(PROMTOOL) && !inCI;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = a && typeof a === 'object' ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

interface Prom {
  readonly child: ChildProcess;
  readonly port: number;
  readonly dir: string;
  log: string;
}

async function startPrometheus(targets: readonly string[]): Promise<Prom> {
  const dir = mkdtempSync(join(tmpdir(), 'polytrace-prom-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: polytrace
    static_configs:
      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]
`,
  );
  const child = spawn(
    PROMETHEUS,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const p: Prom = { child, port, dir, log: '' };
  child.stdout!.on('data', (d: Buffer) => (p.log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (p.log += d.toString()));
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${p.log}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/-/ready`)).ok) return p;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`prometheus not ready after 15 s: ${p.log}`);
}

async function stopPrometheus(p: Prom | undefined): Promise<void> {
  if (!p) return;
  if (p.child.exitCode === null) {
    const exited = new Promise((r) => p.child.once('exit', r));
    p.child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
  }
  rmSync(p.dir, { recursive: true, force: true });
}

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

async function query(p: Prom, promql: string): Promise<Sample[]> {
  const r = await fetch(`http://127.0.0.1:${p.port}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await r.json()) as { status: string; data: { result: Sample[] }; error?: string };
  if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
  return body.data.result;
}

/** Poll a PromQL query until `ok` holds for its value (bounded). */
async function until(p: Prom, promql: string, ok: (v: number | undefined) => boolean, timeoutMs = 20_000): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Sample[] = [];
  while (Date.now() < deadline) {
    last = await query(p, promql);
    if (ok(last[0] ? Number(last[0].value[1]) : undefined)) return last;
    await sleep(250);
  }
  throw new Error(`${promql}: still ${JSON.stringify(last)} after ${timeoutMs} ms; prometheus log: ${p.log}`);
}

async function waitServing(t: Running): Promise<void> {
  for (let i = 0; i < 300 && !t.stderr.includes('Serving Prometheus metrics'); i++) {
    if (t.child.exitCode !== null) break;
    await sleep(50);
  }
  if (!t.stderr.includes('Serving Prometheus metrics')) throw new Error(`exporter did not start: ${t.stderr}`);
}

describe.skipIf(skipKernel || noPrometheus)('--prometheus scraped by a real Prometheus (kernel)', () => {
  let prom: Prom | undefined;
  const tools: Running[] = [];
  let fcPort = 0;
  let flPort = 0;
  let adPort = 0;

  beforeAll(async () => {
    requireKernel();
    if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} is missing (apt-get install prometheus)`);
    counterWorkload();
    chainExe();
    fcPort = await freePort();
    flPort = await freePort();
    adPort = await freePort();
    prom = await startPrometheus([`127.0.0.1:${fcPort}`, `127.0.0.1:${flPort}`, `127.0.0.1:${adPort}`]);
  });

  afterAll(async () => {
    for (const t of tools) {
      if (t.child.exitCode === null) {
        t.child.kill('SIGINT');
        await Promise.race([t.exited, sleep(10_000)]);
      }
    }
    await stopPrometheus(prom);
  });

  it('funccount: PromQL returns the exact number of calls, per function with labels', async () => {
    const { lib } = counterWorkload();
    const w = await startCounter(N);
    const t = start('funccount', ['--prometheus', `127.0.0.1:${fcPort}`, '-p', String(w.pid), `${lib}:pt_f1*`]);
    tools.push(t);
    await waitServing(t);
    // The first scrape sees zero: rate() and increase() then start from a known point.
    await until(prom!, `up{instance="127.0.0.1:${fcPort}"}`, (v) => v === 1);
    await w.go();
    const got = await until(prom!, `sum(funccount_calls_total{pid="${w.pid}"})`, (v) => v === 2 + 11 + 12);
    expect(Number(got[0]!.value[1])).toBe(25); // pt_f1, pt_f10, pt_f11: i+1 calls each
    const one = await query(prom!, `funccount_calls_total{function="pt_f10"}`);
    expect(one).toHaveLength(1);
    expect(one[0]!.metric).toMatchObject({ __name__: 'funccount_calls_total', function: 'pt_f10', library: lib, pid: String(w.pid), job: 'polytrace' });
    expect(one[0]!.value[1]).toBe('11');

    await w.end();
    t.child.kill('SIGINT');
    expect(await t.exited).toBe(0);
    expect(t.stdout).toContain('pt_f11');
  });

  it("funclatency: funclatency_seconds buckets at each slot's upper bound, agreeing with the text histogram; _sum and _count exact", async () => {
    const w = await startChain(N);
    const t = start('funclatency', ['--prometheus', `127.0.0.1:${flPort}`, '-p', String(w.pid), `${chainExe()}:target`]);
    tools.push(t);
    await waitServing(t);
    await until(prom!, `up{instance="127.0.0.1:${flPort}"}`, (v) => v === 1);
    await w.go();
    await until(prom!, `funclatency_seconds_count{function="target"}`, (v) => v === N);
    const inf = await query(prom!, `funclatency_seconds_bucket{function="target",le="+Inf"}`);
    expect(inf[0]!.value[1]).toBe(String(N));
    const buckets = await query(prom!, `funclatency_seconds_bucket{function="target"}`);
    // Every slot 1..64 is a bucket: le = (2^k - 1) ns, in seconds.
    const les = new Set(buckets.map((b) => b.metric.le!));
    for (let k = 1; k <= 64; k++) expect(les.has(decimal((1n << BigInt(k)) - 1n, 9)), `slot ${k}`).toBe(true);
    const at = new Map(buckets.map((b) => [b.metric.le!, Number(b.value[1])]));
    // histogram_quantile works on the buckets: the median lies inside the histogram.
    const q = await query(prom!, `histogram_quantile(0.5, funclatency_seconds_bucket{function="target"})`);
    expect(Number(q[0]!.value[1])).toBeGreaterThan(0);
    const sum = await query(prom!, 'funclatency_seconds_sum{function="target"}');
    await w.end();
    t.child.kill('SIGINT');
    expect(await t.exited).toBe(0);
    const printed = /total: (\d+) nsecs, count: (\d+)/.exec(t.stdout);
    expect(printed?.[2]).toBe(String(N));
    // _sum is the kernel's exact total (one series), in seconds, the number the text output prints in ns.
    expect(Math.round(Number(sum[0]!.value[1]) * 1e9)).toBe(Number(printed![1]));
    // The text histogram's rows, summed, are the buckets at each row's upper bound.
    const rows = textCumulative(t.stdout);
    expect(rows.size).toBeGreaterThan(0);
    for (const [hi, acc] of rows) expect(at.get(decimal(hi, 9)), `le=${hi} ns`).toBe(acc);
  });

  it('argdist: -C counts per key and -H buckets, exact in PromQL', async () => {
    const { lib } = counterWorkload();
    const w = await startCounter(1);
    const c = `p:${lib}:pt_f3(int x):int:x`;
    const h = `p:${lib}:pt_f11(int x):int:x#x11`;
    const t = start('argdist', ['--prometheus', `127.0.0.1:${adPort}`, '-p', String(w.pid), '-C', c, '-H', h]);
    tools.push(t);
    await waitServing(t);
    await until(prom!, `up{instance="127.0.0.1:${adPort}"}`, (v) => v === 1);
    await w.go();
    // pt_f3 is called with x = 0..3 once each; pt_f11 with x = 0..11.
    await until(prom!, `sum(argdist_events_total{probe="${c}"})`, (v) => v === 4);
    const keys = await query(prom!, `argdist_events_total{probe="${c}"}`);
    expect(keys.map((k) => [k.metric.x, k.value[1]]).sort()).toEqual([
      ['0', '1'],
      ['1', '1'],
      ['2', '1'],
      ['3', '1'],
    ]);
    await until(prom!, `argdist_value_count{probe="x11"}`, (v) => v === 12);
    // BCC's slots, as the text histogram prints them: 0 -> 1, 2 -> 3, 4 -> 7, 8 -> 15 (cumulative at hi).
    for (const [le, n] of [
      ['1', 2],
      ['3', 4],
      ['7', 8],
      ['15', 12],
    ] as const) {
      const b = await query(prom!, `argdist_value_bucket{probe="x11",le="${le}"}`);
      expect(Number(b[0]!.value[1]), `le=${le}`).toBe(n);
    }
    await w.end();
    t.child.kill('SIGINT');
    await t.exited;
  });
});

/** BCC's text histogram rows (`lo -> hi : count`) summed: cumulative count by upper bound. */
function textCumulative(text: string): Map<bigint, number> {
  const out = new Map<bigint, number>();
  let acc = 0;
  for (const m of text.matchAll(/^\s*(\d+) -> (\d+)\s*: (\d+)/gm)) {
    acc += Number(m[3]);
    out.set(BigInt(m[2]!), acc);
  }
  return out;
}

/** `v / 10^d` as an exact decimal, as the exporter writes seconds. */
function decimal(v: bigint, d: number): string {
  const digits = v.toString().padStart(d + 1, '0');
  const frac = digits.slice(-d).replace(/0+$/, '');
  return `${digits.slice(0, -d)}${frac ? `.${frac}` : ''}`;
}

/** GET /metrics from a running tool. */
async function scrape(where: string): Promise<string> {
  const r = await fetch(`http://${where}/metrics`);
  if (r.status !== 200) throw new Error(`${where}: HTTP ${r.status}`);
  return r.text();
}

/** Scrapes until `ok` holds (bounded). */
async function scrapeUntil(where: string, ok: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await scrape(where);
    if (ok(text)) return text;
    await sleep(100);
  }
  throw new Error(`${where}: not there after ${timeoutMs} ms: ${text}`);
}

/** `promtool check metrics` on `text`: its complaints (empty when it has none) and exit code. */
function promtool(text: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(PROMTOOL, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.once('error', reject);
    p.once('exit', (code) => resolve({ code, out }));
    p.stdin.end(text);
  });
}

async function stopTool(t: Running): Promise<void> {
  if (t.child.exitCode !== null) return;
  t.child.kill('SIGINT');
  await Promise.race([t.exited, sleep(10_000)]);
  if (t.child.exitCode === null) t.child.kill('SIGKILL');
}

describe.skipIf(skipKernel || noPromtool)('--prometheus scrapes pass promtool check metrics (kernel)', () => {
  const tools: Running[] = [];

  beforeAll(() => {
    requireKernel();
    if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} is missing (apt-get install prometheus)`);
    counterWorkload();
    chainExe();
  });

  afterAll(async () => {
    for (const t of tools) await stopTool(t);
  });

  /** Starts `tool` serving on a free loopback port, runs the workload, and checks a scrape that satisfies `ready`. */
  async function check(
    tool: string,
    args: (pid: number) => string[],
    work: () => Promise<{ pid: number; go(): Promise<void>; end(): Promise<void> }>,
    ready: (text: string) => boolean,
  ) {
    const port = await freePort();
    const w = await work();
    const t = start(tool, ['--prometheus', `127.0.0.1:${port}`, ...args(w.pid)]);
    tools.push(t);
    await waitServing(t);
    await w.go();
    const text = await scrapeUntil(`127.0.0.1:${port}`, ready);
    await w.end();
    const r = await promtool(text);
    expect(r.out, text).toBe('');
    expect(r.code).toBe(0);
    expect(text).not.toMatch(/NaN|=""/);
    await stopTool(t);
    return { text, stdout: t.stdout, stderr: () => t.stderr };
  }

  it('funccount: a counter per function, no empty pid label without -p', async () => {
    const { lib } = counterWorkload();
    const { text } = await check(
      'funccount',
      () => [`${lib}:pt_f1*`],
      () => startCounter(1),
      (x) => /funccount_calls_total\{function="pt_f11",[^}]*\} 12\n/.test(x),
    );
    expect(text).toMatch(/^funccount_calls_total\{function="pt_f10",library="[^"]+"\} 11$/m);
  });

  it('funclatency: funclatency_seconds, one series per process without -p', async () => {
    const { text } = await check(
      'funclatency',
      () => [`${chainExe()}:target`],
      () => startChain(50),
      (x) => /^funclatency_seconds_count\{[^}]*\} 50$/m.test(x),
    );
    expect(text).toContain('# TYPE funclatency_seconds histogram\n');
    expect(text).toMatch(/^funclatency_seconds_sum\{function="target",library="[^"]+",pid="\d+"\} \d+\.\d+$/m);
  });

  it('argdist -C and -H: one label per key expression, histogram without _sum', async () => {
    const { lib } = counterWorkload();
    const c = `p:${lib}:pt_f3(int x):int,char*:x,$COMM`;
    const h = `p:${lib}:pt_f11(int x):int:x#x11`;
    const { text } = await check(
      'argdist',
      (pid) => ['-p', String(pid), '-C', c, '-H', h],
      () => startCounter(1),
      (x) => x.includes('argdist_value_count{probe="x11"} 12\n') && (x.match(/^argdist_events_total/gm) ?? []).length === 4,
    );
    for (let x = 0; x <= 3; x++) expect(text).toMatch(new RegExp(`^argdist_events_total\\{probe="[^"]+",x="${x}",comm="counter[^"]*"\\} 1$`, 'm'));
    expect(text).toContain('argdist_value_bucket{probe="x11",le="15"} 12\n');
    expect(text).not.toContain('argdist_value_sum');
  });

  it('argdist --max-entries: the events a full hash refused, said on stderr and counted in argdist_dropped_events_total', async () => {
    // pt_f3 runs 4 times with x = 0..3 (4 distinct keys) into a hash of 2 entries: the first
    // two keys are counted, the other two events are refused, and every event is one or the other.
    const { lib } = counterWorkload();
    const c = `p:${lib}:pt_f3(int x):int:x`;
    const { text, stderr } = await check(
      'argdist',
      (pid) => ['-p', String(pid), '--max-entries', '2', '-C', c],
      () => startCounter(1),
      (x) => /^argdist_dropped_events_total\{probe="[^"]+"\} [1-9]/m.test(x) && (x.match(/^argdist_events_total/gm) ?? []).length === 2,
    );
    expect(text).toContain('# TYPE argdist_dropped_events_total counter\n');
    expect(text).toMatch(/^argdist_dropped_events_total\{probe="[^"]+"\} 2$/m);
    const counted = [...text.matchAll(/^argdist_events_total\{[^}]*\} (\d+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    expect(counted).toBe(2);
    expect(stderr()).toMatch(/^argdist: 2 events not counted for '[^']+': its map is full \(2 keys; --max-entries raises it\)$/m);
  });
});

/** Open file descriptors of a process. */
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

describe.skipIf(skipKernel)('--prometheus server defences (kernel)', () => {
  let t: Running | undefined;
  const flood: Socket[] = [];

  beforeAll(() => requireKernel());
  afterAll(async () => {
    for (const s of flood) s.destroy();
    if (t) await stopTool(t);
  });

  it('--prometheus PORT listens on 127.0.0.1 only; 500 idle connections keep its fds within the cap and a scrape still succeeds', async () => {
    const port = await freePort();
    t = start('funccount', ['--prometheus', String(port), 't:sched:sched_process_exit']);
    await waitServing(t);
    expect(t.stderr).toContain(`Serving Prometheus metrics at http://127.0.0.1:${port}/metrics`);
    const where = `127.0.0.1:${port}`;
    await scrape(where);
    const before = fds(t.child.pid!);
    let closed = 0;
    await Promise.all(
      Array.from(
        { length: 500 },
        () =>
          new Promise<void>((resolve) => {
            const s = connect(port, '127.0.0.1');
            flood.push(s);
            s.on('error', () => {});
            s.once('connect', () => resolve());
            s.once('close', () => {
              closed++;
              resolve();
            });
          }),
      ),
    );
    // The server closes all but the 16 newest idle connections.
    const deadline = Date.now() + 20_000;
    while (closed < 500 - 16 && Date.now() < deadline) await sleep(50);
    expect(closed).toBeGreaterThanOrEqual(500 - 16);
    expect(fds(t.child.pid!)).toBeLessThanOrEqual(before + 16);
    const text = await scrape(where);
    expect(text).toContain('# TYPE funccount_calls_total counter');
    expect(fds(t.child.pid!)).toBeLessThanOrEqual(before + 16);
  });
});
