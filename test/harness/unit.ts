/**
 * Small helpers for unit tests: per-test temp dirs, assertions on WtoolsError codes, content
 * builders, streams, and a minimal ustar writer for tar-packaged components.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, onTestFinished } from 'vitest';
import { type WtoolsError, concatBytes, isWtoolsError, sha256 } from '../../lib/core/index.js';
import type { ErrorCode } from '../../lib/core/index.js';
import { type Descriptor, encodeJson } from '../../lib/oci/index.js';

/** A fresh temp dir, removed when the current test finishes. */
export async function tempDir(prefix = 'wtools-unit-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Awaits a rejection (or a throwing function) and checks it is a WtoolsError with this code. */
export async function expectCode(
  action: Promise<unknown> | (() => unknown),
  code: ErrorCode,
): Promise<WtoolsError> {
  let error: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (err) {
    error = err;
  }
  expect(error, `expected a WtoolsError ${code}, nothing was thrown`).toBeDefined();
  expect(isWtoolsError(error), `expected a WtoolsError ${code}, got ${String(error)}`).toBe(true);
  expect((error as WtoolsError).code, (error as Error).message).toBe(code);
  return error as WtoolsError;
}

export function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

export interface Content {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

export function content(mediaType: string, data: Uint8Array | string | object): Content {
  const bytes = typeof data === 'string' ? text(data) : data instanceof Uint8Array ? data : encodeJson(data);
  return { descriptor: { mediaType, digest: sha256(bytes), size: bytes.byteLength }, bytes };
}

/** A stream delivering these chunks, one per pull. */
export function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  });
}

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return concatBytes(chunks);
}

/** A ustar archive of regular files (names up to 100 bytes). */
export function ustar(files: { name: string; data: Uint8Array | string }[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const file of files) {
    const data = typeof file.data === 'string' ? text(file.data) : file.data;
    const header = new Uint8Array(512);
    const put = (offset: number, value: string) => header.set(text(value), offset);
    put(0, file.name);
    put(100, '0000644\0');
    put(108, '0000000\0');
    put(116, '0000000\0');
    put(124, `${data.byteLength.toString(8).padStart(11, '0')}\0`);
    put(136, '00000000000\0');
    put(148, '        ');
    put(156, '0');
    put(257, 'ustar\0');
    put(263, '00');
    const checksum = header.reduce((sum, b) => sum + b, 0);
    put(148, `${checksum.toString(8).padStart(6, '0')}\0 `);
    blocks.push(header, data, new Uint8Array((512 - (data.byteLength % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  return concatBytes(blocks);
}

export function gzip(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(gzipSync(bytes));
}
