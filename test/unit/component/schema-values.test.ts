/**
 * Every row of the WIT → JSON mapping: the schema compiles as JSON Schema 2020-12, accepts exactly
 * what the conversion accepts, and values survive JSON → guest → JSON unchanged.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { isWtoolsError } from '../../../lib/core/index.js';
import {
  fromGuest,
  inputSchemaOf,
  outputSchemaOf,
  schemaOf,
  toGuest,
  type WitType,
} from '../../../lib/component/index.js';

const ajv = new Ajv2020({ strict: true, allErrors: true });

function check(type: WitType, value: unknown): { schema: boolean; conversion: boolean } {
  const validate = ajv.compile({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...schemaOf(type),
  });
  let conversion = true;
  try {
    toGuest(type, value);
  } catch (err) {
    if (!isWtoolsError(err, 'INVALID_ARGUMENT')) throw err;
    conversion = false;
  }
  return { schema: validate(value), conversion };
}

const p = (kind: string): WitType => ({ kind }) as WitType;
const point: WitType = {
  kind: 'record',
  name: 'point',
  fields: [
    { name: 'x', type: p('s32') },
    { name: 'y', type: p('s32') },
    { name: 'label', type: { kind: 'option', type: p('string') } },
  ],
};
const classification: WitType = {
  kind: 'variant',
  name: 'classification',
  cases: [{ name: 'negative', type: p('u32') }, { name: 'zero' }, { name: 'positive', type: p('string') }],
};
const permissions: WitType = { kind: 'flags', name: 'permissions', flags: ['read', 'write', 'execute'] };
const color: WitType = { kind: 'enum', name: 'color', cases: ['red', 'green', 'blue'] };
const nested: WitType = { kind: 'option', type: { kind: 'option', type: p('u32') } };

// [type, valid JSON values, invalid JSON values]; the schema and the conversion must agree on each.
const ROWS: [string, WitType, unknown[], unknown[]][] = [
  ['bool', p('bool'), [true, false], [0, 'true', null]],
  ['u8', p('u8'), [0, 255], [-1, 256, 1.5, '1']],
  ['s8', p('s8'), [-128, 127], [-129, 128]],
  ['u16', p('u16'), [65535], [65536]],
  ['s32', p('s32'), [-2147483648, 2147483647], [2147483648]],
  ['u32', p('u32'), [4294967295], [4294967296, -1]],
  ['u64', p('u64'), [0, 9007199254740991, '18446744073709551615'], [-1, 'x1', '-1']],
  ['s64', p('s64'), ['-9223372036854775808', '9223372036854775807', -5], ['1.5']],
  ['f64', p('f64'), [1.5, -0.25, 'NaN', 'Infinity', '-Infinity'], ['nan', true]],
  ['f32', p('f32'), [3.25, 'NaN'], ['1']],
  ['char', p('char'), ['a', '€', '😀'], ['', 'ab', 1]],
  ['string', p('string'), ['', 'hello'], [1, null]],
  ['list<u8>', { kind: 'list', element: p('u8') }, ['', 'AQID', 'AAE='], ['@@@', [1, 2]]],
  ['list<string>', { kind: 'list', element: p('string') }, [[], ['a', 'b']], ['a', [1]]],
  ['list<f64>', { kind: 'list', element: p('f64') }, [[1.5, 2]], [['x']]],
  [
    'tuple',
    { kind: 'tuple', types: [p('u32'), p('string'), p('bool')] },
    [[1, 'a', true]],
    [
      [1, 'a'],
      [1, 'a', true, 2],
    ],
  ],
  [
    'record',
    point,
    [
      { x: 1, y: 2 },
      { x: 1, y: 2, label: 'p' },
      { x: 1, y: 2, label: null },
    ],
    [{ x: 1 }, { x: 1, y: 2, z: 3 }, []],
  ],
  [
    'variant',
    classification,
    [{ tag: 'zero' }, { tag: 'negative', val: 3 }, { tag: 'positive', val: 'five' }],
    [{ tag: 'zero', val: 1 }, { tag: 'negative' }, { tag: 'other' }, 'zero'],
  ],
  ['enum', color, ['red', 'blue'], ['purple', 0]],
  ['flags', permissions, [[], ['read', 'execute']], [['read', 'read'], ['admin'], 'read']],
  ['option<u32>', { kind: 'option', type: p('u32') }, [null, 7], ['7', { some: 7 }]],
  ['option<option<u32>>', nested, [null, { some: null }, { some: 3 }], [3, { some: 'x' }, {}]],
  [
    'result<u32, string> in a value',
    { kind: 'result', ok: p('u32'), err: p('string') },
    [{ ok: 1 }, { err: 'no' }],
    [{ ok: 'x' }, { ok: 1, err: 'x' }, {}],
  ],
  ['result<_, _>', { kind: 'result' }, [{ ok: null }, { err: null }], [{ ok: 1 }]],
];

describe('WIT → JSON Schema and values', () => {
  it.each(ROWS)(
    '%s: the schema accepts exactly what the conversion accepts',
    (_name, type, valid, invalid) => {
      for (const value of valid)
        expect(check(type, value), JSON.stringify(value)).toEqual({ schema: true, conversion: true });
      for (const value of invalid)
        expect(check(type, value), JSON.stringify(value)).toEqual({ schema: false, conversion: false });
    },
  );

  it.each(ROWS)('%s: valid values survive JSON → guest → JSON', (_name, type, valid) => {
    for (const value of valid) {
      const back = fromGuest(type, toGuest(type, value));
      // A record's absent option field comes back as null; a u64 within 2^53 as a number.
      const expected = type.kind === 'record' ? { label: null, ...(value as object) } : value;
      if (type.kind === 's64' || type.kind === 'u64') expect(String(back)).toBe(String(value));
      else expect(back).toEqual(expected);
    }
  });

  it('produces the JavaScript shapes jco expects', () => {
    expect(toGuest(permissions, ['write'])).toEqual({ read: false, write: true, execute: false });
    expect(toGuest(nested, { some: null })).toEqual({ tag: 'some', val: undefined });
    expect(toGuest(nested, null)).toEqual({ tag: 'none' });
    expect(toGuest({ kind: 'option', type: p('u32') }, null)).toBeUndefined();
    expect(toGuest({ kind: 'list', element: p('f64') }, [1, 2])).toEqual(Float64Array.from([1, 2]));
    expect(toGuest({ kind: 'list', element: p('u8') }, 'AQID')).toEqual(Uint8Array.from([1, 2, 3]));
    expect(toGuest(p('u64'), '18446744073709551615')).toBe(2n ** 64n - 1n);
    expect(toGuest({ kind: 'record', fields: [{ name: 'a-u8', type: p('u8') }] }, { 'a-u8': 1 })).toEqual({
      aU8: 1,
    });
  });

  it('names the JSON path and the rule of a refused value', () => {
    const type: WitType = { kind: 'list', element: point };
    expect(() =>
      toGuest(type, [
        { x: 1, y: 2 },
        { x: 1, y: 'two' },
      ]),
    ).toThrow('/1/y: expected an integer (s32), found the string "two"');
    expect(() => toGuest(p('u8'), 300, '/level')).toThrow('/level: expected u8 from 0 to 255, found 300');
  });

  it('builds tool schemas: parameters by WIT name, results under {result}', () => {
    const fn = {
      name: 'translate',
      params: [
        { name: 'p', type: point },
        { name: 'dx', type: p('s32') },
        { name: 'note', type: { kind: 'option', type: p('string') } as WitType },
      ],
      result: { kind: 'result', ok: point, err: p('string') } as WitType,
    };
    const input = inputSchemaOf(fn);
    expect(input).toMatchObject({ type: 'object', required: ['p', 'dx'], additionalProperties: false });
    expect(ajv.validateSchema(input)).toBe(true);
    const output = outputSchemaOf(fn)!;
    expect(output).toMatchObject({
      type: 'object',
      properties: { result: { title: 'point' }, error: { type: 'string' } },
    });
    const validate = ajv.compile(output);
    expect(validate({ result: { x: 1, y: 2, label: null } })).toBe(true);
    expect(validate({ error: 'no' })).toBe(true);
    expect(validate({ result: { x: 1, y: 2 }, error: 'both' })).toBe(false);
    expect(validate({})).toBe(false);
    expect(outputSchemaOf({ name: 'g', params: [], result: p('u32') })).toMatchObject({
      required: ['result'],
    });
    expect(outputSchemaOf({ name: 'f', params: [] })).toBeUndefined();
  });
});
