/**
 * A small builder for structural OpenAPI v3 schemas (the dialect of CustomResourceDefinitions)
 * that infers the TypeScript type of each schema. The IoTPipeline's TS types and its CRD's
 * OpenAPI schema therefore come from one definition and cannot drift apart.
 *
 * Presence of a field, as the operator sees an object read back from the API server:
 * - 'required': the API server rejects objects without it;
 * - 'defaulted': the API server fills in its default, so it is always present when read back;
 * - 'optional': may be absent.
 *
 * One message per mistake. The API server checks the OpenAPI keywords first; when one of them
 * fails with what it calls a blocking error (a missing `required` field, a value outside an
 * `enum`, a string over `maxLength`, a list over `maxItems`, a map over `maxProperties`, a value
 * of the wrong type) it skips every CEL rule and adds a second, field-less line, "<nil>: some
 * validation rules were not checked because the object was invalid"
 * (apiextensions-apiserver, pkg/registry/customresource/strategy.go, hasBlockingErr). So this
 * builder states required fields, allowed values and upper bounds as CEL rules, each naming its
 * field: the API server then reports every mistake once, with its path. Two exceptions, where the
 * OpenAPI keyword is needed: the type itself, and `costBound` (a `maxLength`/`maxItems` that CEL
 * needs to bound the cost of a rule that walks the value; the API server refuses the CRD without it).
 *
 * Unknown fields. The API server drops (prunes) fields a structural schema does not declare, and
 * only says so when the client asks (fieldValidation=Strict rejects, Warn warns, Ignore is
 * silent: `kubectl apply --validate=false` and many client libraries). To refuse a misspelt
 * field whatever the client asks, every object of the spec keeps unknown fields
 * (x-kubernetes-preserve-unknown-fields) only so that a CEL rule can see them and refuse them:
 * the object may hold no more fields than it declares. Nothing unknown is ever stored.
 *
 * Each node also has a `typing` schema: the same shape with OpenAPI's `required` and `enum` and
 * without CEL, for code generators (cdk8s import) that read types from OpenAPI keywords.
 */

/** CEL rule reasons the API server accepts (x-kubernetes-validations[].reason). */
export type RuleReason =
  'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';

export interface ValidationRule {
  readonly rule: string;
  readonly message: string;
  /** JSONPath (relative to the node holding the rule) of the field the message is about. */
  readonly fieldPath?: string;
  readonly reason?: RuleReason;
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
  'x-kubernetes-preserve-unknown-fields'?: true;
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
    /** What the API server gets (the CRD). */
    readonly schema: JsonSchema,
    readonly presence: P,
    /** The same shape for code generators: OpenAPI `required` and `enum`, no CEL. */
    readonly typing: JsonSchema = schema,
    /** For required fields: what the API server says when the field is missing. */
    readonly requiredMessage?: string,
  ) {}

  /** The field must be present; `message` says what it is for (default: "must be set"). */
  required(message = 'must be set'): Field<T, 'required'> {
    return new Field<T, 'required'>(this.schema, 'required', this.typing, message);
  }

  /** The API server fills `value` in when the field is absent. */
  default(value: T): Field<T, 'defaulted'> {
    return new Field<T, 'defaulted'>({ ...this.schema, default: value }, 'defaulted', {
      ...this.typing,
      default: value,
    });
  }

  /** For objects whose fields all have defaults: absent becomes {} and then its fields' defaults. */
  defaultEmpty(): Field<T, 'defaulted'> {
    return new Field<T, 'defaulted'>({ ...this.schema, default: {} }, 'defaulted', {
      ...this.typing,
      default: {},
    });
  }

  describe(description: string): Field<T, P> {
    return new Field<T, P>(
      { ...this.schema, description },
      this.presence,
      { ...this.typing, description },
      this.requiredMessage,
    );
  }

  /** CEL rules (x-kubernetes-validations), evaluated by the API server with `self` = this node. */
  validate(...rules: ValidationRule[]): Field<T, P> {
    return new Field<T, P>(withRules(this.schema, rules), this.presence, this.typing, this.requiredMessage);
  }
}

/** A node whose typing schema is its API-server schema without CEL rules. */
function node<T>(
  schema: JsonSchema,
  rules: readonly ValidationRule[] = [],
  typing: JsonSchema = schema,
): Field<T> {
  return new Field<T>(withRules(schema, rules), 'optional', typing);
}

function withRules(schema: JsonSchema, rules: readonly ValidationRule[]): JsonSchema {
  if (rules.length === 0) return schema;
  const existing = schema['x-kubernetes-validations'] ?? [];
  return { ...schema, 'x-kubernetes-validations': [...existing, ...rules] };
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
  /** Checked by a CEL rule (one message naming the field). */
  maxLength?: number;
  /** An OpenAPI maxLength, for strings a CEL rule walks (see the module comment). */
  costBound?: number;
  format?: string;
}

export function string(options: StringOptions = {}): Field<string> {
  const { maxLength, costBound, ...rest } = options;
  const schema: JsonSchema = {
    type: 'string',
    ...rest,
    ...(costBound === undefined ? {} : { maxLength: costBound }),
  };
  return node(
    schema,
    maxLength === undefined
      ? []
      : [{ rule: `size(self) <= ${maxLength}`, message: `must be at most ${maxLength} characters` }],
    maxLength === undefined ? schema : { ...schema, maxLength },
  );
}

/** A CEL list literal of strings. */
export function celStrings(values: readonly string[]): string {
  return `[${values.map((v) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;
}

/** One of `values`: checked by a CEL rule, whose message lists them (see the module comment). */
export function oneOf<const V extends readonly string[]>(values: V): Field<V[number]> {
  return node<V[number]>(
    { type: 'string' },
    [{ rule: `self in ${celStrings(values)}`, message: `must be one of ${values.join(', ')}` }],
    { type: 'string', enum: values },
  );
}

/** One of `values` as an OpenAPI enum: for what only the operator writes (the status). */
export function enumOf<const V extends readonly string[]>(values: V): Field<V[number]> {
  return node<V[number]>({ type: 'string', enum: values });
}

export function integer(options: { minimum?: number; maximum?: number; format?: 'int32' | 'int64' } = {}) {
  return node<number>({ type: 'integer', ...options });
}

export function number(options: { minimum?: number; maximum?: number } = {}): Field<number> {
  return node<number>({ type: 'number', ...options });
}

export function boolean(): Field<boolean> {
  return node<boolean>({ type: 'boolean' });
}

/** A Kubernetes quantity or port: integer or string. */
export function intOrString(): Field<number | string> {
  return node<number | string>({ 'x-kubernetes-int-or-string': true });
}

interface ListOptions {
  minItems?: number;
  /** Checked by a CEL rule (one message naming the field). */
  maxItems?: number;
  /** An OpenAPI maxItems, for lists a CEL rule walks (see the module comment). */
  costBound?: number;
  listType?: 'atomic' | 'set';
}

export function list<T>(item: Field<T, Presence>, options: ListOptions = {}): Field<T[]> {
  const { listType, maxItems, costBound, ...rest } = options;
  const common: JsonSchema = {
    type: 'array',
    ...rest,
    ...(costBound === undefined ? {} : { maxItems: costBound }),
    ...(listType ? { 'x-kubernetes-list-type': listType } : {}),
  };
  return node<T[]>(
    { ...common, items: item.schema },
    maxItems === undefined
      ? []
      : [{ rule: `size(self) <= ${maxItems}`, message: `must have at most ${maxItems} items` }],
    { ...common, items: item.typing, ...(maxItems === undefined ? {} : { maxItems }) },
  );
}

/** A list of objects merged by `keys` (x-kubernetes-list-type: map), e.g. conditions by type. */
export function listMap<T>(item: Field<T, Presence>, keys: string[], maxItems?: number): Field<T[]> {
  const common: JsonSchema = {
    type: 'array',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': keys,
    ...(maxItems === undefined ? {} : { maxItems }),
  };
  return node<T[]>({ ...common, items: item.schema }, [], { ...common, items: item.typing });
}

export function map<T>(value: Field<T, Presence>, options: { maxProperties?: number } = {}) {
  const { maxProperties } = options;
  return node<Record<string, T>>(
    { type: 'object', additionalProperties: value.schema },
    maxProperties === undefined
      ? []
      : [{ rule: `size(self) <= ${maxProperties}`, message: `must have at most ${maxProperties} entries` }],
    {
      type: 'object',
      additionalProperties: value.typing,
      ...(maxProperties === undefined ? {} : { maxProperties }),
    },
  );
}

/** A CEL expression that is true when `self` (an object of this shape) has field `key`. */
function has(key: string): string {
  return `has(self.${key})`;
}

/**
 * An object with the fields of `shape`. `strict` (the default, for what users write) refuses
 * fields the shape does not declare and states required fields as CEL rules (see the module
 * comment); `strict: false` (the status, which only the operator writes) lets the API server
 * prune unknown fields and uses OpenAPI's `required`.
 */
export function object<S extends Shape>(shape: S, options: { strict?: boolean } = {}): Field<ObjectOf<S>> {
  const strict = options.strict ?? true;
  const properties: Record<string, JsonSchema> = {};
  const typingProperties: Record<string, JsonSchema> = {};
  const rules: ValidationRule[] = [];
  const required: string[] = [];
  const allRequired: string[] = [];
  const keys = Object.keys(shape);
  for (const [key, field] of Object.entries(shape)) {
    properties[key] = field.schema;
    typingProperties[key] = field.typing;
    if (field.presence === 'required') allRequired.push(key);
    // What only the operator writes keeps OpenAPI's `required` (no CEL to skip, no noise).
    if (field.presence === 'required' && !strict) required.push(key);
    else if (field.presence === 'required') {
      rules.push({
        rule: has(key),
        message: field.requiredMessage ?? 'must be set',
        fieldPath: `.${key}`,
        reason: 'FieldValueRequired',
      });
    }
  }
  if (strict) {
    // size() of the object counts every field it holds, declared or not; the has() terms count
    // the declared ones.
    const declared = keys.map((k) => `(${has(k)} ? 1 : 0)`).join(' + ') || '0';
    rules.push({
      rule: `size(dyn(self)) == ${declared}`,
      message: `unknown field: the fields here are ${keys.join(', ')}`,
      reason: 'FieldValueForbidden',
    });
  }
  const schema: JsonSchema = {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...(strict ? { 'x-kubernetes-preserve-unknown-fields': true as const } : {}),
  };
  const typing: JsonSchema = {
    type: 'object',
    properties: typingProperties,
    ...(allRequired.length > 0 ? { required: allRequired } : {}),
  };
  return node<ObjectOf<S>>(schema, rules, typing);
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

/** Every rule in a schema with the path of the node holding it (for tests and docs). */
export function rulesOf(schema: JsonSchema, path = ''): Array<{ path: string; rule: ValidationRule }> {
  const here = (schema['x-kubernetes-validations'] ?? []).map((rule) => ({ path: path || '.', rule }));
  const below = [
    ...Object.entries(schema.properties ?? {}).flatMap(([k, s]) => rulesOf(s, `${path}.${k}`)),
    ...(schema.items ? rulesOf(schema.items, `${path}[*]`) : []),
    ...(schema.additionalProperties ? rulesOf(schema.additionalProperties, `${path}[*]`) : []),
  ];
  return [...here, ...below];
}
