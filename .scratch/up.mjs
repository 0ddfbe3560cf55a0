import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadStackConfig } from '/work/wt/i18kafka/local/dist/index.js';
import { KafkaBrokerService, provisionKafka } from '/work/wt/i18kafka/local/dist/services/kafka.js';
const c = loadStackConfig();
const ctx = { log: (l) => console.log(l), asRoot: false };
const nodes = [1, 2, 3].map((n) => new KafkaBrokerService(c, n));
const kids = [];
const stop = async () => {
  for (const k of kids) k.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 8000));
  for (const k of kids) if (k.exitCode === null) k.kill('SIGKILL');
  process.exit(0);
};
process.on('SIGTERM', stop);
mkdirSync(join(c.stateDir, 'logs'), { recursive: true });
for (const n of nodes) await n.prepare(ctx);
for (const n of nodes) {
  const [p] = n.programs();
  const out = createWriteStream(join(c.stateDir, 'logs', `${n.name}.log`));
  const k = spawn(p.command[0], p.command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  k.stdout.pipe(out); k.stderr.pipe(out);
  kids.push(k);
}
for (const n of nodes) {
  for (;;) { const r = await n.probe(); if (r.ok) break; await new Promise((r) => setTimeout(r, 2000)); }
}
await provisionKafka(c, (l) => console.log(l));
console.log('READY');
setInterval(() => {}, 1 << 30);
