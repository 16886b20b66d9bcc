/**
 * JSON values to and from the JavaScript values of jco's glue, following the WIT type: the twin of
 * schema.ts. `toGuest` checks everything the schema cannot say (a char is one scalar value, base64
 * is well formed, a 64-bit string is in range) and names the JSON path of any value it refuses.
 */
import { ComponentError } from '../core/index.js';
import { bytesToBase64, floatToJson, int64ToJson } from './json-value.js';
import { admitsNull, BASE64_PATTERN, INTEGER_BOUNDS } from './schema.js';
import type { WitFunction, WitType } from './wit-model.js';

/**
 * Where resource handles live: what the runtime passes for a resource on one side, opaque strings
 * on the other. `owned` says the guest takes the resource (an own<R> parameter): the handle is
 * used up.
 */
export interface HandleTable {
  toHandle(resource: string, value: unknown): string;
  fromHandle(resource: string, handle: string, path: string, owned: boolean): unknown;
}

const TYPED_ARRAYS: Partial<
  Record<WitType['kind'], new (values: ArrayLike<number> & ArrayLike<bigint>) => unknown>
> = {
  s8: Int8Array as never,
  u16: Uint16Array as never,
  s16: Int16Array as never,
  u32: Uint32Array as never,
  s32: Int32Array as never,
  u64: BigUint64Array as never,
  s64: BigInt64Array as never,
  f32: Float32Array as never,
  f64: Float64Array as never,
};

const INT_RANGES: Record<string, [bigint, bigint]> = Object.fromEntries(
  Object.entries(INTEGER_BOUNDS).map(([kind, [min, max]]) => [kind, [BigInt(min), BigInt(max)]]),
);

const BASE64 = new RegExp(BASE64_PATTERN);

/** jco's names for record fields and flags: `a-u8` → `aU8`, `read-file` → `readFile`. */
function camelCase(name: string): string {
  return name.replace(/-([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function invalidValue(path: string, message: string): ComponentError {
  return new ComponentError('INVALID_ARGUMENT', `${path || '/'}: ${message}`, { details: { path } });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function integer(kind: string, value: unknown, path: string): bigint {
  let n: bigint;
  if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && (kind === 's64' || kind === 'u64') && /^-?[0-9]+$/.test(value))
    n = BigInt(value);
  else
    throw invalidValue(
      path,
      `expected ${kind === 's64' || kind === 'u64' ? 'an integer or a decimal string' : 'an integer'} (${kind}), found ${describe(value)}`,
    );
  const [min, max] = INT_RANGES[kind]!;
  if (n < min || n > max) throw invalidValue(path, `expected ${kind} from ${min} to ${max}, found ${n}`);
  return n;
}

function float(value: unknown, path: string, kind: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  throw invalidValue(
    path,
    `expected a number or one of "NaN", "Infinity", "-Infinity" (${kind}), found ${describe(value)}`,
  );
}

function object(value: unknown, path: string, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidValue(path, `expected ${what}, found ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
  const extra = Object.keys(value).find((k) => !allowed.includes(k));
  if (extra !== undefined)
    throw invalidValue(
      `${path}/${extra}`,
      `unexpected property; expected only ${allowed.join(', ') || 'none'}`,
    );
}

/** JSON → the value jco's glue lowers into the guest. */
export function toGuest(type: WitType, value: unknown, path = '', handles?: HandleTable): unknown {
  switch (type.kind) {
    case 'bool':
      if (typeof value !== 'boolean')
        throw invalidValue(path, `expected a boolean, found ${describe(value)}`);
      return value;
    case 's8':
    case 'u8':
    case 's16':
    case 'u16':
    case 's32':
    case 'u32':
      return Number(integer(type.kind, value, path));
    case 's64':
    case 'u64':
      return integer(type.kind, value, path);
    case 'f32':
    case 'f64':
      return float(value, path, type.kind);
    case 'char': {
      if (typeof value !== 'string')
        throw invalidValue(path, `expected a one-character string, found ${describe(value)}`);
      const points = [...value];
      const code = points[0]?.codePointAt(0);
      if (points.length !== 1 || code === undefined || (code >= 0xd800 && code <= 0xdfff)) {
        throw invalidValue(path, `expected exactly one Unicode scalar value, found ${describe(value)}`);
      }
      return value;
    }
    case 'string':
      if (typeof value !== 'string') throw invalidValue(path, `expected a string, found ${describe(value)}`);
      return value;
    case 'list': {
      if (type.element.kind === 'u8') {
        if (typeof value !== 'string' || !BASE64.test(value)) {
          throw invalidValue(path, `expected base64 bytes (list<u8>), found ${describe(value)}`);
        }
        return new Uint8Array(Buffer.from(value, 'base64'));
      }
      if (!Array.isArray(value)) throw invalidValue(path, `expected an array, found ${describe(value)}`);
      const items = value.map((item, i) => toGuest(type.element, item, `${path}/${i}`, handles));
      const typed = TYPED_ARRAYS[type.element.kind];
      return typed ? new typed(items as never) : items;
    }
    case 'tuple': {
      if (!Array.isArray(value) || value.length !== type.types.length) {
        throw invalidValue(
          path,
          `expected an array of exactly ${type.types.length} items, found ${describe(value)}${Array.isArray(value) ? ` of ${value.length}` : ''}`,
        );
      }
      return type.types.map((t, i) => toGuest(t, value[i], `${path}/${i}`, handles));
    }
    case 'record': {
      const record = object(value, path, `an object (${type.name ?? 'record'})`);
      onlyKeys(
        record,
        type.fields.map((f) => f.name),
        path,
      );
      const out: Record<string, unknown> = {};
      for (const field of type.fields) {
        const present = Object.hasOwn(record, field.name);
        if (!present && field.type.kind !== 'option')
          throw invalidValue(`${path}/${field.name}`, 'required property is missing');
        out[camelCase(field.name)] = toGuest(
          field.type,
          present ? record[field.name] : null,
          `${path}/${field.name}`,
          handles,
        );
      }
      return out;
    }
    case 'variant': {
      const tagged = object(value, path, `an object {tag, val} (${type.name ?? 'variant'})`);
      const match = type.cases.find((c) => c.name === tagged.tag);
      if (!match) {
        throw invalidValue(
          `${path}/tag`,
          `expected one of ${type.cases.map((c) => JSON.stringify(c.name)).join(', ')}, found ${describe(tagged.tag)}`,
        );
      }
      onlyKeys(tagged, match.type ? ['tag', 'val'] : ['tag'], path);
      if (!match.type) return { tag: match.name };
      if (!Object.hasOwn(tagged, 'val'))
        throw invalidValue(`${path}/val`, `the case ${match.name} needs a value`);
      return { tag: match.name, val: toGuest(match.type, tagged.val, `${path}/val`, handles) };
    }
    case 'enum':
      if (typeof value !== 'string' || !type.cases.includes(value)) {
        throw invalidValue(
          path,
          `expected one of ${type.cases.map((c) => JSON.stringify(c)).join(', ')}, found ${describe(value)}`,
        );
      }
      return value;
    case 'flags': {
      if (!Array.isArray(value))
        throw invalidValue(path, `expected an array of flag names, found ${describe(value)}`);
      const out: Record<string, boolean> = Object.fromEntries(type.flags.map((f) => [camelCase(f), false]));
      value.forEach((flag, i) => {
        if (typeof flag !== 'string' || !type.flags.includes(flag)) {
          throw invalidValue(
            `${path}/${i}`,
            `expected one of ${type.flags.map((f) => JSON.stringify(f)).join(', ')}, found ${describe(flag)}`,
          );
        }
        if (out[camelCase(flag)]) throw invalidValue(`${path}/${i}`, `the flag ${flag} is listed twice`);
        out[camelCase(flag)] = true;
      });
      return out;
    }
    case 'option': {
      if (value === null || value === undefined) return admitsNull(type.type) ? { tag: 'none' } : undefined;
      if (admitsNull(type.type)) {
        const some = object(value, path, 'null or {"some": …}');
        onlyKeys(some, ['some'], path);
        if (!Object.hasOwn(some, 'some')) throw invalidValue(`${path}/some`, 'required property is missing');
        return { tag: 'some', val: toGuest(type.type, some.some, `${path}/some`, handles) };
      }
      return toGuest(type.type, value, path, handles);
    }
    case 'result': {
      const result = object(value, path, '{"ok": …} or {"err": …}');
      const key = Object.hasOwn(result, 'ok') ? 'ok' : Object.hasOwn(result, 'err') ? 'err' : undefined;
      if (!key) throw invalidValue(path, 'expected {"ok": …} or {"err": …}');
      onlyKeys(result, [key], path);
      const inner = key === 'ok' ? type.ok : type.err;
      if (!inner && result[key] !== null)
        throw invalidValue(`${path}/${key}`, `expected null, found ${describe(result[key])}`);
      return { tag: key, val: inner ? toGuest(inner, result[key], `${path}/${key}`, handles) : undefined };
    }
    case 'own':
    case 'borrow':
      if (typeof value !== 'string')
        throw invalidValue(path, `expected a ${type.resource} handle, found ${describe(value)}`);
      if (!handles) throw invalidValue(path, `${type.resource} handles are not available here`);
      return handles.fromHandle(type.resource, value, path, type.kind === 'own');
    case 'future':
    case 'stream':
    case 'error-context':
      throw invalidValue(path, `${type.kind} values cannot be passed as JSON`);
  }
}

/** The value jco's glue lifted out of the guest → JSON. */
export function fromGuest(type: WitType, value: unknown, handles?: HandleTable): unknown {
  switch (type.kind) {
    case 'bool':
    case 'char':
    case 'string':
    case 'enum':
    case 's8':
    case 'u8':
    case 's16':
    case 'u16':
    case 's32':
    case 'u32':
      return value;
    case 's64':
    case 'u64':
      return int64ToJson(BigInt(value as bigint));
    case 'f32':
    case 'f64':
      return floatToJson(value as number);
    case 'list': {
      if (type.element.kind === 'u8') return bytesToBase64(value as Uint8Array);
      return Array.from(value as ArrayLike<unknown>, (item) => fromGuest(type.element, item, handles));
    }
    case 'tuple':
      return type.types.map((t, i) => fromGuest(t, (value as unknown[])[i], handles));
    case 'record': {
      const record = value as Record<string, unknown>;
      return Object.fromEntries(
        type.fields.map((f) => [f.name, fromGuest(f.type, record[camelCase(f.name)], handles)]),
      );
    }
    case 'variant': {
      const tagged = value as { tag: string; val?: unknown };
      const match = type.cases.find((c) => c.name === tagged.tag);
      return match?.type
        ? { tag: tagged.tag, val: fromGuest(match.type, tagged.val, handles) }
        : { tag: tagged.tag };
    }
    case 'flags': {
      const flags = value as Record<string, boolean | undefined>;
      return type.flags.filter((f) => flags[camelCase(f)] === true);
    }
    case 'option': {
      if (admitsNull(type.type)) {
        const tagged = value as { tag: 'none' | 'some'; val?: unknown };
        return tagged.tag === 'none' ? null : { some: fromGuest(type.type, tagged.val, handles) };
      }
      return value === undefined || value === null ? null : fromGuest(type.type, value, handles);
    }
    case 'result': {
      const tagged = value as { tag: 'ok' | 'err'; val?: unknown };
      const inner = tagged.tag === 'ok' ? type.ok : type.err;
      return { [tagged.tag]: inner ? fromGuest(inner, tagged.val, handles) : null };
    }
    case 'own':
    case 'borrow':
      if (!handles)
        throw new ComponentError(
          'INVALID_ARGUMENT',
          `a ${type.resource} handle was returned where none can be kept`,
        );
      return handles.toHandle(type.resource, value);
    case 'future':
    case 'stream':
    case 'error-context':
      throw new ComponentError('INVALID_ARGUMENT', `${type.kind} values have no JSON form`);
  }
}

/** A tool's JSON arguments (keyed by WIT parameter name) → the positional arguments of the export. */
export function argumentsToGuest(
  fn: WitFunction,
  args: Record<string, unknown>,
  handles?: HandleTable,
): unknown[] {
  onlyKeys(
    args,
    fn.params.map((p) => p.name),
    '',
  );
  return fn.params.map((p) => {
    if (!Object.hasOwn(args, p.name) && p.type.kind !== 'option')
      throw invalidValue(`/${p.name}`, 'required property is missing');
    return toGuest(p.type, Object.hasOwn(args, p.name) ? args[p.name] : null, `/${p.name}`, handles);
  });
}
