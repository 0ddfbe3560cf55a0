import { classifyKafkaFailure } from '@iotpipe/runtime';
import { KAFKA_SECURITY, readSettings } from '@iotpipe/contract';
import {
  MultipleErrors,
  NetworkError,
  ProtocolError,
  ResponseError,
  TimeoutError,
  UserError,
} from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { describePlatformaticError, isKafkajsRecordRejected } from './errors.js';
import { KafkajsRecordProducer } from './kafkajs-producer.js';
import { PlatformaticRecordProducer, PlatformaticSendError } from './platformatic-producer.js';

const {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} = kafkajs;

const PRODUCE = 0;

/** kafkajs' protocol error as its request layer builds it ({ type, code, message } of the broker's code). */
function kafkajsProtocolError(type: string): Error {
  return new KafkaJSProtocolError(Object.assign(new Error(type), { type, code: 0 }));
}

/** What @platformatic/kafka's producer hands back: one MultipleErrors over the brokers' failures. */
function sendFailed(...perBroker: Error[]): MultipleErrors {
  return new MultipleErrors('Producing messages failed.', perBroker);
}

/** A produce response with the given error code per partition (the client's ResponseError). */
function produceResponse(codes: number[], recordErrors: string[] = []): ResponseError {
  const errors: Record<string, [number, string | null]> = {};
  codes.forEach((code, i) => (errors[`/responses/0/partition_responses/${i}`] = [code, null]));
  recordErrors.forEach(
    (msg, k) => (errors[`/responses/0/partition_responses/0/record_errors/${k}`] = [-1, msg]),
  );
  return new ResponseError(PRODUCE, 9, errors, {});
}

// Kafka's error codes (protocol): 10 MESSAGE_TOO_LARGE, 18 RECORD_LIST_TOO_LARGE,
// 87 INVALID_RECORD, 2 CORRUPT_MESSAGE, 6 NOT_LEADER_OR_FOLLOWER, 19 NOT_ENOUGH_REPLICAS,
// 20 NOT_ENOUGH_REPLICAS_AFTER_APPEND, 7 REQUEST_TIMED_OUT, 3 UNKNOWN_TOPIC_OR_PARTITION.
/** The one classification, on the client's real error classes. */
const isPlatformaticRecordRejected = (e: unknown) => classifyKafkaFailure(e) === 'permanent';

/** Producers on a port nothing listens on, with the contract's default (PLAINTEXT) security. */
const options = {
  connection: { kafkaBrokers: ['127.0.0.1:1'], ...readSettings(KAFKA_SECURITY, {}) },
  clientId: 'unit',
};

describe('classifyKafkaFailure on @platformatic/kafka errors', () => {
  it.each([
    ['MESSAGE_TOO_LARGE', 10],
    ['RECORD_LIST_TOO_LARGE', 18],
    ['INVALID_RECORD', 87],
    ['CORRUPT_MESSAGE', 2],
  ])('%s from the broker is a record rejection (DLQ)', (_name, code) => {
    expect(isPlatformaticRecordRejected(sendFailed(produceResponse([code])))).toBe(true);
    // Per-record details ride along with the partition's own error and do not change that.
    expect(isPlatformaticRecordRejected(sendFailed(produceResponse([code], ['record 3 too large'])))).toBe(
      true,
    );
    expect(isPlatformaticRecordRejected(new ProtocolError(code))).toBe(true);
  });

  it.each([
    ['NOT_LEADER_OR_FOLLOWER', 6],
    ['NOT_ENOUGH_REPLICAS', 19],
    ['NOT_ENOUGH_REPLICAS_AFTER_APPEND', 20],
    ['REQUEST_TIMED_OUT', 7],
    ['UNKNOWN_TOPIC_OR_PARTITION', 3],
  ])('%s is temporary (resend)', (_name, code) => {
    expect(isPlatformaticRecordRejected(sendFailed(produceResponse([code])))).toBe(false);
  });

  it('broker down, timeouts, unknown topic and anything unexpected are temporary', () => {
    const refused = new NetworkError('Connection to 127.0.0.1:29092 failed.', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:29092'), { code: 'ECONNREFUSED' }),
    });
    expect(isPlatformaticRecordRejected(sendFailed(refused))).toBe(false);
    expect(isPlatformaticRecordRejected(refused)).toBe(false);
    expect(isPlatformaticRecordRejected(sendFailed(new TimeoutError('Request timed out.')))).toBe(false);
    expect(isPlatformaticRecordRejected(new UserError('Unknown topic iot-sensor-data.'))).toBe(false);
    expect(isPlatformaticRecordRejected(new Error('boom'))).toBe(false);
    expect(isPlatformaticRecordRejected(sendFailed())).toBe(false);
    expect(isPlatformaticRecordRejected(null)).toBe(false);
    expect(isPlatformaticRecordRejected('MESSAGE_TOO_LARGE')).toBe(false);
  });

  it('a rejection mixed with a temporary failure is temporary: resent until only the rejection is left', () => {
    // One broker rejected a partition's records, another broker was down.
    const mixed = sendFailed(produceResponse([10]), new NetworkError('Connection closed.'));
    expect(isPlatformaticRecordRejected(mixed)).toBe(false);
    // One response: one partition too large, another without enough replicas.
    expect(isPlatformaticRecordRejected(sendFailed(produceResponse([10, 19])))).toBe(false);
    // Two brokers both rejecting records: a rejection.
    expect(isPlatformaticRecordRejected(sendFailed(produceResponse([10]), produceResponse([87])))).toBe(true);
  });
});

describe('describePlatformaticError', () => {
  it('names the broker error ids and network causes inside the tree, each once', () => {
    const refused = new NetworkError('Connection to 127.0.0.1:29094 failed.', {
      cause: new Error('connect ECONNREFUSED 127.0.0.1:29094'),
    });
    const err = sendFailed(produceResponse([19, 19, 6]), refused);
    expect(describePlatformaticError(err)).toBe(
      'Producing messages failed. NOT_ENOUGH_REPLICAS; NOT_LEADER_OR_FOLLOWER; Connection to 127.0.0.1:29094 failed. (connect ECONNREFUSED 127.0.0.1:29094)',
    );
    expect(describePlatformaticError(new Error('plain'))).toBe('plain');
  });

  it('the producer wraps a failed send with that message and still classifies it', () => {
    const pf = new PlatformaticRecordProducer(options);
    const rejected = new PlatformaticSendError(sendFailed(produceResponse([10])));
    expect(rejected.message).toBe('Producing messages failed. MESSAGE_TOO_LARGE');
    expect(pf.isRecordRejected(rejected)).toBe(true);
    expect(pf.isRecordRejected(new PlatformaticSendError(sendFailed(produceResponse([19]))))).toBe(false);
  });
});

describe('isKafkajsRecordRejected', () => {
  it('the broker rejecting the records is permanent, also under kafkajs retry wrapper', () => {
    const tooLarge = kafkajsProtocolError('MESSAGE_TOO_LARGE');
    expect(isKafkajsRecordRejected(tooLarge)).toBe(true);
    expect(
      isKafkajsRecordRejected(new KafkaJSNumberOfRetriesExceeded(tooLarge, { retryCount: 0, retryTime: 0 })),
    ).toBe(true);
  });

  it('no leader, too few replicas, broker down and timeouts are temporary', () => {
    for (const type of ['NOT_LEADER_FOR_PARTITION', 'NOT_ENOUGH_REPLICAS', 'REQUEST_TIMED_OUT'])
      expect(isKafkajsRecordRejected(kafkajsProtocolError(type))).toBe(false);
    expect(isKafkajsRecordRejected(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))).toBe(false);
    expect(isKafkajsRecordRejected(new KafkaJSRequestTimeoutError('Request Produce timed out'))).toBe(false);
    expect(isKafkajsRecordRejected(new Error('x'))).toBe(false);
  });
});

describe('RecordProducer implementations', () => {
  it('classify with their own client: each ignores the other client errors', () => {
    const pf = new PlatformaticRecordProducer(options);
    const kj = new KafkajsRecordProducer(options);
    const pfTooLarge = sendFailed(produceResponse([10]));
    const kjTooLarge = kafkajsProtocolError('MESSAGE_TOO_LARGE');
    expect([pf.client, pf.isRecordRejected(pfTooLarge), pf.isRecordRejected(kjTooLarge)]).toEqual([
      'platformatic',
      true,
      false,
    ]);
    expect([kj.client, kj.isRecordRejected(kjTooLarge), kj.isRecordRejected(pfTooLarge)]).toEqual([
      'kafkajs',
      true,
      false,
    ]);
  });

  it('platformatic: nothing listening is a temporary failure to connect and to send', async () => {
    const pf = new PlatformaticRecordProducer(options);
    const connectErr: unknown = await pf.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(connectErr).toBeInstanceOf(Error);
    expect(pf.isRecordRejected(connectErr)).toBe(false);
    const sendErr: unknown = await pf
      .send([{ topic: 't', messages: [{ key: Buffer.from('k'), value: Buffer.from('v') }] }])
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(sendErr).toBeInstanceOf(Error);
    expect(pf.isRecordRejected(sendErr)).toBe(false);
    await pf.disconnect();
  });
});
