import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { componentEmbed, componentNew, componentWit } from '@bytecodealliance/jco';
import { describe, expect, it } from 'vitest';
import { readComponentNames } from '../../../lib/component/binary.js';
import type { ComponentWorld, WitFunction, WitType } from '../../../lib/component/wit-model.js';
import { readComponentWorld } from '../../../lib/component/wit-types.js';
import { isWtoolsError } from '../../../lib/core/index.js';
import { cComponent } from '../../harness/c-fixtures.js';
import { fixtureWasm } from '../../harness/fixtures.js';
import { jsComponent } from '../../harness/js-fixtures.js';
import { expectCode } from '../../harness/unit.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Shorthands for expected types

const t = {
  bool: { kind: 'bool' },
  u8: { kind: 'u8' },
  s8: { kind: 's8' },
  u16: { kind: 'u16' },
  s16: { kind: 's16' },
  u32: { kind: 'u32' },
  s32: { kind: 's32' },
  u64: { kind: 'u64' },
  s64: { kind: 's64' },
  f32: { kind: 'f32' },
  f64: { kind: 'f64' },
  char: { kind: 'char' },
  string: { kind: 'string' },
} satisfies Record<string, WitType>;
const list = (element: WitType): WitType => ({ kind: 'list', element });
const option = (type: WitType): WitType => ({ kind: 'option', type });
const tuple = (...types: WitType[]): WitType => ({ kind: 'tuple', types });
const result = (ok?: WitType, err?: WitType): WitType => ({
  kind: 'result',
  ...(ok && { ok }),
  ...(err && { err }),
});
const record = (name: string, fields: [string, WitType][]): WitType => ({
  kind: 'record',
  name,
  fields: fields.map(([n, type]) => ({ name: n, type })),
});
const own = (resource: string): WitType => ({ kind: 'own', resource });
const borrow = (resource: string): WitType => ({ kind: 'borrow', resource });

function fn(name: string, params: [string, WitType][], res?: WitType): WitFunction {
  return {
    name,
    params: params.map(([n, type]) => ({ name: n, type })),
    ...(res && { result: res }),
  };
}

/** The WIT text of a type as wasm-tools prints it in a function signature. */
function typeText(type: WitType): string {
  switch (type.kind) {
    case 'list':
      return `list<${typeText(type.element)}>`;
    case 'option':
      return `option<${typeText(type.type)}>`;
    case 'tuple':
      return `tuple<${type.types.map(typeText).join(', ')}>`;
    case 'result':
      if (!type.err) return type.ok ? `result<${typeText(type.ok)}>` : 'result';
      return `result<${type.ok ? typeText(type.ok) : '_'}, ${typeText(type.err)}>`;
    case 'own':
      return type.resource;
    case 'borrow':
      return `borrow<${type.resource}>`;
    case 'record':
    case 'variant':
    case 'enum':
    case 'flags':
      return type.name ?? `<anonymous ${type.kind}>`;
    case 'future':
    case 'stream':
      return type.type ? `${type.kind}<${typeText(type.type)}>` : type.kind;
    default:
      return type.kind;
  }
}

function signature(f: WitFunction): string {
  const params = f.params.map((p) => `${p.name}: ${typeText(p.type)}`).join(', ');
  return `export ${f.name}: func(${params})${f.result ? ` -> ${typeText(f.result)}` : ''};`;
}

/**
 * What jco (wasm-tools) prints about the world's top level must agree with what was read: every
 * exported function's signature, every exported interface and every imported interface.
 */
async function crossCheck(bytes: Uint8Array, world: ComponentWorld): Promise<void> {
  const wit = await componentWit(bytes);
  const lines = wit.split('\n').map((line) => line.trim());
  const funcLines = lines.filter((line) => /^export [^ ]+: func\(/.test(line));
  expect(funcLines).toEqual(world.functions.map(signature));
  const interfaceLines = lines.filter((line) => /^export [^ :]+:[^ ]+;$/.test(line));
  expect(interfaceLines).toEqual(world.interfaces.map((i) => `export ${i.name};`));
  for (const line of lines.filter((l) => l.startsWith('import '))) {
    expect(world.imports).toContain(line.slice('import '.length, -1));
  }
}

/** Every WitType in a world, depth first. */
function allTypes(world: ComponentWorld): WitType[] {
  const out: WitType[] = [];
  const visit = (type: WitType): void => {
    out.push(type);
    switch (type.kind) {
      case 'list':
        return visit(type.element);
      case 'option':
        return visit(type.type);
      case 'tuple':
        return type.types.forEach(visit);
      case 'result':
        if (type.ok) visit(type.ok);
        if (type.err) visit(type.err);
        return;
      case 'record':
        return type.fields.forEach((f) => visit(f.type));
      case 'variant':
        return type.cases.forEach((c) => c.type && visit(c.type));
      default:
    }
  };
  for (const f of [...world.functions, ...world.interfaces.flatMap((i) => i.functions)]) {
    f.params.forEach((p) => visit(p.type));
    if (f.result) visit(f.result);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Binary surgery

const PREAMBLE = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

function uleb(value: number, width = 0): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value > 0 || out.length + 1 < width) byte |= 0x80;
    out.push(byte);
  } while (value > 0 || out.length < width);
  return out;
}

/** Signed LEB128, as valtypes encode type indices. */
function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function name(s: string): number[] {
  const bytes = new TextEncoder().encode(s);
  return [...uleb(bytes.length), ...bytes];
}

/** A component of these sections, each given as [id, ...contents]. */
function componentOf(...sections: number[][]): Uint8Array {
  const out = [...PREAMBLE];
  for (const [id, ...contents] of sections) {
    out.push(id!, ...uleb(contents.length));
    // Not push(...contents): a spread of that many arguments overflows the stack.
    for (const byte of contents) out.push(byte);
  }
  return Uint8Array.from(out);
}

function appendCustomSection(bytes: Uint8Array, sectionName: string, payload: Uint8Array): Uint8Array {
  const contents = [...name(sectionName), ...payload];
  const header = [0x00, ...uleb(contents.length)];
  const out = new Uint8Array(bytes.length + header.length + contents.length);
  out.set(bytes);
  out.set(header, bytes.length);
  out.set(contents, bytes.length + header.length);
  return out;
}

interface SectionRange {
  id: number;
  start: number;
  sizeAt: number;
  sizeWidth: number;
  contents: number;
  end: number;
}

/** The top-level sections of a component. */
function sections(bytes: Uint8Array): SectionRange[] {
  const out: SectionRange[] = [];
  let offset = 8;
  while (offset < bytes.length) {
    const start = offset;
    const id = bytes[offset++] ?? -1;
    const sizeAt = offset;
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[offset++] ?? 0;
      size += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
    }
    out.push({ id, start, sizeAt, sizeWidth: offset - sizeAt, contents: offset, end: offset + size });
    offset += size;
  }
  return out;
}

/** Sections whose contents the reader parses (not core modules, core instances, core types or custom). */
const PARSED_SECTIONS = new Set([4, 5, 6, 7, 8, 10, 11]);

/** Reads, and returns what was thrown: nothing, a NOT_A_COMPONENT error, or fails the test. */
function attempt(bytes: Uint8Array): Error | undefined {
  try {
    readComponentWorld(bytes);
    return undefined;
  } catch (err) {
    if (!isWtoolsError(err, 'NOT_A_COMPONENT')) throw err;
    expect(err.message).toMatch(/^(malformed component: |unsupported component: |the binary )/);
    return err;
  }
}

/** xorshift32: deterministic noise. */
function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

// ---------------------------------------------------------------------------------------------

describe('readComponentWorld on WAT fixtures', () => {
  it('reads hello', async () => {
    const bytes = await fixtureWasm('hello');
    const world = readComponentWorld(bytes);
    expect(world).toEqual({
      functions: [
        fn(
          'add',
          [
            ['a', t.u32],
            ['b', t.u32],
          ],
          t.u32,
        ),
      ],
      interfaces: [],
      imports: [],
    });
    await crossCheck(bytes, world);
  });

  it('reads counter, in export order', async () => {
    const bytes = await fixtureWasm('counter');
    const world = readComponentWorld(bytes);
    expect(world).toEqual({
      functions: [fn('next', [], t.u32), fn('crash', []), fn('spin', [])],
      interfaces: [],
      imports: [],
    });
    await crossCheck(bytes, world);
  });

  it('reads an inline-export instance, versioned imports and instance-type imports', async () => {
    const bytes = await fixtureWasm('imports');
    const world = readComponentWorld(bytes);
    expect(world).toEqual({
      functions: [fn('run', [])],
      interfaces: [{ name: 'local:demo/tools', functions: [fn('greet', [['name', t.string]], t.u32)] }],
      imports: ['wasi:cli/environment@0.2.0', 'wasi:clocks/monotonic-clock@0.2.3'],
    });
    await crossCheck(bytes, world);
  });

  it('lists the imports of a component that exports nothing', async () => {
    expect(readComponentWorld(await fixtureWasm('foreign-import'))).toEqual({
      functions: [],
      interfaces: [],
      imports: ['acme:secret/door', 'wasi:cli/exit@0.3.0', 'wasi:clocks/wall-clock@0.2.1'],
    });
  });

  it('refuses a core module by name', async () => {
    const err = await expectCode(
      async () => readComponentWorld(await fixtureWasm('core')),
      'NOT_A_COMPONENT',
    );
    expect(err.message).toBe('the binary is a core WebAssembly module, not a component');
  });

  it('reads an exported resource through the shim, with own and borrow handles', async () => {
    const bytes = await fixtureWasm('resource');
    const world = readComponentWorld(bytes);
    expect(world).toEqual({
      functions: [fn('plain', [], t.u32)],
      interfaces: [
        {
          name: 'wtools:fixtures/counters@0.1.0',
          functions: [
            fn('[constructor]counter', [['start', t.u32]], own('counter')),
            fn('[method]counter.get', [['self', borrow('counter')]], t.u32),
            fn('[method]counter.add', [
              ['self', borrow('counter')],
              ['by', t.u32],
            ]),
            fn(
              '[static]counter.merge',
              [
                ['a', borrow('counter')],
                ['b', borrow('counter')],
              ],
              own('counter'),
            ),
            fn('make', [['start', t.u32]], own('counter')),
            fn('peek', [['c', borrow('counter')]], t.u32),
          ],
        },
      ],
      imports: [],
    });
    await crossCheck(bytes, world);
  });

  it('names types across instances: aliases, types used twice, and types a shim imports twice', async () => {
    const bytes = await fixtureWasm('aliases');
    const world = readComponentWorld(bytes);
    const level: WitType = { kind: 'enum', name: 'level', cases: ['info', 'warn'] };
    // `type location = point` is an alias: the record keeps its defining name.
    const point = record('point', [
      ['x', t.s32],
      ['y', t.s32],
    ]);
    const segment = record('segment', [
      ['start', point],
      ['end', point],
    ]);
    expect(world).toEqual({
      functions: [fn('threshold', [], level), fn('pair', [['a', tuple(level, level)]], list(level))],
      interfaces: [
        {
          name: 'wtools:fixtures/geometry@0.1.0',
          functions: [
            fn(
              'length',
              [
                ['s', segment],
                ['u', { kind: 'enum', name: 'unit', cases: ['mm', 'cm'] }],
              ],
              t.f64,
            ),
            fn(
              'midpoint',
              [
                ['a', point],
                ['b', point],
              ],
              point,
            ),
          ],
        },
        {
          name: 'wtools:fixtures/paths@0.1.0',
          functions: [
            fn(
              'segments',
              [
                [
                  'p',
                  record('path', [
                    ['points', list(point)],
                    ['closed', t.bool],
                  ]),
                ],
              ],
              list(segment),
            ),
          ],
        },
      ],
      imports: ['wtools:fixtures/logging@0.1.0'], // `level` is a type import: a shape, not something to provide
    });
    // The shim's import names (import-type-point, …) are substituted away by the instantiation.
    expect(allTypes(world).filter((type) => 'name' in type && type.name?.startsWith('import-'))).toEqual([]);
    await crossCheck(bytes, world);
  });

  it('reads nested instance types, imported component types, inline exports and outer aliases', async () => {
    const world = readComponentWorld(await fixtureWasm('nested'));
    const stamp = record('stamp', [
      ['seconds', t.u64],
      ['nanos', t.u32],
    ]);
    expect(world).toEqual({
      functions: [fn('now', [], stamp)],
      interfaces: [
        {
          name: 'acme:nested/plugin',
          functions: [fn('start', [], own('timer')), fn('elapsed', [['t', borrow('timer')]], t.u64)],
        },
        { name: 'local:demo/time', functions: [fn('stamp', [], stamp)] },
        { name: 'acme:nested/relay', functions: [fn('get', [], stamp)] },
      ],
      imports: ['acme:nested/clock', 'plugin'],
    });
  });

  it('lists the same imports as readComponentNames', async () => {
    for (const fixture of ['hello', 'imports', 'foreign-import', 'resource', 'aliases', 'nested']) {
      const bytes = await fixtureWasm(fixture);
      expect(readComponentWorld(bytes).imports).toEqual(readComponentNames(bytes).imports);
    }
  });
});

describe('readComponentWorld on hand-made binaries', () => {
  it('recognises future, stream and error-context', () => {
    const bytes = componentOf(
      [
        7,
        0x03,
        0x65,
        0x01,
        0x79,
        0x66,
        0x00,
        0x40,
        0x03,
        ...name('f'),
        0x00,
        ...name('s'),
        0x01,
        ...name('e'),
        0x64,
        0x00,
        0x79,
      ],
      [10, 0x01, 0x00, ...name('f'), 0x01, 0x02],
      [11, 0x01, 0x00, ...name('f'), 0x01, 0x00, 0x00],
    );
    expect(readComponentWorld(bytes)).toEqual({
      functions: [
        fn(
          'f',
          [
            ['f', { kind: 'future', type: t.u32 }],
            ['s', { kind: 'stream' }],
            ['e', { kind: 'error-context' }],
          ],
          t.u32,
        ),
      ],
      interfaces: [],
      imports: ['f'],
    });
  });

  it('completes a name with its version suffix option', () => {
    const bytes = componentOf(
      [7, 0x01, 0x42, 0x00],
      [
        10,
        0x01,
        0x02,
        ...name('wasi:cli/exit@0.2'),
        0x02,
        0x00,
        ...name('wasi:cli/exit@0.2'),
        0x01,
        ...name('.6'),
        0x05,
        0x00,
      ],
    );
    expect(readComponentWorld(bytes).imports).toEqual(['wasi:cli/exit@0.2.6']);
    expect(readComponentNames(bytes).imports).toEqual(['wasi:cli/exit@0.2.6']);
  });
});

describe('readComponentWorld on C fixtures', () => {
  const wasi = [
    'wasi:cli/environment@0.2.12',
    'wasi:cli/exit@0.2.12',
    'wasi:io/error@0.2.12',
    'wasi:io/streams@0.2.12',
    'wasi:cli/stdin@0.2.12',
    'wasi:cli/stdout@0.2.12',
    'wasi:cli/stderr@0.2.12',
    'wasi:cli/terminal-input@0.2.12',
    'wasi:cli/terminal-output@0.2.12',
    'wasi:cli/terminal-stdin@0.2.12',
    'wasi:cli/terminal-stdout@0.2.12',
    'wasi:cli/terminal-stderr@0.2.12',
    'wasi:clocks/wall-clock@0.2.12',
    'wasi:filesystem/types@0.2.12',
    'wasi:filesystem/preopens@0.2.12',
  ];

  it('reads c/basic', async () => {
    const bytes = await cComponent('c/basic');
    const world = readComponentWorld(bytes);
    expect(world).toEqual({
      functions: [
        fn(
          'add',
          [
            ['a', t.u32],
            ['b', t.u32],
          ],
          t.u32,
        ),
        fn('greet', [['name', t.string]], t.string),
        fn('read-file', [['path', t.string]], result(t.string, t.string)),
        fn(
          'write-file',
          [
            ['path', t.string],
            ['contents', t.string],
          ],
          result(undefined, t.string),
        ),
        fn('list-dir', [['path', t.string]], result(list(t.string), t.string)),
        fn('get-env', [['key', t.string]], option(t.string)),
        fn('print', [['text', t.string]]),
      ],
      interfaces: [],
      imports: wasi,
    });
    await crossCheck(bytes, world);
  });

  it('reads attacks/read-passwd', async () => {
    const bytes = await cComponent('attacks/read-passwd');
    const world = readComponentWorld(bytes);
    expect(world.functions).toEqual([fn('run', [['arg', t.string]], result(t.string, t.string))]);
    expect(world.interfaces).toEqual([]);
    expect(world.imports).toEqual(readComponentNames(bytes).imports);
    await crossCheck(bytes, world);
  });
});

describe('readComponentWorld on JS fixtures', () => {
  const numbers = record('numbers', [
    ['a-u8', t.u8],
    ['a-s8', t.s8],
    ['a-u16', t.u16],
    ['a-s16', t.s16],
    ['a-u32', t.u32],
    ['a-s32', t.s32],
    ['a-u64', t.u64],
    ['a-s64', t.s64],
    ['a-f32', t.f32],
    ['a-f64', t.f64],
  ]);
  const point = record('point', [
    ['x', t.s32],
    ['y', t.s32],
    ['label', option(t.string)],
  ]);
  const classification: WitType = {
    kind: 'variant',
    name: 'classification',
    cases: [{ name: 'negative', type: t.u32 }, { name: 'zero' }, { name: 'positive', type: t.string }],
  };
  const color: WitType = { kind: 'enum', name: 'color', cases: ['red', 'green', 'blue'] };
  const permissions: WitType = { kind: 'flags', name: 'permissions', flags: ['read', 'write', 'execute'] };
  const rotated = tuple(t.u32, t.string, t.bool);

  const typesWorld: ComponentWorld = {
    functions: [
      fn('greet', [['name', t.string]], t.string),
      fn('u64-echo', [['x', t.u64]], t.u64),
      fn('float-echo', [['x', t.f64]], t.f64),
      fn('f32-echo', [['x', t.f32]], t.f32),
      fn('char-next', [['c', t.char]], t.char),
      fn('negate', [['b', t.bool]], t.bool),
      fn('bytes-len', [['b', list(t.u8)]], t.u32),
      fn('reverse-bytes', [['b', list(t.u8)]], list(t.u8)),
      fn('sum', [['xs', list(t.f64)]], t.f64),
      fn('split-words', [['s', t.string]], list(t.string)),
      fn(
        'join',
        [
          ['parts', list(t.string)],
          ['sep', t.string],
        ],
        t.string,
      ),
      fn(
        'describe',
        [
          ['name', t.string],
          ['age', t.u8],
          ['score', t.f32],
          ['tags', list(t.string)],
          ['active', t.bool],
        ],
        t.string,
      ),
      fn(
        'check',
        [
          ['ok', t.bool],
          ['message', t.string],
        ],
        result(t.string, t.string),
      ),
      fn('bump', [['by', t.u32]]),
      fn('counter', [], t.u32),
    ],
    interfaces: [
      {
        name: 'wtools:fixtures/shapes@0.1.0',
        functions: [
          fn('echo-numbers', [['n', numbers]], numbers),
          fn('echo-record', [['p', point]], point),
          fn(
            'translate',
            [
              ['p', point],
              ['dx', t.s32],
              ['dy', t.s32],
            ],
            point,
          ),
          fn('classify', [['n', t.s32]], classification),
          fn('next-color', [['c', color]], color),
          fn('toggle', [['f', permissions]], permissions),
          fn('maybe-double', [['x', option(t.u32)]], option(t.u32)),
          fn('nested', [['x', option(option(t.u32))]], option(option(t.u32))),
          fn(
            'divide',
            [
              ['a', t.s64],
              ['b', t.s64],
            ],
            result(t.s64, t.string),
          ),
          fn('rotate', [['t', rotated]], rotated),
        ],
      },
    ],
    imports: [],
  };

  it('reads the whole types world, the shapes interface included', async () => {
    const bytes = await jsComponent('types');
    const world = readComponentWorld(bytes);
    expect(world).toEqual(typesWorld);
    await crossCheck(bytes, world);
  });

  it('agrees with a component wit-component builds from the same WIT', async () => {
    // `component embed --dummy` + `component new`: another producer of the same world, whose
    // exported interface goes through wit-component's shim as well.
    const witSource = await readFile(path.join(REPO_ROOT, 'components/js/types/wit/types.wit'), 'utf8');
    const dummy = await componentNew(await componentEmbed({ dummy: true, witSource, world: 'types' }));
    expect(readComponentWorld(dummy)).toEqual(typesWorld);
  });

  it('reads the 12 MB types component in well under 50 ms', async () => {
    const bytes = await jsComponent('types');
    expect(bytes.length).toBeGreaterThan(10_000_000);
    readComponentWorld(bytes);
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const start = performance.now();
      readComponentWorld(bytes);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    expect(times[5]).toBeLessThan(50);
  });

  it('reads the wasi fixture', async () => {
    const bytes = await jsComponent('wasi');
    const world = readComponentWorld(bytes);
    expect(world.functions).toEqual([
      fn('read-file', [['path', t.string]], result(t.string, t.string)),
      fn(
        'write-file',
        [
          ['path', t.string],
          ['contents', t.string],
        ],
        result(undefined, t.string),
      ),
      fn('fetch-text', [['url', t.string]], result(t.string, t.string)),
      fn('get-env', [['key', t.string]], option(t.string)),
      fn('env-keys', [], list(t.string)),
      fn('log', [['text', t.string]]),
    ]);
    expect(world.interfaces).toEqual([]);
    expect(world.imports).toEqual(readComponentNames(bytes).imports);
    expect(world.imports).toContain('wasi:http/outgoing-handler@0.2.10');
    await crossCheck(bytes, world);
  });
});

describe('package-docs', () => {
  const docsSection = (version: number, json: unknown): Uint8Array => {
    const text = new TextEncoder().encode(JSON.stringify(json));
    return Uint8Array.from([version, ...text]);
  };

  it('fills docs from a version 1 section, as wit-component writes it', async () => {
    const bytes = appendCustomSection(
      await jsComponent('types'),
      'package-docs',
      docsSection(1, {
        package: 'wtools:fixtures@0.1.0',
        docs: 'Test fixtures for wtools.',
        worlds: {
          other: { func_exports: { greet: { docs: 'Not this world.' } } },
          types: {
            docs: 'A pure component.',
            func_exports: {
              greet: { docs: 'Returns "Hello, <name>!".' },
              bump: { docs: 'Adds by to the counter.', stability: { stable: { since: '0.1.0' } } },
              negate: { stability: { unknown: null } },
            },
          },
        },
        interfaces: {
          shapes: {
            docs: 'Compound shapes.',
            funcs: { classify: { docs: 'Classifies n.' } },
            types: { point: { docs: 'A labelled point.', items: { label: 'Optional.' } } },
          },
        },
      }),
    );
    const world = readComponentWorld(bytes);
    const docsOf = (fns: WitFunction[]) =>
      Object.fromEntries(fns.filter((f) => f.docs).map((f) => [f.name, f.docs]));
    expect(docsOf(world.functions)).toEqual({
      greet: 'Returns "Hello, <name>!".',
      bump: 'Adds by to the counter.',
    });
    expect(world.interfaces[0]?.docs).toBe('Compound shapes.');
    expect(docsOf(world.interfaces[0]?.functions ?? [])).toEqual({ classify: 'Classifies n.' });
  });

  it('reads the version 0 format, where a function entry is a string', async () => {
    const bytes = appendCustomSection(
      await fixtureWasm('resource'),
      'package-docs',
      docsSection(0, {
        worlds: { resources: { funcs: { plain: 'Plain.' } } },
        interfaces: {
          counters: { docs: 'Counters.', funcs: { '[method]counter.get': 'Reads it.', peek: null } },
        },
      }),
    );
    const world = readComponentWorld(bytes);
    expect(world.functions[0]?.docs).toBe('Plain.');
    expect(world.interfaces[0]?.docs).toBe('Counters.');
    expect(world.interfaces[0]?.functions.map((f) => f.docs)).toEqual([
      undefined,
      'Reads it.',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('applies interface docs only to the package they name', async () => {
    const bytes = appendCustomSection(
      await jsComponent('types'),
      'package-docs',
      docsSection(1, { package: 'other:pkg@0.1.0', interfaces: { shapes: { docs: 'Other shapes.' } } }),
    );
    expect(readComponentWorld(bytes).interfaces[0]?.docs).toBeUndefined();
  });

  it('ignores a section it cannot read: no docs, no error', async () => {
    const hello = await fixtureWasm('hello');
    const expected = readComponentWorld(hello);
    for (const payload of [
      Uint8Array.of(1, 0x7b, 0x7b),
      docsSection(2, { worlds: { w: { funcs: { add: 'Adds.' } } } }),
      new Uint8Array(),
      docsSection(1, ['not', 'an', 'object']),
      docsSection(1, { worlds: { w: { funcs: { add: 42, constructor: 'x' } } } }),
    ]) {
      expect(readComponentWorld(appendCustomSection(hello, 'package-docs', payload))).toEqual(expected);
    }
  });

  it('has no docs when there is no section', async () => {
    const world = readComponentWorld(await cComponent('c/basic'));
    expect(world.functions.some((f) => 'docs' in f)).toBe(false);
  });
});

describe('malformed input', () => {
  it('throws at every cut inside a section, and reads every cut between sections', async () => {
    for (const fixture of ['hello', 'counter', 'imports', 'resource', 'aliases', 'nested']) {
      const bytes = await fixtureWasm(fixture);
      const boundaries = new Set(sections(bytes).map((s) => s.start));
      for (let cut = 8; cut < bytes.length; cut++) {
        const err = attempt(bytes.subarray(0, cut));
        if (boundaries.has(cut)) expect(err, `${fixture} cut at ${cut}`).toBeUndefined();
        else expect(err?.message, `${fixture} cut at ${cut}`).toMatch(/byte offset \d+/);
      }
    }
  });

  it('throws at cuts through the component-level sections of a real component', async () => {
    const bytes = await cComponent('c/basic');
    for (const section of sections(bytes).filter((s) => PARSED_SECTIONS.has(s.id))) {
      const step = Math.max(1, Math.floor((section.end - section.start) / 200));
      for (let cut = section.start + 1; cut < section.end; cut += step) {
        expect(attempt(bytes.subarray(0, cut))?.message).toMatch(/byte offset \d+/);
      }
    }
  });

  it('says what was expected where a section is cut', async () => {
    const bytes = await fixtureWasm('hello');
    const typeSection = sections(bytes).find((s) => s.id === 7)!;
    expect(attempt(bytes.subarray(0, typeSection.end - 1))?.message).toBe(
      `malformed component: expected section 7 with ${typeSection.end - typeSection.contents} bytes of content ` +
        `at byte offset ${typeSection.start}, found only ${typeSection.end - 1 - typeSection.contents} bytes ` +
        `before the binary ends at byte offset ${typeSection.end - 1}`,
    );
  });

  it('throws on section sizes one too small or one too large', async () => {
    for (const fixture of ['hello', 'imports', 'resource', 'aliases', 'nested']) {
      const bytes = await fixtureWasm(fixture);
      for (const section of sections(bytes)) {
        for (const delta of [-1, 1]) {
          const size = section.end - section.contents + delta;
          if (size < 0 || uleb(size).length > section.sizeWidth) continue;
          const changed = new Uint8Array(bytes);
          // A padded LEB128 of the same width keeps every other offset where it was.
          changed.set(uleb(size, section.sizeWidth), section.sizeAt);
          const err = attempt(changed);
          if (PARSED_SECTIONS.has(section.id)) {
            expect(err?.message, `${fixture} section ${section.id} at ${section.start}, ${delta}`).toMatch(
              /byte offset \d+/,
            );
          }
        }
      }
    }
  });

  it('names the section a read ran past', async () => {
    const bytes = new Uint8Array(await fixtureWasm('hello'));
    const typeSection = sections(bytes).find((s) => s.id === 7)!;
    // Shrink the type section by one byte: its last type is cut short inside it.
    bytes[typeSection.sizeAt] = (bytes[typeSection.sizeAt] ?? 0) - 1;
    expect(attempt(bytes)?.message).toMatch(
      new RegExp(`found the end of section 7 at byte offset ${typeSection.end - 1}$`),
    );
  });

  it('survives random corruption of the component-level sections', async () => {
    const random = prng(0x5eed);
    const inputs = [
      await fixtureWasm('resource'),
      await fixtureWasm('aliases'),
      await fixtureWasm('nested'),
      await fixtureWasm('imports'),
      await cComponent('c/basic'),
    ];
    let worst = 0;
    let thrown = 0;
    for (const bytes of inputs) {
      const targets = sections(bytes).filter((s) => PARSED_SECTIONS.has(s.id));
      for (let i = 0; i < 600; i++) {
        const changed = new Uint8Array(bytes);
        for (let j = 1 + Math.floor(random() * 3); j > 0; j--) {
          const section = targets[Math.floor(random() * targets.length)]!;
          const at = section.contents + Math.floor(random() * (section.end - section.contents));
          changed[at] = Math.floor(random() * 256);
        }
        const start = performance.now();
        if (attempt(changed)) thrown++;
        worst = Math.max(worst, performance.now() - start);
      }
    }
    expect(thrown).toBeGreaterThan(1000);
    expect(worst).toBeLessThan(500);
  });

  it('refuses out-of-range indices, handles to non-resources and resources as values', async () => {
    const record = [0x72, 0x01, ...name('a'), 0x79];
    const cases: [number[][], RegExp][] = [
      [
        [[7, 0x01, 0x70, 0x05]],
        /type index 5 is out of range \(0 defined at that point\), at byte offset 12$/,
      ],
      [
        [[7, 0x02, ...record, 0x69, 0x00]],
        /a handle refers to type index 0, which is a record type, not a resource/,
      ],
      [
        [[7, 0x02, 0x3f, 0x7f, 0x00, 0x70, 0x00]],
        /type index 0 is a resource, usable only through own or borrow/,
      ],
      [[[7, 0x02, 0x40, 0x00, 0x01, 0x00, 0x70, 0x00]], /type index 0 is a function type, not a value type/],
      [[[7, 0x01, 0x63, 0x73, 0x73]], /^unsupported component: map types are not supported/],
      [[[7, 0x01, 0x67, 0x73, 0x04]], /^unsupported component: fixed-length list types are not supported/],
      [[[7, 0x01, 0x40, 0x00, 0x01, 0x01]], /expected no results \(00\) at byte offset 14, found 0x01/],
      [[[13]], /expected a section id \(0 to 12\) at byte offset 8, found 13/],
      [[[6, 0x01, 0x03, 0x02, 0x05, 0x00]], /an outer alias reaches 5 levels out of 0/],
      [[[6, 0x01, 0x01, 0x00, 0x00, ...name('f')]], /function index|instance index 0 is out of range/],
      [[[11, 0x01, 0x00, ...name('f'), 0x01, 0x00, 0x00]], /function index 0 is out of range/],
      [[[8, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00]], /type index 0 is out of range/],
      [
        [[7, 0xff, 0xff, 0xff, 0xff, 0x0f]],
        /expected a type at byte offset 15, found the end of section 7 at byte offset 15$/,
      ],
      [[[5, 0x01, 0x00, 0x00, 0x00]], /component index 0 is out of range/],
    ];
    for (const [sectionList, message] of cases) {
      const err = await expectCode(() => readComponentWorld(componentOf(...sectionList)), 'NOT_A_COMPONENT');
      expect(err.message).toMatch(message);
    }
  });

  it('limits type depth and type size', async () => {
    const deep = [0x70, 0x79];
    for (let i = 1; i < 150; i++) deep.push(0x70, ...sleb(i - 1));
    await expectCode(() => readComponentWorld(componentOf([7, ...uleb(150), ...deep])), 'NOT_A_COMPONENT');
    expect(attempt(componentOf([7, ...uleb(150), ...deep]))?.message).toMatch(/nests deeper than 100 levels/);

    // tuple<t, t> 25 times over: a few bytes, 2^25 parts.
    const wide = [0x6f, 0x02, 0x79, 0x79];
    for (let i = 1; i < 25; i++) wide.push(0x6f, 0x02, ...sleb(i - 1), ...sleb(i - 1));
    expect(attempt(componentOf([7, 25, ...wide]))?.message).toMatch(/more than 1000000 parts/);
  });

  it('limits nesting of components', async () => {
    let inner: Uint8Array = Uint8Array.from(PREAMBLE);
    for (let i = 0; i < 120; i++) inner = componentOf([4, ...inner]);
    expect(attempt(inner)?.message).toMatch(/nest deeper than 100 levels/);
  });

  it('stops a component whose instantiations would take too long', async () => {
    // A nested component importing a resource and exporting a function over a record of 50 000
    // handles to it, instantiated 1000 times: 5 * 10^7 substitution steps without a budget.
    // Real components take a few hundred (213 for the 12 MB types fixture).
    const fields = 50_000;
    const nestedTypes = [0x03, 0x69, 0x00, 0x72, ...uleb(fields)];
    for (let i = 0; i < fields; i++) nestedTypes.push(...name('a'), 0x01);
    nestedTypes.push(0x40, 0x01, ...name('p'), 0x02, 0x01, 0x00);
    const nested = componentOf(
      [10, 0x01, 0x00, ...name('r'), 0x03, 0x01],
      [7, ...nestedTypes],
      [10, 0x01, 0x00, ...name('f'), 0x01, 0x03],
      [11, 0x01, 0x00, ...name('f'), 0x01, 0x00, 0x00],
    );
    const instances = [...uleb(1000)];
    for (let i = 0; i < 1000; i++) instances.push(0x00, 0x00, 0x01, ...name('r'), 0x03, 0x00);
    const bytes = componentOf([7, 0x01, 0x3f, 0x7f, 0x00], [4, ...nested], [5, ...instances]);
    const start = performance.now();
    expect(attempt(bytes)?.message).toMatch(/more than 2000000 steps/);
    expect(performance.now() - start).toBeLessThan(3000);
  });

  it('reads huge counts only as far as the section goes', () => {
    const start = performance.now();
    expect(attempt(componentOf([10, 0xff, 0xff, 0xff, 0xff, 0x0f]))?.message).toMatch(
      /expected a name tag \(00, 01 or 02\) at byte offset 15, found the end of section 10 at byte offset 15$/,
    );
    expect(performance.now() - start).toBeLessThan(100);
  });
});
