import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface StoredMail {
  readonly id: string;
  readonly receivedAt: string;
  readonly from: string;
  readonly to: string[];
  readonly subject: string;
  readonly text: string;
}

export interface SmtpSinkConfig {
  readonly host: string;
  readonly smtpPort: number;
  readonly httpPort: number;
  readonly mailDir: string;
}

/**
 * A local SMTP server that accepts every message and keeps it as a JSON file, with a small
 * HTTP API (like Mailpit's) so tests and people can read what Alertmanager sent:
 * GET /api/messages, DELETE /api/messages, GET /healthz.
 */
export class SmtpSink {
  private smtp?: SMTPServer;
  private http?: Server;
  private seq = 0;

  constructor(private readonly config: SmtpSinkConfig) {}

  async start(): Promise<void> {
    if (this.smtp) return;
    await mkdir(this.config.mailDir, { recursive: true });
    this.smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then(async (parsed) => {
            const id = `${Date.now()}-${process.pid}-${this.seq++}`;
            const mail: StoredMail = {
              id,
              receivedAt: new Date().toISOString(),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? '',
              text: parsed.text ?? (typeof parsed.html === 'string' ? parsed.html : ''),
            };
            await writeFile(join(this.config.mailDir, `${id}.json`), JSON.stringify(mail));
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.smtp!.once('error', reject);
      this.smtp!.listen(this.config.smtpPort, this.config.host, () => resolve());
    });
    this.http = createServer((req, res) => {
      // Not awaited: an HTTP handler cannot be awaited; both outcomes answer the request.
      void this.handle(req.method ?? 'GET', req.url ?? '/').then(
        ({ status, body }) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: err.message }));
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      this.http!.once('error', reject);
      this.http!.listen(this.config.httpPort, this.config.host, () => resolve());
    });
  }

  private async handle(method: string, url: string): Promise<{ status: number; body: unknown }> {
    if (url === '/healthz') return { status: 200, body: { ok: true } };
    if (url.startsWith('/api/messages')) {
      if (method === 'DELETE') {
        for (const f of await readdir(this.config.mailDir))
          await rm(join(this.config.mailDir, f), { force: true });
        return { status: 200, body: { deleted: true } };
      }
      return { status: 200, body: await this.messages() };
    }
    return { status: 404, body: { error: 'not found' } };
  }

  async messages(): Promise<StoredMail[]> {
    const files = (await readdir(this.config.mailDir)).filter((f) => f.endsWith('.json')).sort();
    const out: StoredMail[] = [];
    for (const f of files)
      out.push(JSON.parse(await readFile(join(this.config.mailDir, f), 'utf8')) as StoredMail);
    return out;
  }

  async stop(): Promise<void> {
    const smtp = this.smtp;
    const http = this.http;
    this.smtp = undefined;
    this.http = undefined;
    if (smtp) await new Promise<void>((r) => smtp.close(() => r()));
    if (http) await new Promise<void>((r) => http.close(() => r()));
  }
}
