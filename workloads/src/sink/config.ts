import { readSettings, SINK, type SettingValues } from '@iotpipe/contract';
import { ConfigError, loadConnectionConfig, type ConnectionConfig } from '../config/common.js';

/** The sink's config: its settings as the contract declares them (contract: SINK). */
export type SinkConfig = SettingValues<typeof SINK> & { readonly connection: ConnectionConfig };

/**
 * Every setting from the environment with a default that works on the local stack; validated
 * here, before any connection, so a bad value fails at start naming the field and variable.
 */
export function loadSinkConfig(env: NodeJS.ProcessEnv = process.env): SinkConfig {
  const s = readSettings(SINK, env);
  if (s.retentionDays < s.archiveAfterDays) {
    throw new ConfigError(
      'retentionDays',
      SINK.retentionDays.env,
      `${s.retentionDays} is less than ${SINK.archiveAfterDays.env} (${s.archiveAfterDays}); archived rows are kept until then`,
    );
  }
  return { ...s, connection: loadConnectionConfig(env) };
}
