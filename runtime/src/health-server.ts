import { createServer, type Server } from 'node:http';

/** Where the metrics text comes from (a prom-client Registry fits). */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface HealthChecks {
  /** Alive: the process is not wedged (a failing /healthz makes the kubelet restart it). */
  live(): boolean;
  /** Ready: connected to what it needs and doing its work; the reason is the response body. */
  ready(): { ready: boolean; reason: string };
}

/**
 * /metrics (Prometheus text), /healthz and /readyz of one process: every stage and the
 * operator. Start and stop are idempotent; stop drops keep-alive connections (a scraper's)
 * so it never waits for them.
 */
export class HealthServer {
  private server?: Server;

  constructor(
    private readonly port: number,
    private readonly host: string,
    private readonly metrics: MetricsSource,
    private readonly checks: HealthChecks,
  ) {}

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      const url = req.url ?? '/';
      if (url.startsWith('/metrics')) {
        this.metrics.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': this.metrics.contentType });
            res.end(text);
          },
          (err: Error) => {
            res.writeHead(500);
            res.end(err.message);
          },
        );
      } else if (url.startsWith('/healthz')) {
        const ok = this.checks.live();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
        res.end(ok ? 'ok\n' : 'not live\n');
      } else if (url.startsWith('/readyz')) {
        const { ready, reason } = this.checks.ready();
        res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' });
        res.end(`${reason}\n`);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.server = server;
  }

  /** The port listened on (the configured one, or the one the kernel chose for 0). */
  get boundPort(): number {
    const addr = this.server?.address();
    return typeof addr === 'object' && addr ? addr.port : this.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
