/**
 * The --prometheus server without a kernel (report/metrics-server.ts): where it binds, what
 * it answers, its connection cap and timeouts. The renderer is test/unit/output/prometheus.test.ts.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { connect, type Socket } from 'node:net';
import { MetricsServer, DEFAULT_LIMITS, type MetricsServerLimits } from '../../../src/report/metrics-server.js';
import { log2Sums } from '../../../src/multitools/funclatency.js';
import { parseListen } from '../../../src/multitools/options.js';

const slots = (m: Record<number, number>) => {
  const s = new Array<bigint>(65).fill(0n);
  for (const [k, v] of Object.entries(m)) s[Number(k)] = BigInt(v);
  return s;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `ok` until it holds (bounded; no assertion on how long it took). */
async function until(ok: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`still not ${what} after ${timeoutMs} ms`);
    await sleep(10);
  }
}

let server: MetricsServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  server = undefined;
});

/** `n` TCP connections to `where` that send nothing; resolves once all are connected or closed. */
async function idle(where: string, n: number): Promise<{ socks: Socket[]; closed: () => number }> {
  const [host, port] = [where.slice(0, where.lastIndexOf(':')), Number(where.slice(where.lastIndexOf(':') + 1))];
  let closed = 0;
  const socks = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve) => {
          const s = connect(port, host);
          sockets.push(s);
          s.on('error', () => {});
          s.once('close', () => {
            closed++;
            resolve(s);
          });
          s.once('connect', () => resolve(s));
        }),
    ),
  );
  return { socks, closed: () => closed };
}

describe('--prometheus server', () => {
  it('--prometheus [HOST:]PORT binds 127.0.0.1 unless a host is given', () => {
    expect(parseListen('9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListen('0.0.0.0:9100')).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(parseListen('127.0.0.1:9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListen('[::1]:9100')).toEqual({ host: '::1', port: 9100 });
    expect(() => parseListen('99999')).toThrow(/invalid \[HOST:\]PORT/);
    expect(() => parseListen('host:')).toThrow(/invalid/);
  });

  it('listens where the default says: loopback only', async () => {
    server = await MetricsServer.listen({ ...parseListen('9100'), port: 0 }, () => '');
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('serves GET /metrics with the text format 0.0.4, each scrape rendered afresh; 404 elsewhere, 405 for POST', async () => {
    let n = 0;
    server = await MetricsServer.listen({ host: '127.0.0.1', port: 0 }, () => `c_total ${++n}\n`);
    const r = await fetch(`http://${server.address}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await r.text()).toBe('c_total 1\n');
    expect(await (await fetch(`http://${server.address}/metrics`)).text()).toBe('c_total 2\n');
    expect((await fetch(`http://${server.address}/`)).status).toBe(404);
    expect((await fetch(`http://${server.address}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('a flood of idle connections stays within the cap, and a real scrape still gets through', async () => {
    server = await MetricsServer.listen({ host: '127.0.0.1', port: 0 }, () => 'up 1\n');
    const flood = await idle(server.address, 200);
    // Every connection past the cap is closed by the server (the oldest idle ones first).
    await until(() => flood.closed() >= 200 - DEFAULT_LIMITS.maxConnections, 'closed down to the cap');
    expect(server.connections).toBeLessThanOrEqual(DEFAULT_LIMITS.maxConnections);
    expect(server.refused).toBeGreaterThanOrEqual(200 - DEFAULT_LIMITS.maxConnections);
    const r = await fetch(`http://${server.address}/metrics`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('up 1\n');
    expect(server.connections).toBeLessThanOrEqual(DEFAULT_LIMITS.maxConnections);
  });

  it('closes idle connections and requests whose headers never end', async () => {
    const quick: MetricsServerLimits = { maxConnections: 4, idleTimeoutMs: 200, headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 200 };
    server = await MetricsServer.listen({ host: '127.0.0.1', port: 0 }, () => 'up 1\n', quick);
    const silent = await idle(server.address, 1);
    const slow = await idle(server.address, 1);
    // A slowloris: a header line now and then, never the blank line that ends them.
    const drip = setInterval(() => slow.socks[0]!.write('X-A: b\r\n'), 50);
    slow.socks[0]!.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    try {
      await until(() => silent.closed() === 1, 'closed the silent connection');
      await until(() => slow.closed() === 1, 'closed the slow request');
    } finally {
      clearInterval(drip);
    }
    await until(() => server!.connections === 0, 'without connections');
  });

  it("_sum of several series adds up to the kernel's exact total", () => {
    const sums = log2Sums([{ slots: slots({ 10: 10 }) }, { slots: slots({ 20: 10 }) }], 1000);
    expect(sums[0]!.sum + sums[1]!.sum).toBeCloseTo(1000, 6);
    expect(sums[1]!.sum).toBeGreaterThan(sums[0]!.sum);
    expect(log2Sums([{ slots: slots({ 3: 1 }) }], 42)[0]!.sum).toBe(42);
  });
});
