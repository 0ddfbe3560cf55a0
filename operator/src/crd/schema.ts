/**
 * A small builder for structural OpenAPI v3 schemas (the dialect of CustomResourceDefinitions)
 * that infers the TypeScript type of each schema. The IoTPipeline's TS types and its CRD's
 * OpenAPI schema therefore come from one definition and cannot drift apart.
 *
 * Presence of a field, as the operator sees an object read back from the API server:
 * - 'required': the API server rejects objects without it;
 * - 'defaulted': the API server fills in its default, so it is always present when read back;
 * - 'optional': may be absent.
 */

export interface ValidationRule {
  readonly rule: string;
  readonly message: string;
  /** JSONPath (relative to the node holding the rule) of the field the message is about. */
  readonly fieldPath?: string;
  readonly reason?:
    'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema;
  enum?: readonly string[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: ValidationRule[];
}

export type Presence = 'required' | 'defaulted' | 'optional';

declare const valueType: unique symbol;

/** One schema node; T is the TypeScript type of its values, P its presence in its parent. */
export class Field<T, P extends Presence = 'optional'> {
  declare readonly [valueType]?: T;

  constructor(
    readonly schema: JsonSchema,
    readonly presence: P,
  ) {}

  required(): Field<T, 'required'> {
    return new Field<T, 'required'>(this.schema, 'required');
  }

  /** The API server fills `value` in when the field is absent. */
  default(value: T): Field<T, 'defaulted'> {
    return new Field<T, 'defaulted'>({ ...this.schema, default: value }, 'defaulted');
  }

  /** For objects whose fields all have defaults: absent becomes {} and then its fields' defaults. */
  defaultEmpty(): Field<T, 'defaulted'> {
    return new Field<T, 'defaulted'>({ ...this.schema, default: {} }, 'defaulted');
  }

  describe(description: string): Field<T, P> {
    return new Field<T, P>({ ...this.schema, description }, this.presence);
  }

  /** CEL rules (x-kubernetes-validations), evaluated by the API server with `self` = this node. */
  validate(...rules: ValidationRule[]): Field<T, P> {
    const existing = this.schema['x-kubernetes-validations'] ?? [];
    return new Field<T, P>(
      { ...this.schema, 'x-kubernetes-validations': [...existing, ...rules] },
      this.presence,
    );
  }
}

export type TypeOf<F> = F extends Field<infer T, Presence> ? T : never;

type Shape = Record<string, Field<unknown, Presence>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type PresentKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends Field<unknown, 'optional'> ? never : K;
}[keyof S];
type OptionalKeys<S extends Shape> = Exclude<keyof S, PresentKeys<S>>;
export type ObjectOf<S extends Shape> = Simplify<
  { [K in PresentKeys<S>]: TypeOf<S[K]> } & { [K in OptionalKeys<S>]?: TypeOf<S[K]> }
>;

interface StringOptions {
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  format?: string;
}

export function string(options: StringOptions = {}): Field<string> {
  return new Field({ type: 'string', ...options }, 'optional');
}

export function oneOf<const V extends readonly string[]>(values: V): Field<V[number]> {
  return new Field({ type: 'string', enum: values }, 'optional');
}

export function integer(options: { minimum?: number; maximum?: number; format?: 'int32' | 'int64' } = {}) {
  return new Field<number>({ type: 'integer', ...options }, 'optional');
}

export function number(options: { minimum?: number; maximum?: number } = {}): Field<number> {
  return new Field({ type: 'number', ...options }, 'optional');
}

export function boolean(): Field<boolean> {
  return new Field({ type: 'boolean' }, 'optional');
}

/** A Kubernetes quantity or port: integer or string. */
export function intOrString(): Field<number | string> {
  return new Field({ 'x-kubernetes-int-or-string': true }, 'optional');
}

export function list<T>(
  item: Field<T, Presence>,
  options: { minItems?: number; maxItems?: number; listType?: 'atomic' | 'set' } = {},
): Field<T[]> {
  const { listType, ...rest } = options;
  return new Field<T[]>(
    {
      type: 'array',
      items: item.schema,
      ...rest,
      ...(listType ? { 'x-kubernetes-list-type': listType } : {}),
    },
    'optional',
  );
}

/** A list of objects merged by `keys` (x-kubernetes-list-type: map), e.g. conditions by type. */
export function listMap<T>(item: Field<T, Presence>, keys: string[], maxItems?: number): Field<T[]> {
  return new Field<T[]>(
    {
      type: 'array',
      items: item.schema,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': keys,
      ...(maxItems === undefined ? {} : { maxItems }),
    },
    'optional',
  );
}

export function map<T>(value: Field<T, Presence>, options: { maxProperties?: number } = {}) {
  return new Field<Record<string, T>>(
    { type: 'object', additionalProperties: value.schema, ...options },
    'optional',
  );
}

export function object<S extends Shape>(shape: S): Field<ObjectOf<S>> {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [key, field] of Object.entries(shape)) {
    properties[key] = field.schema;
    if (field.presence === 'required') required.push(key);
  }
  return new Field<ObjectOf<S>>(
    { type: 'object', properties, ...(required.length > 0 ? { required } : {}) },
    'optional',
  );
}

/**
 * Fills in defaults the way the API server does (structural defaulting: an absent field with a
 * default gets it, then defaulting recurses into objects and list items). For unit tests and
 * for values that did not come from the API server.
 */
export function applyDefaults(schema: JsonSchema, value: unknown): unknown {
  if (value === undefined) {
    if (schema.default === undefined) return undefined;
    value = structuredClone(schema.default);
  }
  if (Array.isArray(value)) {
    const items = schema.items;
    return items ? value.map((v: unknown) => applyDefaults(items, v)) : value;
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      const filled = applyDefaults(child, out[key]);
      if (filled !== undefined) out[key] = filled;
    }
    const additional = schema.additionalProperties;
    if (additional) {
      for (const key of Object.keys(out)) out[key] = applyDefaults(additional, out[key]);
    }
    return out;
  }
  return value;
}
