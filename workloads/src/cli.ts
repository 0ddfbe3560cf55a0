#!/usr/bin/env node
// `iotpipe <command>`: wires configs to the pipeline's classes; holds no logic of its own. What
// ships in the workloads image: the developers' tools (the local stack, the control plane, the
// benchmarks) have entries of their own in local/ and bench/.
import { ConfigError } from '@iotpipe/contract';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { decodeCommand } from './cli/decode.js';
import { adapterCommand } from './cli/adapter.js';
import { simulateCommand } from './cli/simulate.js';
import { processCommand } from './cli/process.js';
import { sinkCommand } from './cli/sink.js';
import { dbCommand } from './cli/db.js';
import { queryCommand } from './cli/query.js';
import { mosquittoExporterCommand } from './cli/mosquitto-exporter.js';
import { MigrationError } from './db/migrator.js';

class UsageError extends Error {}

try {
  await yargs(hideBin(process.argv))
    .scriptName('iotpipe')
    .command(decodeCommand)
    .command(adapterCommand)
    .command(simulateCommand)
    .command(processCommand)
    .command(sinkCommand)
    .command(dbCommand)
    .command(queryCommand)
    .command(mosquittoExporterCommand)
    .demandCommand(1, 'name a command; --help lists them')
    .strict()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .help()
    .parseAsync();
} catch (err) {
  if (err instanceof ConfigError || err instanceof UsageError || err instanceof MigrationError) {
    console.error(`iotpipe: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
