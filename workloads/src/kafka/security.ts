import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { KafkaSecurityProtocol, KafkaSaslMechanism } from '@iotpipe/contract';
import type { SASLOptions as KafkajsSasl } from 'kafkajs';

/** How a stage reaches and authenticates to Kafka (contract: KAFKA_SECURITY, in CONNECTION). */
export interface KafkaSecurity {
  readonly kafkaSecurityProtocol: KafkaSecurityProtocol;
  readonly kafkaSaslMechanism: KafkaSaslMechanism;
  readonly kafkaSaslUsername: string;
  readonly kafkaSaslPassword: string;
  readonly kafkaSaslPasswordFile: string;
  readonly kafkaCaFile: string;
}

/** Where the brokers are and how to authenticate to them: what every Kafka client is built from. */
export interface KafkaConnection extends KafkaSecurity {
  readonly kafkaBrokers: readonly string[];
}

const usesSasl = (s: KafkaSecurity) => s.kafkaSecurityProtocol.startsWith('SASL_');
const usesTls = (s: KafkaSecurity) => s.kafkaSecurityProtocol.endsWith('SSL');

/** Why these settings cannot authenticate (checked by the loaders), or undefined. */
export function kafkaSecurityProblem(s: KafkaSecurity): string | undefined {
  if (!usesSasl(s)) return undefined;
  if (s.kafkaSaslUsername === '')
    return `KAFKA_SECURITY_PROTOCOL=${s.kafkaSecurityProtocol} needs KAFKA_SASL_USERNAME`;
  if (s.kafkaSaslPassword === '' && s.kafkaSaslPasswordFile === '')
    return `KAFKA_SECURITY_PROTOCOL=${s.kafkaSecurityProtocol} needs KAFKA_SASL_PASSWORD_FILE or KAFKA_SASL_PASSWORD`;
  return undefined;
}

/**
 * The password, from the file when one is given: read at every authentication, so a rotated
 * Secret (or a rotated local stack password) is used by the next connection without a restart.
 */
export function kafkaSaslPassword(s: KafkaSecurity): string {
  if (s.kafkaSaslPasswordFile === '') return s.kafkaSaslPassword;
  return readFileSync(s.kafkaSaslPasswordFile, 'utf8').trim();
}

/** The TLS options: the CA file's certificates when given, else Node's bundled CAs. */
function tlsOptions(s: KafkaSecurity): ConnectionOptions {
  return s.kafkaCaFile === '' ? {} : { ca: [readFileSync(s.kafkaCaFile, 'utf8')] };
}

/** kafkajs' `ssl` and `sasl` for these settings (nothing for PLAINTEXT). */
export function kafkajsSecurity(s: KafkaSecurity): { ssl?: ConnectionOptions; sasl?: KafkajsSasl } {
  const out: { ssl?: ConnectionOptions; sasl?: KafkajsSasl } = {};
  if (usesTls(s)) out.ssl = tlsOptions(s);
  if (usesSasl(s)) {
    const username = s.kafkaSaslUsername;
    const mechanism = s.kafkaSaslMechanism.toLowerCase() as 'scram-sha-512' | 'scram-sha-256' | 'plain';
    // kafkajs reads sasl.password when it authenticates a connection (its SCRAM and PLAIN
    // authenticators), so a getter makes it read the file at each connection.
    out.sasl = {
      mechanism,
      username,
      get password() {
        return kafkaSaslPassword(s);
      },
    };
  }
  return out;
}

/** @platformatic/kafka's `tls` and `sasl` for these settings (nothing for PLAINTEXT). */
export function platformaticSecurity(s: KafkaSecurity): {
  tls?: ConnectionOptions;
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: () => string };
} {
  return {
    ...(usesTls(s) ? { tls: tlsOptions(s) } : {}),
    // The password provider is called at each authentication.
    ...(usesSasl(s)
      ? {
          sasl: {
            mechanism: s.kafkaSaslMechanism,
            username: s.kafkaSaslUsername,
            password: () => kafkaSaslPassword(s),
          },
        }
      : {}),
  };
}

/**
 * The same settings as a Java Kafka client's properties (Kafka's own tools, e.g. the
 * benchmark's producer and consumer perf tools): nothing for PLAINTEXT.
 */
export function kafkaJavaClientProperties(s: KafkaSecurity): Record<string, string> {
  const props: Record<string, string> = { 'security.protocol': s.kafkaSecurityProtocol };
  if (usesTls(s) && s.kafkaCaFile !== '') {
    props['ssl.truststore.type'] = 'PEM';
    props['ssl.truststore.location'] = s.kafkaCaFile;
  }
  if (usesSasl(s)) {
    const module =
      s.kafkaSaslMechanism === 'PLAIN'
        ? 'org.apache.kafka.common.security.plain.PlainLoginModule'
        : 'org.apache.kafka.common.security.scram.ScramLoginModule';
    const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    props['sasl.mechanism'] = s.kafkaSaslMechanism;
    props['sasl.jaas.config'] =
      `${module} required username=${quote(s.kafkaSaslUsername)} password=${quote(kafkaSaslPassword(s))};`;
  }
  return props;
}
