import { PROCESSOR, PROCESSOR_RULES, readSettings, type SettingValues } from '@iotpipe/contract';
import { ConfigError, loadConnectionConfig, type ConnectionConfig } from '../config/common.js';
import type { RulesConfig } from './engine.js';

/** The processor's config: its settings as the contract declares them (contract: PROCESSOR, PROCESSOR_RULES). */
export type ProcessorConfig = SettingValues<typeof PROCESSOR> & {
  readonly connection: ConnectionConfig;
  readonly rules: RulesConfig;
};

/**
 * Every setting from the environment with a default that works on the local stack; validated
 * here, before any connection, so a bad value fails at start naming the field and variable.
 */
export function loadProcessorConfig(env: NodeJS.ProcessEnv = process.env): ProcessorConfig {
  const rules = readSettings(PROCESSOR_RULES, env, 'rules.');
  if (rules.forgetAfterMs <= rules.silenceAfterMs) {
    throw new ConfigError(
      'rules.forgetAfterMs',
      PROCESSOR_RULES.forgetAfterMs.env,
      `must be longer than the silence threshold (${rules.silenceAfterMs / 1000} s), or silent devices are forgotten before they are reported`,
    );
  }
  return { ...readSettings(PROCESSOR, env), rules, connection: loadConnectionConfig(env) };
}
