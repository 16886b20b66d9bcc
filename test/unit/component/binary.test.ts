import { randomBytes } from 'node:crypto';
import { componentWit } from '@bytecodealliance/jco';
import { describe, expect, it } from 'vitest';
import { describeNotComponent, readComponentNames, wasmKind } from '../../../lib/component/binary.js';
import { readComponentWorld } from '../../../lib/component/index.js';
import { WtoolsError, isWtoolsError } from '../../../lib/core/index.js';
import { bigComponent, fixturePath, fixtureWasm } from '../../harness/fixtures.js';

function thrown(fn: () => unknown): WtoolsError {
  try {
    fn();
  } catch (err) {
    expect(isWtoolsError(err, 'NOT_A_COMPONENT')).toBe(true);
    return err as WtoolsError;
  }
  throw new Error('expected a NOT_A_COMPONENT error, nothing was thrown');
}

/** Offsets of the top-level sections, to cut a binary at a known place. */
function sections(bytes: Uint8Array): { id: number; start: number; contents: number; end: number }[] {
  const out = [];
  let offset = 8;
  while (offset < bytes.length) {
    const start = offset;
    const id = bytes[offset++] ?? -1;
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[offset++] ?? 0;
      size += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
    }
    out.push({ id, start, contents: offset, end: offset + size });
    offset += size;
  }
  return out;
}

describe('readComponentNames', () => {
  it("leaves out type imports: a world's own records and enums are not something to provide", async () => {
    const bytes = await fixtureWasm('world-types');
    expect(readComponentNames(bytes)).toEqual({ imports: [], exports: ['count'] });
    expect(readComponentWorld(bytes).imports).toEqual([]);
  });
});

describe('wasmKind', () => {
  it('tells components, core modules and other bytes apart', async () => {
    expect(wasmKind(await fixtureWasm('hello'))).toBe('component');
    expect(wasmKind(await fixtureWasm('imports'))).toBe('component');
    expect(wasmKind(await fixtureWasm('core'))).toBe('core-module');
    expect(wasmKind(new Uint8Array())).toBe('unknown');
    expect(wasmKind(new TextEncoder().encode('{"schemaVersion":2}'))).toBe('unknown');
    expect(wasmKind(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00))).toBe('unknown');
  });

  it('accepts any pre-standard component version but only layer 1', () => {
    const header = (...tail: number[]) => Uint8Array.of(0x00, 0x61, 0x73, 0x6d, ...tail);
    expect(wasmKind(header(0x0d, 0x00, 0x01, 0x00))).toBe('component');
    expect(wasmKind(header(0x0e, 0x00, 0x01, 0x00))).toBe('component');
    expect(wasmKind(header(0x01, 0x00, 0x01, 0x00))).toBe('component');
    expect(wasmKind(header(0x0d, 0x00, 0x02, 0x00))).toBe('unknown');
    expect(wasmKind(header(0x02, 0x00, 0x00, 0x00))).toBe('unknown');
  });

  it('needs only the first 8 bytes', async () => {
    expect(wasmKind((await fixtureWasm('imports')).subarray(0, 8))).toBe('component');
  });
});

describe('describeNotComponent', () => {
  it('says what was expected and found', async () => {
    expect(describeNotComponent(await fixtureWasm('core'))).toBe(
      'is a core WebAssembly module, not a component',
    );
    expect(describeNotComponent(new TextEncoder().encode('PK\x03\x04'))).toBe(
      'is not WebAssembly: expected the magic bytes 00 61 73 6d at byte offset 0, found 50 4b 03 04',
    );
    expect(describeNotComponent(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0d))).toMatch(
      /8-byte preamble, found 5/,
    );
    expect(describeNotComponent(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x07, 0x00))).toBe(
      'is not a component: expected version/layer xx 00 01 00 (component) at byte offset 4, found 0d 00 07 00',
    );
  });
});

describe('readComponentNames', () => {
  it('lists the single export of hello', async () => {
    expect(readComponentNames(await fixtureWasm('hello'))).toEqual({ imports: [], exports: ['add'] });
  });

  it('lists versioned imports and interface exports in binary order', async () => {
    expect(readComponentNames(await fixtureWasm('imports'))).toEqual({
      imports: ['wasi:cli/environment@0.2.0', 'wasi:clocks/monotonic-clock@0.2.3'],
      exports: ['local:demo/tools', 'run'],
    });
  });

  it('agrees with wasm-tools about the fixtures', async () => {
    const wit = await componentWit(await fixtureWasm('imports'));
    expect(wit).toContain('import wasi:cli/environment@0.2.0;');
    expect(wit).toContain('export local:demo/tools;');
    expect(wit).toContain('export run: func();');
  });

  it('refuses a core module by name', async () => {
    const core = await fixtureWasm('core');
    expect(() => readComponentNames(core)).toThrow(WtoolsError);
    expect(thrown(() => readComponentNames(core)).message).toBe(
      'the binary is a core WebAssembly module, not a component',
    );
  });

  it('reports where a binary cut inside a section ends', async () => {
    const bytes = await fixtureWasm('imports');
    const exportSection = sections(bytes).find((s) => s.id === 11);
    expect(exportSection).toBeDefined();
    const { start, end } = exportSection!;
    const cut = bytes.subarray(0, end - 3);
    const err = thrown(() => readComponentNames(cut));
    expect(err.message).toBe(
      `malformed component: expected section 11 with ${end - exportSection!.contents} bytes of content ` +
        `at byte offset ${start}, found only ${cut.length - exportSection!.contents} bytes before the ` +
        `binary ends at byte offset ${cut.length}`,
    );
  });

  it('reports the offset of a malformed entry inside a section', async () => {
    const bytes = new Uint8Array(await fixtureWasm('hello'));
    const exportSection = sections(bytes).find((s) => s.id === 11)!;
    // The first byte after the entry count is the name tag of the first export.
    const tagOffset = exportSection.contents + 1;
    bytes[tagOffset] = 0x07;
    expect(thrown(() => readComponentNames(bytes)).message).toBe(
      `malformed component: expected a name tag (00, 01 or 02) at byte offset ${tagOffset}, found 0x07`,
    );
  });

  it('reports a name running past its section', async () => {
    const bytes = new Uint8Array(await fixtureWasm('hello'));
    const exportSection = sections(bytes).find((s) => s.id === 11)!;
    bytes[exportSection.contents + 2] = 0x7f; // the length of "add"
    expect(thrown(() => readComponentNames(bytes)).message).toBe(
      `malformed component: expected a name of 127 bytes at byte offset ${exportSection.contents + 3}, ` +
        'found the end of the data',
    );
  });

  it('reports a section length that is not a valid LEB128', () => {
    const bytes = Uint8Array.of(
      0x00,
      0x61,
      0x73,
      0x6d,
      0x0d,
      0x00,
      0x01,
      0x00,
      0x0b,
      0xff,
      0xff,
      0xff,
      0xff,
      0x7f,
    );
    expect(thrown(() => readComponentNames(bytes)).message).toBe(
      'malformed component: expected the size of section 11 (a u32 LEB128) at byte offset 9, ' +
        'found a value that overflows 32 bits',
    );
  });

  it('rejects random bytes, with or without a component preamble', () => {
    const noise = randomBytes(4096);
    noise[0] = 0xff;
    expect(thrown(() => readComponentNames(noise)).message).toMatch(/expected the magic bytes 00 61 73 6d/);
    const preamble = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00);
    // Import section id, a large size, then noise: fails on size or content, never silently.
    const fake = new Uint8Array([...preamble, 0x0a, 0x80, 0x80, 0x04, ...randomBytes(64)]);
    expect(thrown(() => readComponentNames(fake)).message).toMatch(/at byte offset \d+/);
  });

  it('rejects a truncated preamble and an empty file', () => {
    expect(thrown(() => readComponentNames(new Uint8Array())).message).toMatch(/found nothing/);
    expect(thrown(() => readComponentNames(Uint8Array.of(0x00, 0x61, 0x73))).message).toMatch(
      /expected the magic bytes/,
    );
  });

  it('accepts an empty component', () => {
    const empty = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00);
    expect(readComponentNames(empty)).toEqual({ imports: [], exports: [] });
  });

  it('reads a 12 MB component padded with a custom section', async () => {
    const size = 12 * 1024 * 1024;
    const big = await bigComponent(size);
    expect(big.length).toBe(size);
    expect(wasmKind(big)).toBe('component');
    expect(readComponentNames(big)).toEqual({ imports: [], exports: ['add'] });
    expect(sections(big).at(-1)).toMatchObject({ id: 0, end: size });
    await expect(componentWit(big)).resolves.toContain('export add: func(a: u32, b: u32) -> u32;');
  });

  it('pads to exact sizes across LEB128 length boundaries', async () => {
    const hello = await fixtureWasm('hello');
    // Around 2^7 and 2^14 bytes of section content the size prefix grows, and some totals are only
    // reachable with a padded prefix.
    const sizes = [120, 16_375].flatMap((start) =>
      Array.from({ length: 20 }, (_, i) => hello.length + start + i),
    );
    for (const size of sizes) {
      const big = await bigComponent(size);
      expect(big.length).toBe(size);
      expect(readComponentNames(big).exports).toEqual(['add']);
    }
    await expect(componentWit(await bigComponent(hello.length + 130))).resolves.toContain('export add');
  });

  it('caches compiled fixtures on disk', async () => {
    const first = await fixturePath('hello');
    expect(first).toMatch(/[0-9a-f]{64}\.wasm$/);
    expect(await fixturePath('hello')).toBe(first);
  });
});
