import { classifyRegistryFailure } from '@iotpipe/runtime';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { loadAlertSchemaText, type Alert } from '../schema/alert.js';
import { AVRO_OPTIONS } from '../schema/avro-types.js';
import { loadSchemaText, type SensorReading } from '../schema/index.js';

export { AVRO_OPTIONS };

/** A record that is not a SensorReading we can read: permanent, the record is skipped and counted. */
export class ReadingDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReadingDecodeError';
  }
}

/** The registry-backed Avro codecs the processor uses: readings in, alerts out. */
export class ProcessorCodec {
  readonly registry: SchemaRegistry;
  private readonly readerType = avro.Type.forSchema(
    JSON.parse(loadSchemaText('sensor_reading')) as avro.Schema,
    { ...AVRO_OPTIONS },
  );
  /** Writer schema id -> resolver into readerType; bounded by the schemas the topic has seen. */
  private readonly resolvers = new Map<number, avro.Resolver>();
  private alertSchemaId?: number;

  constructor(registryUrl: string) {
    this.registry = new SchemaRegistry(
      { host: registryUrl, retry: { retries: 2, initialRetryTimeInSecs: 0.3, maxRetryTimeInSecs: 3 } },
      { [SchemaType.AVRO]: { ...AVRO_OPTIONS } },
    );
  }

  /** Registers alert.avsc under `<alertsTopic>-value` (idempotent: same schema, same id). */
  async registerAlertSchema(alertsTopic: string): Promise<number> {
    const { id } = await this.registry.register(
      { type: SchemaType.AVRO, schema: loadAlertSchemaText() },
      { subject: `${alertsTopic}-value` },
    );
    this.alertSchemaId = id;
    return id;
  }

  /**
   * Decodes with the writer's schema from the registry, resolved into our reader schema so older
   * and newer (BACKWARD-compatible) writers both read as today's SensorReading. The reader type
   * and one resolver per writer schema id are built once (the registry client would rebuild both
   * on every record). Registry unreachable is temporary and is rethrown as is; bytes that are not
   * a reading are a ReadingDecodeError.
   */
  async decodeReading(value: Buffer | null): Promise<SensorReading> {
    if (!value || value.length < 5 || value[0] !== 0) {
      throw new ReadingDecodeError('not a Confluent-framed Avro record (magic byte 0 + schema id)');
    }
    const id = value.readInt32BE(1);
    let resolver = this.resolvers.get(id);
    if (!resolver) {
      let writer: avro.Type;
      try {
        writer = (await this.registry.getSchema(id)) as unknown as avro.Type;
      } catch (err) {
        if (classifyRegistryFailure(err) === 'temporary') throw err;
        throw new ReadingDecodeError(`schema id ${id}: ${(err as Error).message.split('\n')[0]}`);
      }
      try {
        resolver = this.readerType.createResolver(writer);
      } catch (err) {
        throw new ReadingDecodeError(
          `schema id ${id} is not readable as a SensorReading: ${(err as Error).message}`,
        );
      }
      this.resolvers.set(id, resolver);
    }
    try {
      const decoded = this.readerType.fromBuffer(value.subarray(5), resolver) as SensorReading;
      if (!(decoded.timestamp instanceof Date)) decoded.timestamp = new Date(Number(decoded.timestamp));
      return decoded;
    } catch (err) {
      throw new ReadingDecodeError(`undecodable SensorReading: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  async encodeAlert(alert: Alert): Promise<Buffer> {
    if (this.alertSchemaId === undefined) throw new Error('registerAlertSchema() was not called');
    return this.registry.encode(this.alertSchemaId, alert);
  }
}
