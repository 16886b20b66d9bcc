/**
 * Just enough of the WebAssembly binary format to tell components from core modules and to list a
 * component's top-level imports and exports without instantiating or validating it. Layout follows
 * the Component Model's Binary.md; where the spec and wasm-tools disagree, wasm-tools wins because it
 * writes the binaries we read.
 */
import { ComponentError } from '../core/index.js';
import { MAGIC, PREAMBLE_SIZE, Reader, hex } from './reader.js';

export type WasmKind = 'component' | 'core-module' | 'unknown';

export interface ComponentNames {
  imports: string[];
  exports: string[];
}

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

/** The extern sort of a type (`(import "name" (type …))`). */
const EXTERN_TYPE = 0x03;

/**
 * Names of the top-level imports and exports, in binary order. Nested modules and components are
 * skipped by their section size, so this costs one pass over section headers plus the two sections.
 */
export function readComponentNames(bytes: Uint8Array): ComponentNames {
  if (wasmKind(bytes) !== 'component') {
    throw new ComponentError('NOT_A_COMPONENT', `the binary ${describeNotComponent(bytes)}`);
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
      const section = new Reader(bytes, reader.offset, end);
      const list = id === SECTION_IMPORT ? names.imports : names.exports;
      const count = section.u32('an entry count');
      for (let i = 0; i < count; i++) {
        const name = section.externName();
        if (id === SECTION_EXPORT) {
          list.push(name);
          section.sortIdx();
          if (section.byte('an optional export type (00 or 01)', [0x00, 0x01]) === 0x01) {
            section.skipExternDesc();
          }
        } else {
          // A type import (a world's own record or enum) names a shape, not something to provide.
          if (bytes[section.offset] !== EXTERN_TYPE) list.push(name);
          section.skipExternDesc();
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
