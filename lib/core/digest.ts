import { createHash, type Hash } from 'node:crypto';
import { OciError, WtoolsError } from './errors.js';

declare const digestBrand: unique symbol;
/** A content digest `algorithm:hex`, validated. Only sha256 and sha512 are accepted. */
export type Digest = string & { readonly [digestBrand]: true };

const DIGEST_PATTERN = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(value: string): value is Digest {
  return DIGEST_PATTERN.test(value);
}

export function parseDigest(value: string): Digest {
  if (!isDigest(value)) {
    throw new WtoolsError(
      'INVALID_DIGEST',
      `expected a digest "sha256:<64 lowercase hex>" or "sha512:<128 lowercase hex>", found "${value}"`,
    );
  }
  return value;
}

export function digestAlgorithm(digest: Digest): 'sha256' | 'sha512' {
  return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}

export function digestHex(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

export function sha256(bytes: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
}

export function digestOf(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}` as Digest;
}

export interface Expected {
  digest: Digest;
  size: number;
  /** Refuse anything larger than this, whatever `size` says. */
  maxSize?: number;
  /** Names the content in errors: "blob sha256:… of ghcr.io/x/y". */
  what?: string;
}

/**
 * Checks content while it streams: stops at the first byte past the expected size and fails at
 * the end if the size or digest differ. Nothing downstream of this sees unverified bytes complete.
 */
export class DigestVerifier {
  private readonly hash: Hash;
  private seen = 0;
  constructor(private readonly expected: Expected) {
    this.hash = createHash(digestAlgorithm(expected.digest));
  }

  update(chunk: Uint8Array): void {
    this.seen += chunk.byteLength;
    const limit = Math.min(this.expected.size, this.expected.maxSize ?? Infinity);
    if (this.seen > limit) {
      const what = this.expected.what ?? this.expected.digest;
      if (this.expected.maxSize !== undefined && this.seen > this.expected.maxSize) {
        throw new OciError(
          'SIZE_EXCEEDED',
          `${what}: expected at most ${this.expected.maxSize} bytes, received more`,
        );
      }
      throw new OciError('SIZE_MISMATCH', `${what}: expected ${this.expected.size} bytes, received more`);
    }
    this.hash.update(chunk);
  }

  finish(): void {
    const what = this.expected.what ?? this.expected.digest;
    if (this.seen !== this.expected.size) {
      throw new OciError(
        'SIZE_MISMATCH',
        `${what}: expected ${this.expected.size} bytes, received ${this.seen} (truncated)`,
      );
    }
    const actual = `${digestAlgorithm(this.expected.digest)}:${this.hash.digest('hex')}`;
    if (actual !== this.expected.digest) {
      throw new OciError(
        'DIGEST_MISMATCH',
        `${what}: expected digest ${this.expected.digest}, found ${actual}`,
        {
          details: { expected: this.expected.digest, actual },
        },
      );
    }
  }
}

/** Wraps a stream so that it errors instead of ending when size or digest do not match. */
export function verifyingStream(
  source: ReadableStream<Uint8Array>,
  expected: Expected,
): ReadableStream<Uint8Array> {
  const verifier = new DigestVerifier(expected);
  return source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        verifier.update(chunk);
        controller.enqueue(chunk);
      },
      flush() {
        verifier.finish();
      },
    }),
  );
}

/** Reads a whole stream into memory, verified; for manifests and configs (small, bounded by maxSize). */
export async function readVerified(
  source: ReadableStream<Uint8Array>,
  expected: Expected,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of verifyingStream(source, expected)) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  return concatBytes(chunks, total);
}

export function concatBytes(chunks: readonly Uint8Array[], total?: number): Uint8Array {
  const out = new Uint8Array(total ?? chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

export function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}
