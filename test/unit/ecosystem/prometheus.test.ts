/** The exporter without a kernel: prom-client's text format of counters and log2 histograms. */
import { describe, it, expect, afterEach } from 'vitest';
import { PrometheusExporter, log2Series, log2UpperBounds } from '../../../src/output/prometheus.js';
import { log2Sums } from '../../../src/multitools/funclatency.js';
import { parseListen } from '../../../src/multitools/options.js';

const slots = (m: Record<number, number>) => {
  const s = new Array<bigint>(65).fill(0n);
  for (const [k, v] of Object.entries(m)) s[Number(k)] = BigInt(v);
  return s;
};

let ex: PrometheusExporter | undefined;
afterEach(async () => {
  await ex?.close();
  ex = undefined;
});

describe('prometheus exporter', () => {
  it('--prometheus [HOST:]PORT', () => {
    expect(parseListen('9100')).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(parseListen('127.0.0.1:9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListen('[::1]:9100')).toEqual({ host: '::1', port: 9100 });
    expect(() => parseListen('99999')).toThrow(/invalid \[HOST:\]PORT/);
    expect(() => parseListen('host:')).toThrow(/invalid/);
  });

  it('log2 buckets: le at powers of two, cumulative, +Inf, _sum and _count', () => {
    expect(log2UpperBounds(4)).toEqual([1, 2, 4, 8]);
    // slot 0: value 0; slot 1: 1; slot 2: 2..3; slot 3: 4..7
    const s = log2Series('lat', { labels: { function: 'f' }, slots: slots({ 0: 1, 1: 2, 3: 4, 50: 1 }), sum: 99 }, 4);
    expect(s.map((v) => [v.metricName, v.labels.le, v.value])).toEqual([
      ['lat_bucket', 1, 1],
      ['lat_bucket', 2, 3],
      ['lat_bucket', 4, 3],
      ['lat_bucket', 8, 7],
      ['lat_bucket', '+Inf', 8],
      ['lat_sum', undefined, 99],
      ['lat_count', undefined, 8],
    ]);
  });

  it('text exposition through prom-client: counters with labels, histogram series', async () => {
    ex = new PrometheusExporter();
    let total = 5n;
    ex.counter('funccount_calls_total', 'Calls', ['function', 'library', 'pid'], () => [
      { labels: { function: 'malloc', library: '/lib/libc.so.6', pid: '' }, value: total },
      { labels: { function: 'a"b\\c', library: 'kernel', pid: '7' }, value: 0n },
    ]);
    ex.log2Histogram('funclatency_nanoseconds', 'Latency', ['function'], () => [{ labels: { function: 'f' }, slots: slots({ 10: 3 }), sum: 2500 }]);
    let text = await ex.metrics();
    expect(text).toContain('# TYPE funccount_calls_total counter\n');
    expect(text).toContain('funccount_calls_total{function="malloc",library="/lib/libc.so.6",pid=""} 5\n');
    expect(text).toContain('funccount_calls_total{function="a\\"b\\\\c",library="kernel",pid="7"} 0\n');
    expect(text).toContain('# TYPE funclatency_nanoseconds histogram\n');
    expect(text).toContain('funclatency_nanoseconds_bucket{function="f",le="512"} 0\n');
    expect(text).toContain('funclatency_nanoseconds_bucket{function="f",le="1024"} 3\n');
    expect(text).toContain('funclatency_nanoseconds_bucket{function="f",le="+Inf"} 3\n');
    expect(text).toContain('funclatency_nanoseconds_sum{function="f"} 2500\n');
    expect(text).toContain('funclatency_nanoseconds_count{function="f"} 3\n');
    // Each scrape reads the kernel's running total again.
    total = 12n;
    text = await ex.metrics();
    expect(text).toContain('funccount_calls_total{function="malloc",library="/lib/libc.so.6",pid=""} 12\n');
  });

  it('serves GET /metrics over HTTP, 404 elsewhere', async () => {
    ex = new PrometheusExporter();
    ex.counter('c_total', 'c', ['function'], () => [{ labels: { function: 'x' }, value: 3n }]);
    const where = await ex.listen({ host: '127.0.0.1', port: 0 });
    const r = await fetch(`http://${where}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    expect(await r.text()).toContain('c_total{function="x"} 3');
    expect((await fetch(`http://${where}/`)).status).toBe(404);
  });

  it("_sum of several series adds up to the kernel's exact total", () => {
    const sums = log2Sums([{ slots: slots({ 10: 10 }) }, { slots: slots({ 20: 10 }) }], 1000);
    expect(sums[0]!.sum + sums[1]!.sum).toBeCloseTo(1000, 6);
    expect(sums[1]!.sum).toBeGreaterThan(sums[0]!.sum);
    expect(log2Sums([{ slots: slots({ 3: 1 }) }], 42)[0]!.sum).toBe(42);
  });
});
