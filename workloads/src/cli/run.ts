import { readSettings, RUNTIME } from '@iotpipe/contract';
import { createLogger, runService, type Logger, type Service } from '@iotpipe/runtime';

/**
 * Runs one stage as the process: JSON logs at LOG_LEVEL, SIGTERM/SIGINT drain and stop it
 * (exit 0), a fatal error the stage reports stops it and exits 1.
 */
export async function runStage(
  component: string,
  build: (log: Logger, fatal: (err: unknown) => void) => Service,
): Promise<void> {
  const log = createLogger({ component, level: readSettings(RUNTIME, process.env).logLevel });
  let fatal: (err: unknown) => void = () => {};
  const service = build(log, (err) => fatal(err));
  fatal = await runService(service, { log });
}
