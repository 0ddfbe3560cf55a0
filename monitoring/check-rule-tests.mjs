/* global process, console */
// Every alerting rule (alertname + severity) must be expected to fire in some promtool test, so
// a rule added without a test fails `make test-monitoring`.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const rulesDir = join(dirname(fileURLToPath(import.meta.url)), 'rules');
const rules = readdirSync(rulesDir)
  .filter((f) => f.endsWith('.rules.yml'))
  .flatMap((f) => parse(readFileSync(join(rulesDir, f), 'utf8')).groups.flatMap((g) => g.rules))
  .filter((r) => r.alert)
  .map((r) => `${r.alert}/${r.labels?.severity}`);
const tested = new Set();
for (const f of readdirSync(join(rulesDir, 'tests')).filter((n) => n.endsWith('.yml'))) {
  for (const t of parse(readFileSync(join(rulesDir, 'tests', f), 'utf8')).tests ?? []) {
    for (const a of t.alert_rule_test ?? []) {
      for (const e of a.exp_alerts ?? []) tested.add(`${a.alertname}/${e.exp_labels?.severity}`);
    }
  }
}
const missing = rules.filter((r) => !tested.has(r));
const bad = rules.filter((r) => !/\/(critical|warning)$/.test(r));
if (missing.length || bad.length) {
  if (missing.length) console.error(`rules without a firing promtool test: ${missing.join(', ')}`);
  if (bad.length) console.error(`rules without severity critical|warning: ${bad.join(', ')}`);
  process.exit(1);
}
console.log(`every one of the ${rules.length} alerting rules has a firing promtool test`);
