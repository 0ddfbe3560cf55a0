// Entry point the supervisor runs for the local SMTP sink; wiring only.
import { join } from 'node:path';
import { loadStackConfig } from './config.js';
import { SmtpSink } from './smtp-sink.js';

const c = loadStackConfig();
const sink = new SmtpSink({
  host: c.host,
  smtpPort: c.smtp.port,
  httpPort: c.smtp.httpPort,
  mailDir: join(c.stateDir, 'mail'),
});
await sink.start();
console.log(
  `smtp sink: SMTP ${c.host}:${c.smtp.port}, HTTP http://${c.host}:${c.smtp.httpPort}/api/messages`,
);
const shutdown = () => void sink.stop().then(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
