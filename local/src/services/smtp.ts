import { join } from 'node:path';
import type { StackConfig } from '../config.js';
import { httpProbe } from '../http.js';
import type { Program, ProbeResult, Service } from '../service.js';

/** The SMTP sink Alertmanager mails; see smtp-sink.ts. */
export class SmtpSinkService implements Service {
  readonly name = 'smtp-sink';
  readonly stage = 1;
  readonly startTimeoutMs = 15_000;

  constructor(private readonly c: StackConfig) {}

  ports() {
    return [
      { port: this.c.smtp.port, what: 'SMTP sink (SMTP)' },
      { port: this.c.smtp.httpPort, what: 'SMTP sink (HTTP API)' },
    ];
  }

  requires() {
    return [];
  }

  programs(): Program[] {
    return [
      {
        name: 'smtp-sink',
        command: [process.execPath, join(this.c.repoRoot, 'local', 'dist', 'smtp-sink-main.js')],
        env: {
          IOTPIPE_STATE_DIR: this.c.stateDir,
          IOTPIPE_ROOT: this.c.repoRoot,
          IOTPIPE_SMTP_PORT: String(this.c.smtp.port),
          IOTPIPE_SMTP_HTTP_PORT: String(this.c.smtp.httpPort),
        },
      },
    ];
  }

  async prepare(): Promise<void> {}

  probe(): Promise<ProbeResult> {
    return httpProbe(`http://${this.c.host}:${this.c.smtp.httpPort}/healthz`);
  }
}
