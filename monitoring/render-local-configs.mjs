/* global process, console */
// Writes the local stack's prometheus.yml and alertmanager.yml, exactly as `make stack-up`
// generates them, into the directory given as argv[2] — without starting anything — so
// `promtool check config` and `amtool check-config` test what the stack runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalStack, loadStackConfig } from '../local/dist/index.js';

const out = process.argv[2];
if (!out) {
  console.error('usage: node monitoring/render-local-configs.mjs <dir>');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const stack = new LocalStack(loadStackConfig(), () => {});
for (const name of ['prometheus', 'alertmanager']) {
  const service = stack.services.find((s) => s.name === name);
  if (!service || typeof service.config !== 'function') throw new Error(`no ${name} service with config()`);
  writeFileSync(join(out, `${name}.yml`), service.config());
}
