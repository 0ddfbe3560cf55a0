import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';

/** Confluent wire format: magic byte 0, schema id (4 bytes big-endian), Avro binary. */
const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;
/** Tries at a subject whose compatibility level changes while we register (see register()). */
const MAX_LEVEL_ATTEMPTS = 4;

/** Thrown when a record does not match the schema: permanent, never worth a retry. */
export class SerializationError extends Error {
  override readonly name = 'SerializationError';
}

/**
 * Encodes records of one schema for one subject (`<topic>-value`). start() registers the schema
 * (BACKWARD compatibility on first registration; an existing identical version just returns its
 * id) and is the only call that touches the network; encode() is pure after that.
 */
export class AvroSerializer<T> {
  private readonly type: avro.Type;
  private schemaId: number | undefined;

  constructor(
    private readonly registry: SchemaRegistry,
    readonly subject: string,
    private readonly schemaText: string,
    /** Turns the TS value into what avsc expects (e.g. Date -> epoch millis). */
    private readonly toAvro: (value: T) => unknown,
  ) {
    this.type = avro.Type.forSchema(JSON.parse(schemaText) as avro.Schema);
  }

  static forUrl<T>(
    url: string,
    subject: string,
    schemaText: string,
    toAvro: (value: T) => unknown,
  ): AvroSerializer<T> {
    return new AvroSerializer<T>(new SchemaRegistry({ host: url }), subject, schemaText, toAvro);
  }

  get registered(): boolean {
    return this.schemaId !== undefined;
  }

  async start(): Promise<number> {
    if (this.schemaId !== undefined) return this.schemaId;
    try {
      return await this.register();
    } catch (err) {
      // Two stages registering a new subject at once (the adapter and the sink both write the
      // DLQ) both find no level and both set it; Apicurio answers the second with 409 "A rule
      // named 'COMPATIBILITY' already exists". The subject is there now: register again.
      const e = err as { status?: unknown; message?: unknown };
      if (e.status !== 409 || !/already exists/.test(String(e.message))) throw err;
      return this.register();
    }
  }

  private async register(): Promise<number> {
    const schema = { type: SchemaType.AVRO as const, schema: this.schemaText };
    // BACKWARD is only our default for a new subject, not a reason to refuse to start: when the
    // subject already has a level (set by its owner, the operator, a user) the client insists the
    // level it is given equals the subject's, and its message names it ("... (BACKWARD != NONE)").
    // Adopt that level and try again. The level can move once more under us: a subject reports
    // NONE between another stage's first registration and its setting the level, so a second
    // try may meet BACKWARD.
    let compatibility: COMPATIBILITY | undefined = COMPATIBILITY.BACKWARD;
    for (let attempt = 1; ; attempt++) {
      try {
        const opts = compatibility ? { subject: this.subject, compatibility } : { subject: this.subject };
        const { id } = await this.registry.register(schema, opts);
        this.schemaId = id;
        return id;
      } catch (err) {
        if (
          (err as Error).name !== 'ConfluentSchemaRegistryCompatibilityError' ||
          attempt >= MAX_LEVEL_ATTEMPTS
        )
          throw err;
        const level = /!= ([A-Z_]+)\)/.exec((err as Error).message)?.[1];
        compatibility = (Object.values(COMPATIBILITY) as string[]).includes(level ?? '')
          ? (level as COMPATIBILITY)
          : undefined;
      }
    }
  }

  encode(value: T): Buffer {
    if (this.schemaId === undefined)
      throw new Error(`schema for ${this.subject} not registered: call start() first`);
    const datum = this.toAvro(value);
    const problems: string[] = [];
    if (!this.type.isValid(datum, { errorHook: (path) => problems.push(path.join('.')) })) {
      throw new SerializationError(
        `record does not match ${this.subject}: ${problems.slice(0, 3).join(', ')}`,
      );
    }
    const body = this.type.toBuffer(datum);
    const out = Buffer.alloc(HEADER_BYTES + body.length);
    out.writeUInt8(MAGIC_BYTE, 0);
    out.writeInt32BE(this.schemaId, 1);
    body.copy(out, HEADER_BYTES);
    return out;
  }
}
