#!/usr/bin/env node
// The local stack's entry (`make stack-up`, `stack-down`, `stack-status`, `stack-logs`):
//   node local/dist/stack-cli.js up [--pipeline] | down | status | logs [part]
// A developer's tool: it is not in any image (the workloads image holds only the stages).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '@iotpipe/contract';
import { loadStackConfig } from './config.js';
import { StackError } from './errors.js';
import { formatStatus, LocalStack } from './stack.js';

const USAGE = 'usage: stack-cli.js up [--pipeline] | down | status | logs [part]';

async function main(action: string, args: readonly string[]): Promise<number> {
  const stack = new LocalStack(loadStackConfig());
  switch (action) {
    case 'up': {
      const started = Date.now();
      // --pipeline: also run the adapter, sink and processor under the supervisor.
      const parts = await stack.up({ withPipeline: args.includes('--pipeline') });
      console.log(formatStatus(parts));
      console.log(
        `stack up in ${((Date.now() - started) / 1000).toFixed(1)} s; state in ${stack.config.stateDir}`,
      );
      return parts.some((p) => !p.ok) ? 1 : 0;
    }
    case 'down':
      await stack.down();
      console.log('stack down: every process of the stack has stopped');
      return 0;
    case 'status': {
      const parts = await stack.status();
      console.log(formatStatus(parts));
      const down = parts.filter((p) => !p.ok);
      if (down.length === 0) {
        console.log(`all ${parts.length} parts healthy`);
        return 0;
      }
      console.log(`${down.length} of ${parts.length} parts down: ${down.map((p) => p.name).join(', ')}`);
      return 1;
    }
    default: {
      // logs [part]
      const logDir = stack.supervisor.logDir;
      const part = args[0];
      const files =
        part !== undefined
          ? [stack.logFile(part)]
          : existsSync(logDir)
            ? (await readdir(logDir)).filter((f) => f.endsWith('.log')).map((f) => join(logDir, f))
            : [];
      if (files.length === 0 || !files.every((f) => existsSync(f))) {
        console.error(`no logs yet in ${logDir}: run \`make stack-up\` first`);
        return 2;
      }
      const tail = spawn('tail', ['-n', '30', '-F', ...files], { stdio: 'inherit' });
      await new Promise((r) => tail.on('exit', r));
      return 0;
    }
  }
}

const [action = '', ...args] = process.argv.slice(2);
const known = { up: ['--pipeline'], down: [], status: [], logs: null } as const;
const allowed = action in known ? known[action as keyof typeof known] : undefined;
if (allowed === undefined || (allowed !== null && args.some((a) => !allowed.includes(a as never)))) {
  console.error(USAGE);
  process.exitCode = 2;
} else {
  try {
    process.exitCode = await main(action, args);
  } catch (err) {
    if (err instanceof StackError || err instanceof ConfigError) {
      console.error(`stack: ${err.message}`);
      process.exitCode = 2;
    } else throw err;
  }
}
