/**
 * Caps a core module's linear memory by rewriting the maximum of every memory it defines or
 * imports. Worker resource limits do not cover wasm memory, and V8's flag for it is process-wide;
 * with the maximum in the module itself, `memory.grow` past the cap fails inside the guest (malloc
 * returns NULL) instead of the host running out of memory.
 */
import { open } from 'node:fs/promises';
import { RuntimeError } from '../core/index.js';

const PAGE = 64 * 1024;
const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;

/**
 * Room left after the module's bytes so the rewrite can happen in place: fresh memory is costly to
 * touch (a 12 MB copy costs more than compiling it), and a rewrite adds a few bytes at most.
 */
const SLACK = 256;

/** Reads a core module from disk with its memory capped, in the buffer it was read into. */
export async function readCappedModule(file: string, maxBytes: number, name: string): Promise<Uint8Array> {
  const handle = await open(file);
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.allocUnsafe(size + SLACK);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(buffer, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return capMemoryInPlace(buffer, read, maxBytes, name);
  } finally {
    await handle.close();
  }
}

/** `module` with every memory's maximum at most `maxBytes`; a copy, the input is left alone. */
export function capMemory(module: Uint8Array, maxBytes: number, name: string): Uint8Array {
  const buffer = new Uint8Array(module.length + SLACK);
  buffer.set(module);
  return capMemoryInPlace(buffer, module.length, maxBytes, name).slice();
}

/** Rewrites the first `length` bytes of `buffer`, using its spare room; returns a view of the result. */
function capMemoryInPlace(buffer: Uint8Array, length: number, maxBytes: number, name: string): Uint8Array {
  const maxPages = Math.max(1, Math.floor(maxBytes / PAGE));
  let offset = 8;
  const readU32 = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (offset >= length) throw malformed(name, offset);
      const byte = buffer[offset++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw malformed(name, offset);
    }
  };
  while (offset < length) {
    const sectionStart = offset;
    const id = buffer[offset++]!;
    const size = readU32();
    const start = offset;
    const end = start + size;
    if (end > length) throw malformed(name, offset);
    if (id === SECTION_IMPORT || id === SECTION_MEMORY) {
      const body = rewriteSection(buffer.subarray(0, length), start, end, id, maxPages, name);
      const section = [id, ...uleb(body.length), ...body];
      const delta = section.length - (end - sectionStart);
      if (length + delta > buffer.length) {
        throw new RuntimeError('MEMORY_LIMIT', `${name}: the memory cap grew the module past its spare room`);
      }
      buffer.copyWithin(end + delta, end, length);
      buffer.set(section, sectionStart);
      length += delta;
      offset = end + delta;
    } else {
      offset = end;
    }
  }
  return buffer.subarray(0, length);
}

function rewriteSection(
  bytes: Uint8Array,
  start: number,
  end: number,
  id: number,
  maxPages: number,
  name: string,
): number[] {
  let offset = start;
  const out: number[] = [];
  const u32 = (): number => {
    const from = offset;
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[offset++];
      if (byte === undefined || offset > end) throw malformed(name, from);
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
    }
    return result;
  };
  const copy = (from: number): void => {
    out.push(...bytes.subarray(from, offset));
  };
  const limits = (what: string): void => {
    const flags = bytes[offset++]!;
    if (flags & 0x04)
      throw new RuntimeError('MEMORY_LIMIT', `${name} uses 64-bit memory, which the runtime cannot cap`);
    const min = u32();
    const max = flags & 0x01 ? u32() : undefined;
    if (min > maxPages) {
      throw new RuntimeError(
        'MEMORY_LIMIT',
        `${name} ${what} starts at ${(min * PAGE) / 2 ** 20} MiB, above the memory limit of ${(maxPages * PAGE) / 2 ** 20} MiB`,
      );
    }
    out.push(flags | 0x01, ...uleb(min), ...uleb(Math.min(max ?? maxPages, maxPages)));
  };
  const count = u32();
  out.push(...uleb(count));
  for (let i = 0; i < count; i++) {
    if (id === SECTION_MEMORY) {
      limits('defines a memory that');
      continue;
    }
    const entryStart = offset;
    // (`offset += u32()` would read offset before u32 moves it past the length.)
    const moduleNameLength = u32();
    offset += moduleNameLength;
    const fieldNameLength = u32();
    offset += fieldNameLength;
    const kind = bytes[offset++];
    copy(entryStart);
    const descStart = offset;
    switch (kind) {
      case 0x00: // function: type index
        u32();
        copy(descStart);
        break;
      case 0x01: // table: reftype + limits
        offset++;
        {
          const flags = bytes[offset++]!;
          u32();
          if (flags & 0x01) u32();
        }
        copy(descStart);
        break;
      case 0x02:
        limits('imports a memory that');
        break;
      case 0x03: // global: valtype + mutability
        offset += 2;
        copy(descStart);
        break;
      case 0x04: // tag: attribute + type index
        offset++;
        u32();
        copy(descStart);
        break;
      default:
        throw malformed(name, entryStart);
    }
  }
  if (offset !== end) throw malformed(name, offset);
  return out;
}

function malformed(name: string, offset: number): RuntimeError {
  return new RuntimeError(
    'MEMORY_LIMIT',
    `${name} is not a well-formed core module (at byte offset ${offset})`,
  );
}

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}
