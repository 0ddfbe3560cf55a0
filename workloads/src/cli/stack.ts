import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { formatStatus, LocalStack, loadStackConfig } from '@iotpipe/local';
import type { Argv, CommandModule } from 'yargs';

/** `iotpipe stack up|down|status|logs`: wiring from the CLI to the local stack. */
export const stackCommand: CommandModule = {
  command: 'stack <action> [part]',
  describe: 'the local stack of real services: up | down | status | logs [part]',
  builder: (y: Argv) =>
    y
      .positional('action', { choices: ['up', 'down', 'status', 'logs'] as const, demandOption: true })
      .positional('part', { type: 'string', describe: 'for logs: one part (e.g. kafka-1); default all' })
      .option('pipeline', {
        type: 'boolean',
        default: false,
        describe: 'with up: also run the adapter, sink and processor under the supervisor',
      }),
  handler: async (argv) => {
    const stack = new LocalStack(loadStackConfig());
    const action = String(argv.action);
    if (action === 'up') {
      const started = Date.now();
      const parts = await stack.up({ withPipeline: Boolean(argv.pipeline) });
      console.log(formatStatus(parts));
      console.log(
        `stack up in ${((Date.now() - started) / 1000).toFixed(1)} s; state in ${stack.config.stateDir}`,
      );
      if (parts.some((p) => !p.ok)) process.exitCode = 1;
    } else if (action === 'down') {
      await stack.down();
      console.log('stack down: every process of the stack has stopped');
    } else if (action === 'status') {
      const parts = await stack.status();
      console.log(formatStatus(parts));
      const down = parts.filter((p) => !p.ok);
      if (down.length > 0) {
        console.log(`${down.length} of ${parts.length} parts down: ${down.map((p) => p.name).join(', ')}`);
        process.exitCode = 1;
      } else {
        console.log(`all ${parts.length} parts healthy`);
      }
    } else {
      const logDir = stack.supervisor.logDir;
      const files =
        typeof argv.part === 'string'
          ? [stack.logFile(argv.part)]
          : existsSync(logDir)
            ? (await readdir(logDir)).filter((f) => f.endsWith('.log')).map((f) => join(logDir, f))
            : [];
      if (files.length === 0 || !files.every((f) => existsSync(f))) {
        console.error(`no logs yet in ${logDir}: run \`iotpipe stack up\` first`);
        process.exitCode = 2;
        return;
      }
      const tail = spawn('tail', ['-n', '30', '-F', ...files], { stdio: 'inherit' });
      await new Promise((r) => tail.on('exit', r));
    }
  },
};
