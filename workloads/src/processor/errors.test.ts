import { describe, expect, it } from 'vitest';
import { classifyRegistryFailure } from '@iotpipe/runtime';
import { ProcessorCodec, ReadingDecodeError } from './codec.js';

const isTemporaryRegistryError = (e: unknown) => classifyRegistryFailure(e) === 'temporary';
import { isTemporaryKafkaError } from './processor.js';

describe('temporary or permanent', () => {
  it('kafkajs errors by their retriable flag; retries exhausted and connection errors are temporary', () => {
    expect(
      isTemporaryKafkaError({ name: 'KafkaJSProtocolError', retriable: true, message: 'NOT_LEADER' }),
    ).toBe(true);
    expect(
      isTemporaryKafkaError({ name: 'KafkaJSProtocolError', retriable: false, message: 'MESSAGE_TOO_LARGE' }),
    ).toBe(false);
    expect(
      isTemporaryKafkaError({ name: 'KafkaJSNumberOfRetriesExceeded', retriable: false, message: 'x' }),
    ).toBe(true);
    expect(isTemporaryKafkaError({ name: 'KafkaJSConnectionError', message: 'Connection timeout' })).toBe(
      true,
    );
    expect(
      isTemporaryKafkaError({
        name: 'KafkaJSError',
        retriable: false,
        message: 'x',
        cause: { name: 'KafkaJSConnectionError' },
      }),
    ).toBe(true);
    expect(isTemporaryKafkaError(new Error('connect ECONNREFUSED 127.0.0.1:29092'))).toBe(true);
    expect(isTemporaryKafkaError(new TypeError('bug'))).toBe(false);
    expect(isTemporaryKafkaError(null)).toBe(false);
  });

  it('registry: network errors, 5xx and 429 are temporary; 4xx (unknown schema id) is not', () => {
    expect(isTemporaryRegistryError(Object.assign(new Error('x'), { status: 503 }))).toBe(true);
    expect(isTemporaryRegistryError(Object.assign(new Error('x'), { status: 429 }))).toBe(true);
    expect(isTemporaryRegistryError(Object.assign(new Error('Schema not found'), { status: 404 }))).toBe(
      false,
    );
    expect(isTemporaryRegistryError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTemporaryRegistryError(new Error('fetch failed'))).toBe(true);
    // What the registry client really throws when the registry is down (tests/chaos 6).
    const refused = 'Confluent_Schema_Registry - Error, status 400: connect ECONNREFUSED 127.0.0.1:8081';
    expect(isTemporaryRegistryError(Object.assign(new Error(refused), { status: 400 }))).toBe(true);
    expect(isTemporaryRegistryError(new Error('invalid schema'))).toBe(false);
  });

  it('bytes that are not Confluent-framed Avro fail as ReadingDecodeError without asking the registry', async () => {
    // An unreachable registry URL: any network use would surface as a different error.
    const codec = new ProcessorCodec('http://127.0.0.1:9/apis/ccompat/v7');
    for (const bad of [null, Buffer.from(''), Buffer.from('junk'), Buffer.from([1, 0, 0, 0, 1, 2])]) {
      await expect(codec.decodeReading(bad)).rejects.toBeInstanceOf(ReadingDecodeError);
    }
  });
});
