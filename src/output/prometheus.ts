/**
 * The Prometheus exporter behind `--prometheus [HOST:]PORT` (funccount, funclatency, argdist):
 * metrics are kept by prom-client (registry, naming, label escaping, text format) and read
 * from the kernel's maps at scrape time, so a scrape always sees the exact totals.
 *
 * Counters: the kernel's counters only grow, so each scrape sets the prom-client Counter to
 * the kernel's total (reset + inc), which keeps Prometheus's counter semantics.
 *
 * Histograms: BCC's log2 slots, slot i holding the values v with 2^(i-1) <= v < 2^i (slot 0:
 * v = 0). Slot i is exported as the bucket `le="2^i"`, so every boundary is a power of two
 * (the boundaries of a native histogram of schema 0, which Prometheus can convert to without
 * loss) and the cumulative count at `le="2^i"` is the number of calls shorter than 2^i units.
 * prom-client's Histogram observes one value at a time; a kernel histogram arrives as counts
 * per bucket, so `Log2Histogram` hands prom-client's registry the bucket series directly.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Histogram, Registry } from 'prom-client';
import { TracerError } from '../errors.js';

export type Labels = { readonly [name: string]: string };

export interface CounterSample {
  readonly labels: Labels;
  /** The kernel's running total. */
  readonly value: bigint;
}

export interface Log2Sample {
  readonly labels: Labels;
  /** Counts per BCC log2 slot (index = slot), running totals. */
  readonly slots: readonly bigint[];
  /** Sum of the observed values, in the histogram's unit (running total). */
  readonly sum: number;
}

/** Upper bounds exported: 2^0 … 2^(LOG2_BOUNDS-1), then +Inf. */
export const LOG2_BOUNDS = 40;

export function log2UpperBounds(n = LOG2_BOUNDS): number[] {
  return Array.from({ length: n }, (_, i) => 2 ** i);
}

interface PromValue {
  readonly labels: { [name: string]: string | number };
  readonly value: number;
  readonly metricName: string;
}

/** Cumulative bucket series of one log2 sample, as prom-client's registry formats them. */
export function log2Series(name: string, s: Log2Sample, bounds = LOG2_BOUNDS): PromValue[] {
  const out: PromValue[] = [];
  let acc = 0n;
  let total = 0n;
  for (const c of s.slots) total += c;
  for (let i = 0; i < bounds; i++) {
    acc += s.slots[i] ?? 0n;
    out.push({ labels: { ...s.labels, le: 2 ** i }, value: Number(acc), metricName: `${name}_bucket` });
  }
  out.push({ labels: { ...s.labels, le: '+Inf' }, value: Number(total), metricName: `${name}_bucket` });
  out.push({ labels: { ...s.labels }, value: s.sum, metricName: `${name}_sum` });
  out.push({ labels: { ...s.labels }, value: Number(total), metricName: `${name}_count` });
  return out;
}

/** A prom-client Histogram whose buckets are set from kernel log2 slots at scrape time. */
class Log2Histogram extends Histogram<string> {
  constructor(
    private readonly metricName: string,
    private readonly metricHelp: string,
    labelNames: readonly string[],
    registry: Registry,
    private readonly read: () => Log2Sample[],
  ) {
    const name = metricName;
    const help = metricHelp;
    super({ name, help, labelNames: [...labelNames], buckets: log2UpperBounds(), registers: [registry] });
    // The registry prefers getForPromString when present: route it to get() below.
    Object.defineProperty(this, 'getForPromString', { value: () => this.get() });
  }

  override async get() {
    const values = this.read().flatMap((s) => log2Series(this.metricName, s));
    return { name: this.metricName, help: this.metricHelp, type: 'histogram' as const, values, aggregator: 'sum' as const } as unknown as Awaited<
      ReturnType<Histogram<string>['get']>
    >;
  }
}

export class PrometheusExporter {
  readonly registry = new Registry();
  private server?: Server;

  /** A counter whose series are the samples `read()` returns at each scrape. */
  counter(name: string, help: string, labelNames: readonly string[], read: () => CounterSample[]): void {
    new Counter({
      name,
      help,
      registers: [this.registry],
      labelNames: [...labelNames],
      collect() {
        this.reset();
        for (const s of read()) this.inc({ ...s.labels }, Number(s.value));
      },
    });
  }

  /** A log2 histogram whose series are the samples `read()` returns at each scrape. */
  log2Histogram(name: string, help: string, labelNames: readonly string[], read: () => Log2Sample[]): void {
    new Log2Histogram(name, help, labelNames, this.registry, read);
  }

  /** The text exposition (what GET /metrics answers). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Serve GET /metrics; resolves with "host:port" once listening. */
  listen(addr: { readonly host: string; readonly port: number }): Promise<string> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      if (path !== '/metrics') {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('polytrace: metrics are at /metrics\n');
        return;
      }
      this.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': this.registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
        (e: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${String(e)}\n`),
      );
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new TracerError(
            `cannot listen on ${addr.host}:${addr.port}: ${e.code ?? e.message}`,
            e.code === 'EADDRINUSE' ? ['choose another port with --prometheus [HOST:]PORT'] : [],
          ),
        ),
      );
      server.listen(addr.port, addr.host, () => {
        const a = server.address();
        const shown = a && typeof a === 'object' ? (a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`) : `${addr.host}:${addr.port}`;
        resolve(shown);
      });
    });
  }

  close(): Promise<void> {
    const s = this.server;
    if (!s) return Promise.resolve();
    this.server = undefined;
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
