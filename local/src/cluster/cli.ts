#!/usr/bin/env node
// Stand-alone entry for the make targets until `iotpipe cluster` is wired: node local/dist/cluster/cli.js <command>
import { CLUSTER_COMMANDS, isClusterCommand, runClusterCommand } from './commands.js';

const command = process.argv[2] ?? '';
if (!isClusterCommand(command)) {
  console.error(`usage: cli.js ${CLUSTER_COMMANDS.join('|')}`);
  process.exitCode = 2;
} else {
  try {
    process.exitCode = await runClusterCommand(command);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  }
}
