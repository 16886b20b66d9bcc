import { describe, expect, it } from 'vitest';
import {
  DigestVerifier,
  bytesStream,
  digestAlgorithm,
  digestHex,
  digestOf,
  isDigest,
  parseDigest,
  readVerified,
  sha256,
  verifyingStream,
} from '../../../lib/core/index.js';
import { expectCode, readAll, streamOf, text } from '../../harness/unit.js';

const DATA = text('hello, wtools');
const DIGEST = sha256(DATA);

describe('digests', () => {
  it('accepts sha256 and sha512 in lowercase hex only', () => {
    expect(isDigest(DIGEST)).toBe(true);
    expect(isDigest(digestOf(DATA, 'sha512'))).toBe(true);
    expect(isDigest(DIGEST.toUpperCase())).toBe(false);
    expect(isDigest(`md5:${'a'.repeat(32)}`)).toBe(false);
    expect(isDigest(`sha256:${'a'.repeat(63)}`)).toBe(false);
    expect(digestAlgorithm(digestOf(DATA, 'sha512'))).toBe('sha512');
    expect(digestHex(DIGEST)).toHaveLength(64);
  });

  it('parseDigest names the expected form', async () => {
    const err = await expectCode(() => parseDigest('sha256:xyz'), 'INVALID_DIGEST');
    expect(err.message).toContain('sha256:<64 lowercase hex>');
    expect(err.message).toContain('"sha256:xyz"');
  });
});

describe('DigestVerifier', () => {
  it('passes matching content delivered in pieces', () => {
    const verifier = new DigestVerifier({ digest: DIGEST, size: DATA.byteLength });
    verifier.update(DATA.subarray(0, 3));
    verifier.update(DATA.subarray(3));
    expect(() => verifier.finish()).not.toThrow();
  });

  it('reports a digest mismatch with both digests', async () => {
    const other = text('hello, wtoolz');
    const verifier = new DigestVerifier({ digest: DIGEST, size: other.byteLength, what: 'blob X' });
    verifier.update(other);
    const err = await expectCode(() => verifier.finish(), 'DIGEST_MISMATCH');
    expect(err.message).toContain('blob X');
    expect(err.details).toEqual({ expected: DIGEST, actual: sha256(other) });
  });

  it('reports truncated content as SIZE_MISMATCH with the counts', async () => {
    const verifier = new DigestVerifier({ digest: DIGEST, size: DATA.byteLength });
    verifier.update(DATA.subarray(0, 5));
    const err = await expectCode(() => verifier.finish(), 'SIZE_MISMATCH');
    expect(err.message).toContain(`expected ${DATA.byteLength} bytes, received 5`);
  });

  it('stops at the first byte past the expected size', async () => {
    const verifier = new DigestVerifier({ digest: DIGEST, size: DATA.byteLength });
    verifier.update(DATA);
    await expectCode(() => verifier.update(new Uint8Array(1)), 'SIZE_MISMATCH');
  });

  it('refuses more than maxSize as SIZE_EXCEEDED even when the descriptor claims more', async () => {
    const verifier = new DigestVerifier({ digest: DIGEST, size: 1000, maxSize: 10 });
    verifier.update(new Uint8Array(10));
    const err = await expectCode(() => verifier.update(new Uint8Array(1)), 'SIZE_EXCEEDED');
    expect(err.message).toContain('at most 10 bytes');
  });
});

describe('verifyingStream and readVerified', () => {
  it('passes verified bytes through unchanged', async () => {
    const out = await readAll(
      verifyingStream(streamOf(DATA.subarray(0, 4), DATA.subarray(4)), {
        digest: DIGEST,
        size: DATA.byteLength,
      }),
    );
    expect(Buffer.from(out).equals(Buffer.from(DATA))).toBe(true);
    expect(await readVerified(bytesStream(DATA), { digest: DIGEST, size: DATA.byteLength })).toEqual(DATA);
  });

  it('errors instead of ending on tampered content', async () => {
    const tampered = new Uint8Array(DATA);
    tampered[0] = 0x48;
    await expectCode(
      readVerified(bytesStream(tampered), { digest: DIGEST, size: DATA.byteLength }),
      'DIGEST_MISMATCH',
    );
  });

  it('errors on truncated content', async () => {
    await expectCode(
      readVerified(bytesStream(DATA.subarray(0, 8)), { digest: DIGEST, size: DATA.byteLength }),
      'SIZE_MISMATCH',
    );
  });

  it('errors on overlong content before the extra bytes are delivered', async () => {
    const seen: number[] = [];
    const stream = verifyingStream(streamOf(DATA, text('more')), { digest: DIGEST, size: DATA.byteLength });
    const reader = stream.getReader();
    const first = await reader.read();
    seen.push(first.value?.byteLength ?? 0);
    await expectCode(reader.read(), 'SIZE_MISMATCH');
    expect(seen).toEqual([DATA.byteLength]);
  });

  it('enforces maxSize while streaming', async () => {
    const big = new Uint8Array(64);
    await expectCode(
      readVerified(streamOf(big.subarray(0, 32), big.subarray(32)), {
        digest: sha256(big),
        size: 64,
        maxSize: 40,
      }),
      'SIZE_EXCEEDED',
    );
  });

  it('accepts empty content of size 0', async () => {
    const empty = new Uint8Array(0);
    expect(await readVerified(bytesStream(empty), { digest: sha256(empty), size: 0 })).toHaveLength(0);
  });
});
