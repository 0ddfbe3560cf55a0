import { CONNECTION, ConfigError, databaseUrlOf, readSettings, type SettingValues } from '@iotpipe/contract';
import { kafkaSecurityProblem } from '../kafka/security.js';

export { ConfigError, EnvReader } from '@iotpipe/contract';

type ConnectionSettings = SettingValues<typeof CONNECTION>;

/**
 * Where the pipeline's stages find Kafka, the registry, PostgreSQL and Mosquitto (contract:
 * CONNECTION); the database URL is DATABASE_URL, or one built from the POSTGRES_* parts.
 */
export type ConnectionConfig = Omit<
  ConnectionSettings,
  'postgresUser' | 'postgresPassword' | 'postgresDatabase' | 'postgresHost' | 'postgresPort'
>;

export function loadConnectionConfig(env: NodeJS.ProcessEnv = process.env): ConnectionConfig {
  const s = readSettings(CONNECTION, env);
  const kafkaProblem = kafkaSecurityProblem(s);
  if (kafkaProblem !== undefined)
    throw new ConfigError('kafkaSecurityProtocol', 'KAFKA_SECURITY_PROTOCOL', kafkaProblem);
  const {
    postgresUser: _u,
    postgresPassword: _p,
    postgresDatabase: _d,
    postgresHost: _h,
    postgresPort: _o,
    ...rest
  } = s;
  return { ...rest, databaseUrl: databaseUrlOf(s) };
}
