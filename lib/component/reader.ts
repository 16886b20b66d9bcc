/**
 * A cursor over WebAssembly binary bytes with the primitive readers of the Component Model's
 * Binary.md (LEB128 numbers, names, extern names, sorts). Every failure throws
 * ComponentError('NOT_A_COMPONENT') saying what was expected, at which byte offset and what was found.
 * Offsets are always absolute in the whole binary; `limit` is where the current section ends, so a
 * read never runs into the next section. Nothing is copied: strings are decoded from the bytes in place.
 */
import { ComponentError } from '../core/index.js';

export const MAGIC = [0x00, 0x61, 0x73, 0x6d] as const;
export const PREAMBLE_SIZE = 8;

/** The sorts of Binary.md (`sort ::= 0x00 cs:<core:sort> | 0x01 func | …`). */
export type Sort = 'core' | 'func' | 'value' | 'type' | 'component' | 'instance';
const SORTS: readonly Sort[] = ['core', 'func', 'value', 'type', 'component', 'instance'];

export interface SortIdx {
  sort: Sort;
  /** The core sort byte when `sort` is 'core' (0x11 is a core module). */
  coreSort?: number;
  index: number;
  /** Byte offset of the index, for errors about it. */
  at: number;
}

export class Reader {
  private static readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(
    readonly bytes: Uint8Array,
    public offset: number,
    /** Where the current section (or the data) ends; nothing at or past it is read. */
    public limit: number = bytes.length,
    /** What ends at `limit` ("section 7"), for messages; unset, reading past it finds "the end of the data". */
    public limitName?: string,
  ) {}

  atEnd(): boolean {
    return this.offset >= this.limit;
  }

  fail(at: number, expected: string, found: string): never {
    throw new ComponentError(
      'NOT_A_COMPONENT',
      `malformed component: expected ${expected} at byte offset ${at}, found ${found}`,
    );
  }

  /** A structural error that is not about one unexpected byte: an index out of range, a type mismatch. */
  invalid(at: number, message: string): never {
    throw new ComponentError('NOT_A_COMPONENT', `malformed component: ${message}, at byte offset ${at}`);
  }

  /** Valid in the Component Model, but beyond what wtools reads. */
  unsupported(at: number, message: string): never {
    throw new ComponentError('NOT_A_COMPONENT', `unsupported component: ${message}, at byte offset ${at}`);
  }

  /** What reading past `limit` ran into, for messages. */
  endDescription(): string {
    return this.limitName === undefined
      ? 'the end of the data'
      : `the end of ${this.limitName} at byte offset ${this.limit}`;
  }

  peek(): number | undefined {
    return this.offset < this.limit ? this.bytes[this.offset] : undefined;
  }

  byte(what: string, allowed?: readonly number[]): number {
    const at = this.offset;
    const value = at < this.limit ? this.bytes[at] : undefined;
    if (value === undefined) return this.fail(at, what, this.endDescription());
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

  /** Signed LEB128 of at most 33 bits (valtypes and heap types use it for type indices). */
  s33(what: string): number {
    const start = this.offset;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte(what);
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        const bits = shift + 7;
        // Sign-extend from the last byte's top bit.
        return b & 0x40 ? result - 2 ** bits : result;
      }
    }
    return this.fail(start, `${what} (an s33 LEB128)`, 'more than 5 bytes');
  }

  /** Skips an unsigned LEB128 of up to 64 bits (memory and table limits of 64-bit address spaces). */
  skipU64(what: string): void {
    const start = this.offset;
    for (let i = 0; i < 10; i++) {
      if ((this.byte(what) & 0x80) === 0) return;
    }
    this.fail(start, `${what} (a u64 LEB128)`, 'more than 10 bytes');
  }

  string(what: string): string {
    const length = this.u32(`the length of ${what}`);
    const start = this.offset;
    const end = start + length;
    if (end > this.limit) this.fail(start, `${what} of ${length} bytes`, this.endDescription());
    this.offset = end;
    try {
      return Reader.utf8.decode(this.bytes.subarray(start, end));
    } catch {
      return this.fail(start, `${what} in UTF-8`, 'invalid UTF-8');
    }
  }

  /** Moves past `length` bytes without looking at them. */
  skip(length: number, what: string): void {
    const end = this.offset + length;
    if (end > this.limit) this.fail(this.offset, `${what} of ${length} bytes`, this.endDescription());
    this.offset = end;
  }

  /**
   * 0x00 and 0x01 are the same plain name (0x01 is what older encoders wrote for interface names).
   * 0x02 adds options: `implements` (0x00) and an external id (0x02) only decorate the name; a
   * version suffix (0x01, wasm-tools' `cm-canon-names`) completes a semver track such as
   * `wasi:cli/exit@0.2` with `.6`, and is appended so that names always carry their full version.
   */
  externName(): string {
    const tag = this.byte('a name tag (00, 01 or 02)', [0x00, 0x01, 0x02]);
    let name = this.string('a name');
    if (tag === 0x02) {
      const count = this.u32('a name attribute count');
      for (let i = 0; i < count; i++) {
        const option = this.byte('a name attribute tag (00, 01 or 02)', [0x00, 0x01, 0x02]);
        const value = this.string('a name attribute');
        if (option === 0x01) name += value;
      }
    }
    return name;
  }

  /** `sort ::= 0x00 cs:<core:sort> | 0x01 … 0x05`. */
  sort(): { sort: Sort; coreSort?: number } {
    const byte = this.byte('a sort (00 to 05)', [0x00, 0x01, 0x02, 0x03, 0x04, 0x05]);
    const sort = SORTS[byte]!;
    if (sort === 'core') return { sort, coreSort: this.byte('a core sort') };
    return { sort };
  }

  sortIdx(): SortIdx {
    const { sort, coreSort } = this.sort();
    const at = this.offset;
    const index = this.u32('a sort index');
    return coreSort === undefined ? { sort, index, at } : { sort, coreSort, index, at };
  }

  /**
   * Skips an `externdesc` (import and export types). Values carry a plain valtype, as wasm-tools
   * reads them, not the spec's newer value bound.
   */
  skipExternDesc(): void {
    const kind = this.byte('an extern type (00 to 05)', [0x00, 0x01, 0x02, 0x03, 0x04, 0x05]);
    switch (kind) {
      case 0x00:
        this.byte('the core module sort 0x11', [0x11]);
        this.u32('a core type index');
        return;
      case 0x02:
        this.skipValType('a value type');
        return;
      case 0x03:
        if (this.byte('a type bound (00 or 01)', [0x00, 0x01]) === 0x00) this.u32('a type index');
        return;
      default:
        this.u32('a type index');
    }
  }

  /** A valtype is a primitive byte or a non-negative s33 type index. */
  skipValType(what: string): void {
    const b = this.peek();
    if (b !== undefined && isPrimitiveValTypeByte(b)) {
      this.offset++;
      return;
    }
    const at = this.offset;
    if (this.s33(what) < 0) this.fail(at, what, 'a negative type index');
  }
}

/** `primvaltype`: 0x73 to 0x7f, and 0x64 (error-context). */
export function isPrimitiveValTypeByte(b: number): boolean {
  return (b >= 0x73 && b <= 0x7f) || b === 0x64;
}

export function hex(bytes: ArrayLike<number>): string {
  if (bytes.length === 0) return 'nothing';
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
