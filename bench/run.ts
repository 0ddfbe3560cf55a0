// `make bench`: the end-to-end benchmark on the local stack (ceilings of the parts, then the
// pipeline at stepped rates), run from source with tsx: it is a developer's tool, in no image.
//   node --import tsx bench/run.ts --help
import { ConfigError } from '@iotpipe/contract';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { benchCommand } from './harness/cli-command.js';

try {
  await yargs(hideBin(process.argv)).scriptName('bench').command(benchCommand).strict().help().parseAsync();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`bench: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
