import { createRequire } from 'node:module';
import type zlib from 'node:zlib';
import { OciError } from '../core/index.js';

const BLOCK = 512;
/** A gzip layer never inflates past this: a decompression bomb is refused, not buffered. */
const MAX_INFLATED_BYTES = 256 * 1024 * 1024;

// zlib is loaded only for the rare gzip layer: start-up time matters for every command.
const requireBuiltin = createRequire(import.meta.url);
function gunzip(archive: Uint8Array, what: string): Uint8Array {
  const { gunzipSync } = requireBuiltin('node:zlib') as typeof zlib;
  try {
    return new Uint8Array(gunzipSync(archive, { maxOutputLength: MAX_INFLATED_BYTES }));
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    throw new OciError(
      'NOT_A_COMPONENT',
      `${what}: expected a gzip tar of at most ${MAX_INFLATED_BYTES} bytes unpacked, found data zlib refuses (${code})`,
      { cause: err },
    );
  }
}

export interface TarFile {
  name: string;
  bytes: Uint8Array;
}

function field(block: Uint8Array, start: number, length: number): string {
  const slice = block.subarray(start, start + length);
  const end = slice.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? slice.subarray(0, end) : slice);
}

function octal(block: Uint8Array, start: number, length: number, what: string): number {
  const text = field(block, start, length).trim();
  const value = text === '' ? 0 : Number.parseInt(text, 8);
  if (!Number.isSafeInteger(value) || value < 0 || !/^[0-7]*$/.test(text)) {
    throw new OciError('NOT_A_COMPONENT', `${what}: expected an octal size in a tar header, found "${text}"`);
  }
  return value;
}

function paxPath(data: Uint8Array): string | undefined {
  for (const record of new TextDecoder().decode(data).split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(record);
    if (match) return match[1];
  }
  return undefined;
}

/** Regular files of a (possibly gzipped) tar archive, with pax and GNU long names. */
export function readTar(archive: Uint8Array, gzip: boolean, what: string): TarFile[] {
  const bytes = gzip ? gunzip(archive, what) : archive;
  const files: TarFile[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= bytes.byteLength) {
    const header = bytes.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = octal(header, 124, 12, what);
    const type = String.fromCharCode(header[156] ?? 0);
    const dataStart = offset + BLOCK;
    if (dataStart + size > bytes.byteLength) {
      throw new OciError(
        'NOT_A_COMPONENT',
        `${what}: tar entry at byte ${offset} runs past the end of the archive`,
      );
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    if (type === 'x') longName = paxPath(data);
    else if (type === 'L') longName = field(data, 0, data.byteLength);
    else if (type === '0' || type === '\0') files.push({ name, bytes: data });
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}

/** The one .wasm file of an image layer (hyper-mcp publishes components this way). */
export function extractWasmFromTar(archive: Uint8Array, gzip: boolean, what: string): TarFile {
  const wasm = readTar(archive, gzip, what).filter((f) => f.name.endsWith('.wasm'));
  if (wasm.length === 1) return wasm[0]!;
  throw new OciError(
    'NO_WASM_LAYER',
    wasm.length === 0
      ? `${what}: the image layer holds no .wasm file`
      : `${what}: the image layer holds ${wasm.length} .wasm files (${wasm.map((f) => f.name).join(', ')}); expected one`,
  );
}
