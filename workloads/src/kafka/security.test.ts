import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KAFKA_SECURITY, readSettings } from '@iotpipe/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnectionConfig } from '../config/common.js';
import {
  kafkaJavaClientProperties,
  kafkajsSecurity,
  kafkaSecurityProblem,
  platformaticSecurity,
  type KafkaSecurity,
} from './security.js';

describe('Kafka client security from the contract settings', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kafka-sec-'));
    await writeFile(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const sasl = (over: Partial<KafkaSecurity> = {}): KafkaSecurity => ({
    ...readSettings(KAFKA_SECURITY, {}),
    kafkaSecurityProtocol: 'SASL_SSL',
    kafkaSaslUsername: 'kafka-sink',
    kafkaSaslPasswordFile: join(dir, 'password'),
    kafkaCaFile: join(dir, 'ca.crt'),
    ...over,
  });

  it('PLAINTEXT (the default) adds nothing to either client', () => {
    const plain = readSettings(KAFKA_SECURITY, {});
    expect(plain.kafkaSecurityProtocol).toBe('PLAINTEXT');
    expect(kafkajsSecurity(plain)).toEqual({});
    expect(platformaticSecurity(plain)).toEqual({});
  });

  it('SASL_SSL: TLS trusting the CA file, SCRAM with the password read from its file at each authentication', async () => {
    await writeFile(join(dir, 'password'), 'first\n');
    const s = sasl();
    const kj = kafkajsSecurity(s);
    const pf = platformaticSecurity(s);
    expect(kj.ssl).toEqual({ ca: [expect.stringContaining('BEGIN CERTIFICATE')] });
    expect(pf.tls).toEqual(kj.ssl);
    expect(kj.sasl).toMatchObject({ mechanism: 'scram-sha-512', username: 'kafka-sink' });
    expect(pf.sasl).toMatchObject({ mechanism: 'SCRAM-SHA-512', username: 'kafka-sink' });
    expect((kj.sasl as { password: string }).password).toBe('first');
    expect(pf.sasl!.password()).toBe('first');
    // A rotated password (the file replaced) is what the next connection sends.
    await writeFile(join(dir, 'password'), 'second');
    expect((kj.sasl as { password: string }).password).toBe('second');
    expect(pf.sasl!.password()).toBe('second');
  });

  it('SASL_PLAINTEXT has no TLS; SSL has no SASL; a literal password is used when no file is given', () => {
    const noTls = kafkajsSecurity(
      sasl({ kafkaSecurityProtocol: 'SASL_PLAINTEXT', kafkaSaslPasswordFile: '', kafkaSaslPassword: 'lit' }),
    );
    expect(noTls.ssl).toBeUndefined();
    expect((noTls.sasl as { password: string }).password).toBe('lit');
    const tlsOnly = platformaticSecurity(sasl({ kafkaSecurityProtocol: 'SSL' }));
    expect(tlsOnly.sasl).toBeUndefined();
    expect(tlsOnly.tls).toBeDefined();
  });

  it('SASL without a user or a password is refused by the loader, naming what is missing', () => {
    expect(kafkaSecurityProblem(sasl())).toBeUndefined();
    expect(kafkaSecurityProblem(sasl({ kafkaSaslUsername: '' }))).toMatch(/needs KAFKA_SASL_USERNAME/);
    expect(kafkaSecurityProblem(sasl({ kafkaSaslPasswordFile: '' }))).toMatch(
      /needs KAFKA_SASL_PASSWORD_FILE or KAFKA_SASL_PASSWORD/,
    );
    expect(() => loadConnectionConfig({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' })).toThrow(
      'invalid config kafkaSecurityProtocol (KAFKA_SECURITY_PROTOCOL): KAFKA_SECURITY_PROTOCOL=SASL_SSL needs KAFKA_SASL_USERNAME',
    );
  });

  it("as a Java client's properties (Kafka's own tools): TLS with the PEM CA, SCRAM with the file's password", async () => {
    await writeFile(join(dir, 'password'), 'pw-1');
    expect(kafkaJavaClientProperties(sasl())).toEqual({
      'security.protocol': 'SASL_SSL',
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': join(dir, 'ca.crt'),
      'sasl.mechanism': 'SCRAM-SHA-512',
      'sasl.jaas.config':
        'org.apache.kafka.common.security.scram.ScramLoginModule required username="kafka-sink" password="pw-1";',
    });
    expect(kafkaJavaClientProperties(readSettings(KAFKA_SECURITY, {}))).toEqual({
      'security.protocol': 'PLAINTEXT',
    });
  });
});
