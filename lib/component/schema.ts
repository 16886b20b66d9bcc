/**
 * WIT types as JSON Schema 2020-12, for MCP tool input and output schemas. Every rule here has its
 * twin in values.ts, which converts JSON to and from the values jco's glue takes and returns: the
 * schema promises exactly what the conversion accepts and produces.
 *
 *   bool → boolean · s8…u32 → integer with bounds · s64/u64 → integer, or a decimal string beyond
 *   2^53 · f32/f64 → number, or "NaN"/"Infinity"/"-Infinity" · char → one code point · list<u8> →
 *   base64 string · list → array · tuple → fixed array · record → closed object (option fields may
 *   be left out) · option<T> → T or null, with {"some": …} for the inner level of a nested option ·
 *   variant → {tag, val} · enum → string · flags → array of unique names · result (inside a value)
 *   → {"ok": …} or {"err": …} · own/borrow → a handle string.
 */
import type { WitFunction, WitType } from './wit-model.js';

export type JsonSchema = Record<string, unknown>;

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** Each integer type's bounds; 64-bit ones as decimal strings (beyond a double's exact range). */
export const INTEGER_BOUNDS: Record<string, [number | string, number | string]> = {
  s8: [-128, 127],
  u8: [0, 255],
  s16: [-32768, 32767],
  u16: [0, 65535],
  s32: [-2147483648, 2147483647],
  u32: [0, 4294967295],
  s64: ['-9223372036854775808', '9223372036854775807'],
  u64: ['0', '18446744073709551615'],
};

/** Standard base64 with padding, as the conversion accepts it. */
export const BASE64_PATTERN = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';

export const NON_FINITE = ['NaN', 'Infinity', '-Infinity'] as const;

/** Whether JSON `null` is one of this type's values (then an enclosing option needs {"some": …}). */
export function admitsNull(type: WitType): boolean {
  return type.kind === 'option';
}

/** Types that no JSON value can carry; a function using one is not offered as a tool. */
export function unsupportedIn(type: WitType): string | undefined {
  switch (type.kind) {
    case 'future':
    case 'stream':
    case 'error-context':
      return type.kind;
    case 'list':
      return unsupportedIn(type.element);
    case 'option':
      return unsupportedIn(type.type);
    case 'tuple':
      return type.types.map(unsupportedIn).find(Boolean);
    case 'record':
      return type.fields.map((f) => unsupportedIn(f.type)).find(Boolean);
    case 'variant':
      return type.cases.map((c) => (c.type ? unsupportedIn(c.type) : undefined)).find(Boolean);
    case 'result':
      return (type.ok && unsupportedIn(type.ok)) || (type.err && unsupportedIn(type.err)) || undefined;
    default:
      return undefined;
  }
}

/** True when a resource handle (own or borrow) appears anywhere in the type. */
export function usesHandles(type: WitType): boolean {
  switch (type.kind) {
    case 'own':
    case 'borrow':
      return true;
    case 'list':
      return usesHandles(type.element);
    case 'option':
      return usesHandles(type.type);
    case 'tuple':
      return type.types.some(usesHandles);
    case 'record':
      return type.fields.some((f) => usesHandles(f.type));
    case 'variant':
      return type.cases.some((c) => c.type !== undefined && usesHandles(c.type));
    case 'result':
      return (
        (type.ok !== undefined && usesHandles(type.ok)) || (type.err !== undefined && usesHandles(type.err))
      );
    default:
      return false;
  }
}

/** True when a function takes or returns a resource handle anywhere in its types. */
export function functionUsesHandles(fn: WitFunction): boolean {
  return fn.params.some((p) => usesHandles(p.type)) || (fn.result !== undefined && usesHandles(fn.result));
}

export function schemaOf(type: WitType): JsonSchema {
  switch (type.kind) {
    case 'bool':
      return { type: 'boolean' };
    case 's8':
    case 'u8':
    case 's16':
    case 'u16':
    case 's32':
    case 'u32': {
      const [minimum, maximum] = INTEGER_BOUNDS[type.kind]!;
      return { type: 'integer', minimum, maximum };
    }
    case 's64':
    case 'u64': {
      const [min, max] = INTEGER_BOUNDS[type.kind]! as [string, string];
      return {
        description: `${type.kind}: an integer from ${min} to ${max}; beyond ±2^53 write it as a decimal string`,
        anyOf: [
          { type: 'integer', minimum: Number(min), maximum: Number(max) },
          { type: 'string', pattern: type.kind === 'u64' ? '^[0-9]{1,20}$' : '^-?[0-9]{1,19}$' },
        ],
      };
    }
    case 'f32':
    case 'f64':
      return { anyOf: [{ type: 'number' }, { enum: [...NON_FINITE] }] };
    case 'char':
      return { type: 'string', minLength: 1, maxLength: 1, description: 'exactly one Unicode scalar value' };
    case 'string':
      return { type: 'string' };
    case 'list':
      if (type.element.kind === 'u8') {
        return { type: 'string', contentEncoding: 'base64', pattern: BASE64_PATTERN };
      }
      return { type: 'array', items: schemaOf(type.element) };
    case 'tuple':
      return {
        type: 'array',
        prefixItems: type.types.map(schemaOf),
        items: false,
        minItems: type.types.length,
        maxItems: type.types.length,
      };
    case 'record':
      return named(type.name, {
        type: 'object',
        properties: Object.fromEntries(type.fields.map((f) => [f.name, schemaOf(f.type)])),
        required: type.fields.filter((f) => f.type.kind !== 'option').map((f) => f.name),
        additionalProperties: false,
      });
    case 'variant':
      return named(type.name, {
        oneOf: type.cases.map((c) => ({
          type: 'object',
          properties: { tag: { const: c.name }, ...(c.type ? { val: schemaOf(c.type) } : {}) },
          required: c.type ? ['tag', 'val'] : ['tag'],
          additionalProperties: false,
        })),
      });
    case 'enum':
      return named(type.name, { type: 'string', enum: [...type.cases] });
    case 'flags':
      return named(type.name, {
        type: 'array',
        items: { type: 'string', enum: [...type.flags] },
        uniqueItems: true,
      });
    case 'option': {
      const inner = schemaOf(type.type);
      if (admitsNull(type.type)) {
        return {
          anyOf: [
            { type: 'object', properties: { some: inner }, required: ['some'], additionalProperties: false },
            { type: 'null' },
          ],
        };
      }
      return { anyOf: [inner, { type: 'null' }] };
    }
    case 'result':
      return {
        oneOf: [caseObject('ok', type.ok), caseObject('err', type.err)],
      };
    case 'own':
    case 'borrow':
      return {
        type: 'string',
        description: `a handle to a ${type.resource} resource, as a tool returned it`,
      };
    case 'future':
    case 'stream':
    case 'error-context':
      throw new Error(`${type.kind} has no JSON form`);
  }
}

function caseObject(name: 'ok' | 'err', type: WitType | undefined): JsonSchema {
  return {
    type: 'object',
    properties: { [name]: type ? schemaOf(type) : { type: 'null' } },
    required: [name],
    additionalProperties: false,
  };
}

function named(name: string | undefined, schema: JsonSchema): JsonSchema {
  return name ? { title: name, ...schema } : schema;
}

/** The input schema of a tool: an object keyed by the WIT parameter names, all required. */
export function inputSchemaOf(fn: WitFunction): JsonSchema {
  return { $schema: JSON_SCHEMA_DIALECT, ...schemaOf({ kind: 'record', fields: fn.params }) };
}

/**
 * The output schema: `{result: …}`. A function returning result<T, E> answers `{result: T}` on ok
 * and, in an isError result, `{error: E}` on err; clients check structured errors against the
 * schema too, so both shapes are in it. A function with no result has no output schema.
 */
export function outputSchemaOf(fn: WitFunction): JsonSchema | undefined {
  if (!fn.result) return undefined;
  const valueOf = (type: WitType | undefined): JsonSchema => (type ? schemaOf(type) : { type: 'null' });
  if (fn.result.kind !== 'result') {
    return {
      $schema: JSON_SCHEMA_DIALECT,
      type: 'object',
      properties: { result: schemaOf(fn.result) },
      required: ['result'],
      additionalProperties: false,
    };
  }
  return {
    $schema: JSON_SCHEMA_DIALECT,
    type: 'object',
    properties: { result: valueOf(fn.result.ok), error: valueOf(fn.result.err) },
    oneOf: [
      { properties: { result: valueOf(fn.result.ok) }, required: ['result'] },
      { properties: { error: valueOf(fn.result.err) }, required: ['error'] },
    ],
    additionalProperties: false,
  };
}
