/**
 * Just enough of the WebAssembly binary format to tell components from core modules and to list a
 * component's top-level imports and exports without instantiating or validating it. Layout follows
 * the Component Model's Binary.md; where the spec and wasm-tools disagree, wasm-tools wins because it
 * writes the binaries we read.
 */
import { WtoolsError } from '../core/index.js';

export type WasmKind = 'component' | 'core-module' | 'unknown';

export interface ComponentNames {
  imports: string[];
  exports: string[];
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d] as const;
const PREAMBLE_SIZE = 8;

const SECTION_IMPORT = 10;
const SECTION_EXPORT = 11;

export function wasmKind(header: Uint8Array): WasmKind {
  if (header.length < PREAMBLE_SIZE || MAGIC.some((byte, i) => header[i] !== byte)) return 'unknown';
  const [v0, v1, l0, l1] = header.subarray(4, PREAMBLE_SIZE);
  if (v0 === 0x01 && v1 === 0x00 && l0 === 0x00 && l1 === 0x00) return 'core-module';
  // The component version is bumped with every pre-standard format change; the layer is what is stable.
  if (l0 === 0x01 && l1 === 0x00) return 'component';
  return 'unknown';
}

/** Why these bytes are not a component, as a sentence fragment to follow "<what> ". */
export function describeNotComponent(header: Uint8Array): string {
  const kind = wasmKind(header);
  if (kind === 'component') return 'is a WebAssembly component';
  if (kind === 'core-module') return 'is a core WebAssembly module, not a component';
  if (header.length < MAGIC.length || MAGIC.some((byte, i) => header[i] !== byte)) {
    const found = hex(header.subarray(0, MAGIC.length));
    return `is not WebAssembly: expected the magic bytes 00 61 73 6d at byte offset 0, found ${found}`;
  }
  if (header.length < PREAMBLE_SIZE) {
    return `is truncated: expected an 8-byte preamble, found ${header.length} bytes`;
  }
  return (
    'is not a component: expected version/layer xx 00 01 00 (component) at byte offset 4, ' +
    `found ${hex(header.subarray(4, PREAMBLE_SIZE))}`
  );
}

/**
 * Names of the top-level imports and exports, in binary order. Nested modules and components are
 * skipped by their section size, so this costs one pass over section headers plus the two sections.
 */
export function readComponentNames(bytes: Uint8Array): ComponentNames {
  if (wasmKind(bytes) !== 'component') {
    throw new WtoolsError('NOT_A_COMPONENT', `the binary ${describeNotComponent(bytes)}`);
  }
  const names: ComponentNames = { imports: [], exports: [] };
  const reader = new Reader(bytes, PREAMBLE_SIZE);
  while (!reader.atEnd()) {
    const sectionStart = reader.offset;
    const id = reader.byte('a section id');
    const size = reader.u32(`the size of section ${id}`);
    const end = reader.offset + size;
    if (end > bytes.length) {
      reader.fail(
        sectionStart,
        `section ${id} with ${size} bytes of content`,
        `only ${bytes.length - reader.offset} bytes before the binary ends at byte offset ${bytes.length}`,
      );
    }
    if (id === SECTION_IMPORT || id === SECTION_EXPORT) {
      const section = new Reader(bytes.subarray(0, end), reader.offset);
      const list = id === SECTION_IMPORT ? names.imports : names.exports;
      const count = section.u32('an entry count');
      for (let i = 0; i < count; i++) {
        list.push(section.externName());
        if (id === SECTION_EXPORT) {
          section.sortIdx();
          if (section.byte('an optional export type (00 or 01)', [0x00, 0x01]) === 0x01) section.externType();
        } else {
          section.externType();
        }
      }
      if (!section.atEnd()) {
        section.fail(section.offset, `the end of section ${id} at byte offset ${end}`, 'more bytes');
      }
    }
    reader.offset = end;
  }
  return names;
}

class Reader {
  private static readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly bytes: Uint8Array,
    public offset: number,
  ) {}

  atEnd(): boolean {
    return this.offset >= this.bytes.length;
  }

  fail(at: number, expected: string, found: string): never {
    throw new WtoolsError(
      'NOT_A_COMPONENT',
      `malformed component: expected ${expected} at byte offset ${at}, found ${found}`,
    );
  }

  byte(what: string, allowed?: readonly number[]): number {
    const at = this.offset;
    const value = this.bytes[at];
    if (value === undefined) this.fail(at, what, 'the end of the data');
    if (allowed && !allowed.includes(value)) this.fail(at, what, `0x${hex([value])}`);
    this.offset++;
    return value;
  }

  /** Unsigned LEB128 limited to 32 bits, as every core:u32 in the format. */
  u32(what: string): number {
    const start = this.offset;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte(what);
      // The fifth byte carries only the top 4 bits; anything more would not fit in 32.
      if (shift === 28 && b > 0x0f) {
        this.fail(start, `${what} (a u32 LEB128)`, 'a value that overflows 32 bits');
      }
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    return this.fail(start, `${what} (a u32 LEB128)`, 'more than 5 bytes');
  }

  /** valtype is an s33 (negative: a primitive, else a type index); only its length matters here. */
  s33(what: string): void {
    const start = this.offset;
    for (let i = 0; i < 5; i++) {
      if ((this.byte(what) & 0x80) === 0) return;
    }
    this.fail(start, `${what} (an s33 LEB128)`, 'more than 5 bytes');
  }

  string(what: string): string {
    const length = this.u32(`the length of ${what}`);
    const start = this.offset;
    const end = start + length;
    if (end > this.bytes.length) this.fail(start, `${what} of ${length} bytes`, 'the end of the data');
    this.offset = end;
    try {
      return Reader.utf8.decode(this.bytes.subarray(start, end));
    } catch {
      return this.fail(start, `${what} in UTF-8`, 'invalid UTF-8');
    }
  }

  /**
   * 0x00 and 0x01 are the same plain name (0x01 is what older encoders wrote for interface names);
   * 0x02 adds attributes such as `implements` or a version suffix, which only decorate the name.
   */
  externName(): string {
    const tag = this.byte('a name tag (00, 01 or 02)', [0x00, 0x01, 0x02]);
    const name = this.string('a name');
    if (tag === 0x02) {
      const count = this.u32('a name attribute count');
      for (let i = 0; i < count; i++) {
        this.byte('a name attribute tag (00, 01 or 02)', [0x00, 0x01, 0x02]);
        this.string('a name attribute');
      }
    }
    return name;
  }

  sortIdx(): void {
    const sort = this.byte('a sort (00 to 05)', [0x00, 0x01, 0x02, 0x03, 0x04, 0x05]);
    if (sort === 0x00) this.byte('a core sort');
    this.u32('a sort index');
  }

  externType(): void {
    const kind = this.byte('an extern type (00 to 05)', [0x00, 0x01, 0x02, 0x03, 0x04, 0x05]);
    switch (kind) {
      case 0x00:
        this.byte('the core module sort 0x11', [0x11]);
        this.u32('a core type index');
        return;
      case 0x02:
        if (this.byte('a value bound (00 or 01)', [0x00, 0x01]) === 0x00) this.u32('a value index');
        else this.s33('a value type');
        return;
      case 0x03:
        if (this.byte('a type bound (00 or 01)', [0x00, 0x01]) === 0x00) this.u32('a type index');
        return;
      default:
        this.u32('a type index');
    }
  }
}

function hex(bytes: ArrayLike<number>): string {
  if (bytes.length === 0) return 'nothing';
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
