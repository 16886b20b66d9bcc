/**
 * Caps a core module's linear memory by rewriting the maximum of every memory it defines or
 * imports. Worker resource limits do not cover wasm memory, and V8's flag for it is process-wide;
 * with the maximum in the module itself, `memory.grow` past the cap fails inside the guest (malloc
 * returns NULL) instead of the host running out of memory.
 */
import { RuntimeError } from '../core/index.js';

const PAGE = 64 * 1024;
const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;

export function capMemory(module: Uint8Array, maxBytes: number, name: string): Uint8Array {
  const maxPages = Math.max(1, Math.floor(maxBytes / PAGE));
  const out: number[][] = [Array.from(module.subarray(0, 8))];
  let offset = 8;
  const readU32 = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = module[offset++];
      if (byte === undefined) throw malformed(name, offset);
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw malformed(name, offset);
    }
  };
  while (offset < module.length) {
    const id = module[offset++]!;
    const size = readU32();
    const start = offset;
    const end = start + size;
    if (end > module.length) throw malformed(name, offset);
    if (id === SECTION_IMPORT || id === SECTION_MEMORY) {
      const body = rewriteSection(module, start, end, id, maxPages, name);
      out.push([id, ...uleb(body.length), ...body]);
    } else {
      out.push([id, ...uleb(size)], Array.from(module.subarray(start, end)));
    }
    offset = end;
  }
  const total = out.reduce((n, part) => n + part.length, 0);
  const result = new Uint8Array(total);
  let at = 0;
  for (const part of out) {
    result.set(part, at);
    at += part.length;
  }
  return result;
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
