#!/usr/bin/env node
// The entry of the make targets (mk/cluster.mk) and of developers: needs only local/ built.
// node local/dist/cluster/cli.js <command> [--node]
import { CLUSTER_COMMANDS, isClusterCommand, runClusterCommand } from './commands.js';

const command = process.argv[2] ?? '';
const flags = process.argv.slice(3);
const unknown = flags.filter((f) => f !== '--node');
if (!isClusterCommand(command) || unknown.length > 0) {
  console.error(`usage: cli.js ${CLUSTER_COMMANDS.join('|')} [--node]`);
  process.exitCode = 2;
} else {
  try {
    process.exitCode = await runClusterCommand(command, { node: flags.includes('--node') });
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  }
}
