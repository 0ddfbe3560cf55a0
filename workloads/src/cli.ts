#!/usr/bin/env node
// `iotpipe <command>`: wires configs to the pipeline's classes; holds no logic of its own.
import { ConfigError, StackError } from '@iotpipe/local';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { clusterCommand } from './cli/cluster.js';
import { stackCommand } from './cli/stack.js';
import { decodeCommand } from './cli/decode.js';
import { adapterCommand } from './cli/adapter.js';
import { simulateCommand } from './cli/simulate.js';
import { processCommand } from './cli/process.js';
import { sinkCommand } from './cli/sink.js';
import { dbCommand } from './cli/db.js';
import { queryCommand } from './cli/query.js';
import { benchCommand } from './cli/bench.js';
import { mosquittoExporterCommand } from './cli/mosquitto-exporter.js';
import { MigrationError } from './db/migrator.js';

class UsageError extends Error {}

try {
  await yargs(hideBin(process.argv))
    .scriptName('iotpipe')
    .command(stackCommand)
    .command(clusterCommand)
    .command(decodeCommand)
    .command(adapterCommand)
    .command(simulateCommand)
    .command(processCommand)
    .command(sinkCommand)
    .command(dbCommand)
    .command(queryCommand)
    .command(benchCommand)
    .command(mosquittoExporterCommand)
    .demandCommand(1, 'name a command; --help lists them')
    .strict()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .help()
    .parseAsync();
} catch (err) {
  if (
    err instanceof StackError ||
    err instanceof ConfigError ||
    err instanceof UsageError ||
    err instanceof MigrationError
  ) {
    console.error(`iotpipe: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
