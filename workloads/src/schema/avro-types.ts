import avro from 'avsc';

/** Avro `timestamp-millis` as a JS Date, both ways; plain numbers are accepted when writing. */
class TimestampMillis extends avro.types.LogicalType {
  override _fromValue(value: unknown): Date {
    return new Date(Number(value));
  }
  override _toValue(value: unknown): unknown {
    return value instanceof Date ? value.getTime() : value;
  }
  override _resolve(type: avro.Type): ((v: unknown) => unknown) | undefined {
    if (avro.Type.isType(type, 'long', 'int', 'logical:timestamp-millis')) return (v) => v;
    return undefined;
  }
}

/** The logical types our records use, for avsc's Type.forSchema and the registry client. */
export const AVRO_LOGICAL_TYPES: Readonly<Record<string, typeof TimestampMillis>> = {
  'timestamp-millis': TimestampMillis,
};

/**
 * avsc options for our records. avsc stores the named types it builds in `opts.registry`, so
 * every Type.forSchema call must get its own copy (`{ ...AVRO_OPTIONS }`), or the second schema
 * with the same record name fails as a duplicate.
 */
export const AVRO_OPTIONS: Readonly<{ logicalTypes: Record<string, typeof TimestampMillis> }> = {
  logicalTypes: AVRO_LOGICAL_TYPES,
};
