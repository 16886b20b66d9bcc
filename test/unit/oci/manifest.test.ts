import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../lib/core/index.js';
import {
  MediaType,
  encodeJson,
  manifestMediaType,
  parseDescriptor,
  parseManifest,
  successors,
} from '../../../lib/oci/index.js';
import { expectCode, text } from '../../harness/unit.js';

const config = { mediaType: MediaType.wasmConfig, digest: sha256('config'), size: 6 };
const layer = { mediaType: MediaType.wasm, digest: sha256('layer'), size: 5 };
const imageManifest = { schemaVersion: 2, config, layers: [layer] };
const index = {
  schemaVersion: 2,
  manifests: [{ mediaType: MediaType.ociManifest, digest: sha256('m'), size: 1 }],
};

describe('parseManifest', () => {
  it('tells an index from a manifest by shape when no media type is given', () => {
    const m = parseManifest(encodeJson(imageManifest), undefined);
    expect(m.kind).toBe('manifest');
    expect(manifestMediaType(m)).toBe(MediaType.ociManifest);
    expect(successors(m)).toEqual([config, layer]);

    const i = parseManifest(encodeJson(index), 'application/json');
    expect(i.kind).toBe('index');
    expect(manifestMediaType(i)).toBe(MediaType.ociIndex);
    expect(successors(i)).toEqual(index.manifests);
  });

  it('uses the declared media type when the body has none', () => {
    expect(parseManifest(encodeJson(index), MediaType.dockerManifestList).kind).toBe('index');
    expect(parseManifest(encodeJson(imageManifest), MediaType.dockerManifest).kind).toBe('manifest');
  });

  it('keeps subject, artifactType and annotations', () => {
    const subject = { mediaType: MediaType.ociManifest, digest: sha256('s'), size: 1 };
    const m = parseManifest(
      encodeJson({
        ...imageManifest,
        mediaType: MediaType.ociManifest,
        artifactType: 'application/x-sig',
        subject,
        annotations: { a: 'b' },
      }),
      MediaType.ociManifest,
    );
    expect(m.value).toMatchObject({ subject, artifactType: 'application/x-sig', annotations: { a: 'b' } });
  });

  it('refuses a body whose media type contradicts the declared one', async () => {
    const err = await expectCode(
      () =>
        parseManifest(
          encodeJson({ ...index, mediaType: MediaType.ociIndex }),
          MediaType.ociManifest,
          'ref X',
        ),
      'MANIFEST_INVALID',
    );
    expect(err.message).toContain(`declared media type ${MediaType.ociManifest}`);
    expect(err.message).toContain(`the body says ${MediaType.ociIndex}`);
    expect(err.message).toContain('ref X');
  });

  it('refuses an unknown media type as UNSUPPORTED_MEDIA_TYPE', async () => {
    const body = encodeJson({ ...imageManifest, mediaType: 'application/vnd.example.thing+json' });
    const err = await expectCode(() => parseManifest(body, undefined), 'UNSUPPORTED_MEDIA_TYPE');
    expect(err.message).toContain('application/vnd.example.thing+json');
    await expectCode(() => parseManifest(encodeJson(imageManifest), 'text/html'), 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses what is not a schemaVersion 2 JSON object', async () => {
    await expectCode(() => parseManifest(text('{not json'), undefined), 'MANIFEST_INVALID');
    await expectCode(() => parseManifest(text('[1,2]'), undefined), 'MANIFEST_INVALID');
    await expectCode(() => parseManifest(new Uint8Array([0xff, 0xfe]), undefined), 'MANIFEST_INVALID');
    const err = await expectCode(
      () => parseManifest(encodeJson({ ...imageManifest, schemaVersion: 1 }), undefined),
      'MANIFEST_INVALID',
    );
    expect(err.message).toContain('expected schemaVersion 2, found 1');
  });

  it('refuses manifests missing their arrays', async () => {
    await expectCode(
      () => parseManifest(encodeJson({ schemaVersion: 2, config }), MediaType.ociManifest),
      'MANIFEST_INVALID',
    );
    await expectCode(
      () => parseManifest(encodeJson({ schemaVersion: 2 }), MediaType.ociIndex),
      'MANIFEST_INVALID',
    );
  });

  const badDescriptors: [string, unknown, string][] = [
    ['no media type', { digest: layer.digest, size: 1 }, 'no mediaType'],
    ['bad digest', { mediaType: MediaType.wasm, digest: 'sha256:nope', size: 1 }, 'sha256:nope'],
    ['negative size', { ...layer, size: -1 }, 'non-negative integer size'],
    ['fractional size', { ...layer, size: 1.5 }, 'non-negative integer size'],
    ['string size', { ...layer, size: '5' }, 'non-negative integer size'],
    ['not an object', 'sha256:abc', 'expected a descriptor object'],
    ['non-string annotations', { ...layer, annotations: { a: 1 } }, 'annotations'],
  ];
  for (const [label, descriptor, why] of badDescriptors) {
    it(`refuses a layer descriptor with ${label}`, async () => {
      const err = await expectCode(
        () => parseManifest(encodeJson({ ...imageManifest, layers: [descriptor] }), MediaType.ociManifest),
        'MANIFEST_INVALID',
      );
      expect(err.message).toContain('layers[0]');
      expect(err.message).toContain(why);
    });
  }

  it('refuses a bad config descriptor and a bad subject', async () => {
    await expectCode(
      () => parseManifest(encodeJson({ ...imageManifest, config: { mediaType: 'x' } }), undefined),
      'MANIFEST_INVALID',
    );
    const err = await expectCode(
      () => parseManifest(encodeJson({ ...imageManifest, subject: { mediaType: 'x', size: 1 } }), undefined),
      'MANIFEST_INVALID',
    );
    expect(err.message).toContain('subject');
  });

  it('parseDescriptor keeps platform, urls and data', () => {
    const d = parseDescriptor('d', {
      ...layer,
      platform: { architecture: 'wasm', os: 'wasip2' },
      urls: ['https://x', 3],
      data: 'bGF5ZXI=',
    });
    expect(d).toEqual({
      ...layer,
      platform: { architecture: 'wasm', os: 'wasip2' },
      urls: ['https://x'],
      data: 'bGF5ZXI=',
    });
  });
});
