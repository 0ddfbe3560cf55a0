import { classifyRegistryFailure } from '@iotpipe/runtime';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { loadSchemaText, type SensorReading } from '../schema/index.js';

export type DecodeErrorCode = 'NOT_AVRO' | 'UNKNOWN_SCHEMA' | 'UNDECODABLE' | 'INVALID_READING';

/** A record that is not a SensorReading we can store: permanent, it goes to the DLQ. */
export class RecordDecodeError extends Error {
  override readonly name = 'RecordDecodeError';
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type RawReading = Omit<SensorReading, 'timestamp'> & { timestamp: number };

/**
 * Confluent-framed Avro (magic byte 0, 4-byte schema id, body) -> SensorReading. The writer's
 * schema comes from the registry (cached there by id); records are resolved into our reader
 * schema so older and newer BACKWARD-compatible writers read as today's SensorReading. The
 * resolver is built once per writer schema id, not per record.
 */
export class ReadingDecoder {
  private readonly reader: avro.Type;
  private readonly resolvers = new Map<number, ReturnType<avro.Type['createResolver']> | null>();

  constructor(private readonly registry: SchemaRegistry) {
    this.reader = avro.Type.forSchema(JSON.parse(loadSchemaText('sensor_reading')) as avro.Schema);
  }

  /** Throws RecordDecodeError (permanent) or a registry error (temporary: classifyRegistryFailure). */
  async decode(value: Buffer | null): Promise<SensorReading> {
    if (!value || value.length < 6 || value[0] !== 0) {
      throw new RecordDecodeError(
        'NOT_AVRO',
        'not a Confluent-framed Avro record (magic byte 0 + schema id)',
      );
    }
    const id = value.readInt32BE(1);
    const resolver = await this.resolverFor(id);
    let raw: RawReading;
    try {
      const body = value.subarray(5);
      raw = (resolver ? this.reader.fromBuffer(body, resolver) : this.reader.fromBuffer(body)) as RawReading;
    } catch (err) {
      throw new RecordDecodeError('UNDECODABLE', `schema ${id}: ${firstLine(err)}`);
    }
    return toReading(raw);
  }

  private async resolverFor(id: number): Promise<ReturnType<avro.Type['createResolver']> | null> {
    const known = this.resolvers.get(id);
    if (known !== undefined) return known;
    let writer: avro.Type;
    try {
      writer = (await this.registry.getSchema(id)) as unknown as avro.Type;
    } catch (err) {
      if (classifyRegistryFailure(err) === 'temporary') throw err;
      throw new RecordDecodeError('UNKNOWN_SCHEMA', `schema id ${id}: ${firstLine(err)}`);
    }
    let resolver: ReturnType<avro.Type['createResolver']> | null;
    try {
      resolver = writer.equals(this.reader) ? null : this.reader.createResolver(writer);
    } catch (err) {
      throw new RecordDecodeError(
        'UNKNOWN_SCHEMA',
        `schema id ${id} is not a readable SensorReading: ${firstLine(err)}`,
      );
    }
    this.resolvers.set(id, resolver);
    return resolver;
  }
}

/** Turns the Avro datum into a SensorReading, rejecting what Avro allows but a reading cannot be. */
export function toReading(raw: RawReading): SensorReading {
  const timestamp = new Date(raw.timestamp);
  if (!Number.isFinite(timestamp.getTime())) {
    throw new RecordDecodeError('INVALID_READING', `timestamp ${raw.timestamp} is not a valid time`);
  }
  return { ...raw, timestamp };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}
