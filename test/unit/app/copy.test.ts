import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../lib/core/index.js';
import { copyReference } from '../../../lib/app/copy.js';
import { MediaType, OciLayout, listReferrers } from '../../../lib/oci/index.js';
import { appSetup, publishComponent } from '../../harness/app.js';
import { fixtureWasm } from '../../harness/fixtures.js';
import { expectCode, tempDir } from '../../harness/unit.js';

describe('copyReference', () => {
  it('copies registry → layout → registry, keeping the tag unless another is given', async () => {
    const { registry, context } = await appSetup();
    const published = publishComponent(registry, 'org/hello', '1.0', await fixtureWasm('hello'));
    const dir = await tempDir('wtools-copy-app-');

    const out = await copyReference(context, 'registry.test/org/hello:1.0', `oci:${dir}`);
    expect(out).toEqual({
      source: 'registry.test/org/hello:1.0',
      destination: `oci:${dir}:1.0`,
      digest: published.manifest.digest,
      size: published.manifest.size,
      mediaType: MediaType.ociManifest,
    });
    expect((await new OciLayout(dir).resolve('1.0')).digest).toBe(published.manifest.digest);

    const back = await copyReference(context, `oci:${dir}:1.0`, 'registry.test/org/mirror:stable');
    expect(back.destination).toBe('registry.test/org/mirror:stable');
    expect(registry.manifest('org/mirror', 'stable')?.bytes).toEqual(
      registry.manifest('org/hello', '1.0')?.bytes,
    );
  });

  it('copies by digest only when neither side has a tag', async () => {
    const { registry, context } = await appSetup();
    const published = publishComponent(registry, 'org/hello', undefined, await fixtureWasm('hello'));
    const dir = await tempDir('wtools-copy-app-');
    const out = await copyReference(
      context,
      `registry.test/org/hello@${published.manifest.digest}`,
      `oci:${dir}`,
    );
    expect(out.destination).toBe(`oci:${dir}@${published.manifest.digest}`);
    expect(await new OciLayout(dir).tags()).toEqual([]);
    expect(await new OciLayout(dir).exists(published.layer)).toBe(true);
  });

  it('brings referrers along with withReferrers', async () => {
    const { registry, context } = await appSetup();
    const published = publishComponent(registry, 'org/hello', '1.0', await fixtureWasm('hello'));
    const sig = registry.addImage('org/hello', {
      config: { mediaType: MediaType.ociEmpty, data: '{}' },
      layers: [{ mediaType: 'application/vnd.example.signature', data: 'signed' }],
      artifactType: 'application/vnd.example.signature',
      subject: published.manifest,
    });
    registry.addManifest(
      'org/hello',
      {
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [{ ...sig.manifest, artifactType: 'application/vnd.example.signature' }],
      },
      { tag: `sha256-${published.manifest.digest.slice(7)}` },
    );
    const dir = await tempDir('wtools-copy-app-');
    await copyReference(context, 'registry.test/org/hello:1.0', `oci:${dir}`, { withReferrers: true });
    const found = await listReferrers(new OciLayout(dir), published.manifest.digest);
    expect(found.map((d) => d.digest)).toEqual([sig.manifest.digest]);
  });

  it('refuses a destination named with another digest (DIGEST_MISMATCH), copying nothing', async () => {
    const { registry, context } = await appSetup();
    const published = publishComponent(registry, 'org/hello', '1.0', await fixtureWasm('hello'));
    const other = sha256('some other manifest');

    const err = await expectCode(
      copyReference(context, 'registry.test/org/hello:1.0', `registry.test/org/mirror@${other}`),
      'DIGEST_MISMATCH',
    );
    expect(err.message).toContain(published.manifest.digest);
    expect(err.message).toContain(other);
    expect(registry.matching({ path: /^\/v2\/org\/mirror\// })).toEqual([]);

    const dir = await tempDir('wtools-copy-app-');
    await expectCode(
      copyReference(context, 'registry.test/org/hello:1.0', `oci:${dir}@${other}`),
      'DIGEST_MISMATCH',
    );
    expect(await new OciLayout(dir).exists(published.layer)).toBe(false);
  });

  it('copies to a destination named with the digest the source resolves to', async () => {
    const { registry, context } = await appSetup();
    const published = publishComponent(registry, 'org/hello', '1.0', await fixtureWasm('hello'));
    const out = await copyReference(
      context,
      'registry.test/org/hello:1.0',
      `registry.test/org/mirror@${published.manifest.digest}`,
    );
    expect(out.digest).toBe(published.manifest.digest);
    expect(registry.manifest('org/mirror', published.manifest.digest)).toBeDefined();
  });
});
