import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthCheck {
  /** Alive: the process is not wedged. */
  live(): boolean;
  /** Ready: connected to what it needs and doing its work. */
  ready(): { ready: boolean; reason: string };
}

/** /metrics (Prometheus text), /healthz and /readyz for one stage; start/stop lifecycle. */
export class MetricsServer {
  private server?: Server;

  constructor(
    private readonly port: number,
    private readonly host: string,
    private readonly registry: Registry,
    private readonly health: HealthCheck,
  ) {}

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      const url = req.url ?? '/';
      if (url.startsWith('/metrics')) {
        this.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': this.registry.contentType });
            res.end(text);
          },
          (err: Error) => {
            res.writeHead(500);
            res.end(err.message);
          },
        );
      } else if (url.startsWith('/healthz')) {
        const ok = this.health.live();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
        res.end(ok ? 'ok\n' : 'not live\n');
      } else if (url.startsWith('/readyz')) {
        const { ready, reason } = this.health.ready();
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

  get boundPort(): number {
    const addr = this.server?.address();
    return typeof addr === 'object' && addr ? addr.port : this.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
