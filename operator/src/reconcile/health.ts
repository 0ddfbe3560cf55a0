import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** /metrics, /healthz and /readyz of the operator; start/stop lifecycle, stop idempotent. */
export class HealthServer {
  private server?: Server;

  constructor(
    private readonly port: number,
    private readonly host: string,
    private readonly registry: Registry,
    private readonly ready: () => { ready: boolean; reason: string },
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
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok\n');
      } else if (url.startsWith('/readyz')) {
        const { ready, reason } = this.ready();
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
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }
}
