/**
 * wasi:io — streams, pollables and errors. Every stream here is synchronous and always ready: the
 * guest runs on its own worker thread, so blocking it is how WASI's blocking calls are meant to work.
 */
import { fail } from './result.js';

export class IoError {
  readonly message: string;
  /** The wasi:filesystem error code, when the failure came from a file. */
  readonly filesystemCode: string | undefined;
  constructor(message: string, filesystemCode?: string) {
    this.message = message;
    this.filesystemCode = filesystemCode;
  }
  toDebugString(): string {
    return this.message;
  }
}

export class Pollable {
  readonly #wait: (() => void) | undefined;
  readonly #isReady: (() => boolean) | undefined;
  constructor(isReady?: () => boolean, wait?: () => void) {
    this.#isReady = isReady;
    this.#wait = wait;
  }
  ready(): boolean {
    return this.#isReady ? this.#isReady() : true;
  }
  block(): void {
    if (!this.ready()) this.#wait?.();
  }
}

/** poll: blocks until at least one is ready, then lists the ready ones. */
function poll(pollables: Pollable[]): Uint32Array {
  if (pollables.length === 0) fail('poll of an empty list');
  for (;;) {
    const ready = pollables.flatMap((p, i) => (p.ready() ? [i] : []));
    if (ready.length > 0) return Uint32Array.from(ready);
    // Only timers are ever not ready; waiting on the first one is enough to make progress.
    pollables[0]!.block();
  }
}

export interface InputSource {
  /** Up to `max` bytes; an empty array at the end of the stream. */
  read(max: number): Uint8Array;
}

export interface OutputSink {
  /** Throws an IoError to fail the write; bytes are taken whole or not at all. */
  write(bytes: Uint8Array): void;
}

const MAX_READ = 1024 * 1024;
const WRITE_BUDGET = 1024n * 1024n;

function streamFailure(err: unknown): never {
  if (err instanceof IoError) fail({ tag: 'last-operation-failed', val: err });
  throw err;
}

export class InputStream {
  readonly #source: InputSource;
  #closed = false;
  constructor(source: InputSource) {
    this.#source = source;
  }
  read(len: bigint): Uint8Array {
    if (this.#closed) fail({ tag: 'closed' });
    let bytes: Uint8Array;
    try {
      bytes = this.#source.read(Number(len > BigInt(MAX_READ) ? BigInt(MAX_READ) : len));
    } catch (err) {
      streamFailure(err);
    }
    if (bytes.length === 0 && len > 0n) {
      this.#closed = true;
      fail({ tag: 'closed' });
    }
    return bytes;
  }
  blockingRead(len: bigint): Uint8Array {
    return this.read(len);
  }
  skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }
  blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }
  subscribe(): Pollable {
    return new Pollable();
  }
}

export class OutputStream {
  readonly #sink: OutputSink;
  constructor(sink: OutputSink) {
    this.#sink = sink;
  }
  checkWrite(): bigint {
    return WRITE_BUDGET;
  }
  write(contents: Uint8Array): void {
    try {
      this.#sink.write(contents);
    } catch (err) {
      streamFailure(err);
    }
  }
  blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
  }
  flush(): void {}
  blockingFlush(): void {}
  subscribe(): Pollable {
    return new Pollable();
  }
  writeZeroes(len: bigint): void {
    this.write(new Uint8Array(Number(len)));
  }
  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }
  splice(src: InputStream, len: bigint): bigint {
    const bytes = src.read(len);
    this.write(bytes);
    return BigInt(bytes.length);
  }
  blockingSplice(src: InputStream, len: bigint): bigint {
    return this.splice(src, len);
  }
}

export const EMPTY_SOURCE: InputSource = { read: () => new Uint8Array(0) };

export function ioImports(): Record<string, Record<string, unknown>> {
  return {
    'wasi:io/error': { Error: IoError },
    'wasi:io/poll': { Pollable, poll },
    'wasi:io/streams': { InputStream, OutputStream },
  };
}
