/**
 * The HTTP side of `--prometheus [HOST:]PORT`: GET /metrics answers what `scrape()` renders
 * (output/prometheus.ts) at that moment, so each scrape reads the kernel's running totals.
 *
 * It runs inside a root process, so it defends itself:
 *  - it binds where `--prometheus` says, 127.0.0.1 when no host is given (`parseListen`);
 *  - at most `maxConnections` connections are open at once. One more evicts the oldest
 *    connection that is not being answered (idle, kept alive, or still sending its headers),
 *    so a flood of idle connections can neither hold more file descriptors than the cap nor
 *    keep a real scrape out; when every connection is being answered, the new one is closed;
 *  - a connection idle for `idleTimeoutMs` is closed, headers must arrive within
 *    `headersTimeoutMs` and the whole request within `requestTimeoutMs`, and a kept-alive
 *    connection waits `keepAliveTimeoutMs` for its next request.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { TracerError } from '../errors.js';
import { PROMETHEUS_CONTENT_TYPE } from '../output/prometheus.js';

export interface MetricsServerLimits {
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

export const DEFAULT_LIMITS: MetricsServerLimits = {
  maxConnections: 16,
  idleTimeoutMs: 5000,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5000,
};

export interface ListenAt {
  readonly host: string;
  readonly port: number;
}

export class MetricsServer {
  /** Open connections, oldest first, each with whether a request on it is being answered. */
  private readonly conns = new Map<Socket, { answering: boolean }>();
  private refusedCount = 0;

  private constructor(
    private readonly server: Server,
    /** Where it listens, as "host:port" ("[::1]:port" for IPv6). */
    readonly address: string,
  ) {}

  /** Listen at `at` and answer GET /metrics with `scrape()`. */
  static listen(at: ListenAt, scrape: () => string, limits: MetricsServerLimits = DEFAULT_LIMITS): Promise<MetricsServer> {
    const server = createServer({
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often Node checks the header and request timeouts (default 30 s).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, limits.headersTimeoutMs / 2)),
    });
    // A socket silent for this long is destroyed (no 'timeout' listener on the server).
    server.timeout = limits.idleTimeoutMs;
    return new Promise((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new TracerError(
            `cannot listen on ${at.host}:${at.port}: ${e.code ?? e.message}`,
            e.code === 'EADDRINUSE' ? ['choose another port with --prometheus [HOST:]PORT'] : [],
          ),
        ),
      );
      server.listen(at.port, at.host, () => {
        const a = server.address();
        const shown = a && typeof a === 'object' ? (a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`) : `${at.host}:${at.port}`;
        const ms = new MetricsServer(server, shown);
        ms.serve(scrape, limits.maxConnections);
        resolve(ms);
      });
    });
  }

  /** Connections open now. */
  get connections(): number {
    return this.conns.size;
  }

  /** Connections closed because the cap was reached (evicted or refused). */
  get refused(): number {
    return this.refusedCount;
  }

  private serve(scrape: () => string, max: number): void {
    this.server.on('connection', (sock: Socket) => {
      const state = { answering: false };
      this.conns.set(sock, state);
      sock.once('close', () => this.conns.delete(sock));
      if (this.conns.size <= max) return;
      // Over the cap: the oldest connection not being answered goes (this one, last resort).
      for (const [s, st] of this.conns) {
        if (!st.answering) {
          this.refusedCount++;
          this.conns.delete(s);
          s.destroy();
          return;
        }
      }
    });
    this.server.on('request', (req, res) => {
      const st = this.conns.get(req.socket);
      if (st) st.answering = true;
      res.once('close', () => {
        if (st) st.answering = false;
      });
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      if (path !== '/metrics') {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('polytrace: metrics are at /metrics\n');
        return;
      }
      let text: string;
      try {
        text = scrape();
      } catch (e) {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${e instanceof Error ? e.message : String(e)}\n`);
        return;
      }
      res.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE }).end(req.method === 'HEAD' ? undefined : text);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.conns.keys()) s.destroy();
    });
  }
}

/** `--prometheus`: listen at `at`, answer scrapes with `scrape()`, and say where on stderr. */
export async function serveMetrics(at: ListenAt, scrape: () => string): Promise<MetricsServer> {
  const server = await MetricsServer.listen(at, scrape);
  process.stderr.write(`Serving Prometheus metrics at http://${server.address}/metrics\n`);
  return server;
}
