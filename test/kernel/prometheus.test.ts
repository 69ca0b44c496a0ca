/**
 * --prometheus against a real Prometheus server (Debian's prometheus): the exporter serves
 * /metrics on loopback, Prometheus scrapes it every second, and PromQL over the HTTP API
 * returns the exact counts of a deterministic workload. Every wait is bounded; Prometheus
 * and the tools are stopped at the end.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { skipKernel, requireKernel, start, inCI, type Running } from '../helpers/kernel.js';
import { counterWorkload, startCounter } from '../helpers/workloads.js';
import { chainExe, startChain } from './workloads/chain.js';

const PROMETHEUS = '/usr/bin/prometheus';
const N = 1000;
const noPrometheus = !existsSync(PROMETHEUS) && !inCI;

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

  it('funclatency: histogram buckets, _count exact, le at powers of two', async () => {
    const w = await startChain(N);
    const t = start('funclatency', ['--prometheus', `127.0.0.1:${flPort}`, '-p', String(w.pid), `${chainExe()}:target`]);
    tools.push(t);
    await waitServing(t);
    await until(prom!, `up{instance="127.0.0.1:${flPort}"}`, (v) => v === 1);
    await w.go();
    await until(prom!, `funclatency_nanoseconds_count{function="target"}`, (v) => v === N);
    const inf = await query(prom!, `funclatency_nanoseconds_bucket{function="target",le="+Inf"}`);
    expect(inf[0]!.value[1]).toBe(String(N));
    const buckets = await query(prom!, `funclatency_nanoseconds_bucket{function="target"}`);
    const les = buckets
      .map((b) => b.metric.le!)
      .filter((le) => le !== '+Inf')
      .map(Number);
    expect(les.every((le) => Math.log2(le) === Math.round(Math.log2(le)))).toBe(true);
    // Cumulative: never decreasing with le, and every call is shorter than 2^39 ns.
    const sorted = buckets
      .filter((b) => b.metric.le !== '+Inf')
      .sort((a, b) => Number(a.metric.le) - Number(b.metric.le))
      .map((b) => Number(b.value[1]));
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!).toBeGreaterThanOrEqual(sorted[i - 1]!);
    expect(sorted[sorted.length - 1]).toBe(N);
    // _sum is the kernel's exact total (one series), the same number the text output prints.
    const sum = await query(prom!, 'funclatency_nanoseconds_sum{function="target"}');
    await w.end();
    t.child.kill('SIGINT');
    expect(await t.exited).toBe(0);
    const printed = /total: (\d+) nsecs, count: (\d+)/.exec(t.stdout);
    expect(printed?.[2]).toBe(String(N));
    expect(Number(sum[0]!.value[1])).toBe(Number(printed![1]));
    // histogram_quantile works on the buckets: the median lies inside the histogram.
    const q = await query(prom!, `histogram_quantile(0.5, funclatency_nanoseconds_bucket{function="target"})`);
    expect(Number(q[0]!.value[1])).toBeGreaterThan(0);
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
    expect(keys.map((k) => [k.metric.key, k.value[1]]).sort()).toEqual([
      ['x = 0', '1'],
      ['x = 1', '1'],
      ['x = 2', '1'],
      ['x = 3', '1'],
    ]);
    await until(prom!, `argdist_value_count{probe="x11"}`, (v) => v === 12);
    // BCC's slots: 0..1 → le 2, 2..3 → le 4, 4..7 → le 8, 8..11 → le 16 (cumulative).
    for (const [le, n] of [
      ['2', 2],
      ['4', 4],
      ['8', 8],
      ['16', 12],
    ] as const) {
      const b = await query(prom!, `argdist_value_bucket{probe="x11",le="${le}"}`);
      expect(Number(b[0]!.value[1]), `le=${le}`).toBe(n);
    }
    await w.end();
    t.child.kill('SIGINT');
    await t.exited;
  });
});
