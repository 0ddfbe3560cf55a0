import { ADAPTER, defaultAdapterSubscriptions, readSettings, type SettingValues } from '@iotpipe/contract';
import { ConfigError, loadConnectionConfig, type ConnectionConfig } from '../config/common.js';

type AdapterSettings = SettingValues<typeof ADAPTER>;

/** The subscriptions when ADAPTER_SUBSCRIPTIONS is unset. */
export const DEFAULT_SUBSCRIPTIONS = ADAPTER.subscriptions.default;

/**
 * The adapter's config: its settings as the contract declares them (contract: ADAPTER), with
 * `sharedGroup` '' for "no group" ('-' in the variable, since an empty value means the default).
 */
export type AdapterConfig = AdapterSettings & { readonly connection: ConnectionConfig };

/** Reads and validates the adapter's config (no network). A bad value throws ConfigError. */
export function loadAdapterConfig(env: NodeJS.ProcessEnv = process.env): AdapterConfig {
  const s = readSettings(ADAPTER, env);
  if (s.backoffMaxMs < s.backoffInitialMs) {
    throw new ConfigError(
      'backoffMaxMs',
      ADAPTER.backoffMaxMs.env,
      `${s.backoffMaxMs} is below ${ADAPTER.backoffInitialMs.env} ${s.backoffInitialMs}`,
    );
  }
  // Unset, the subscriptions follow the Ruuvi topic prefix.
  const subscriptionsGiven = (env[ADAPTER.subscriptions.env] ?? '') !== '';
  return {
    ...s,
    subscriptions: subscriptionsGiven ? s.subscriptions : defaultAdapterSubscriptions(s.ruuviTopicPrefix),
    sharedGroup: s.sharedGroup === '-' ? '' : s.sharedGroup,
    connection: loadConnectionConfig(env),
  };
}

/** The filters actually subscribed: prefix applied, then the shared group. */
export function effectiveFilters(
  c: Pick<AdapterConfig, 'subscriptions' | 'topicPrefix' | 'sharedGroup'>,
): string[] {
  return c.subscriptions.map((f) => {
    const prefixed = `${c.topicPrefix}${f}`;
    return c.sharedGroup === '' ? prefixed : `$share/${c.sharedGroup}/${prefixed}`;
  });
}
