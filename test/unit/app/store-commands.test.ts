import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { pull } from '../../../lib/app/pull.js';
import { collectGarbage, listStored, removeStored } from '../../../lib/app/store-commands.js';
import { type Digest, bytesStream } from '../../../lib/core/index.js';
import { MediaType, REF_NAME_ANNOTATION, referrersTag } from '../../../lib/oci/index.js';
import { type AppSetup, appSetup, publishComponent, storeBlobs } from '../../harness/app.js';
import { fixtureWasm } from '../../harness/fixtures.js';
import { content, expectCode } from '../../harness/unit.js';

/** Pulls hello as two names (a tag and its digest) and imports as a third. */
async function populated(): Promise<AppSetup & { hello: Digest; imports: Digest; importsLayer: Digest }> {
  const setup = await appSetup();
  const hello = publishComponent(setup.registry, 'org/hello', '1.0', await fixtureWasm('hello'));
  const imports = publishComponent(setup.registry, 'org/imports', '2.0', await fixtureWasm('imports'));
  await pull(setup.context, 'registry.test/org/hello:1.0');
  await pull(setup.context, `registry.test/org/hello@${hello.manifest.digest}`);
  await pull(setup.context, 'registry.test/org/imports:2.0');
  return {
    ...setup,
    hello: hello.manifest.digest,
    imports: imports.manifest.digest,
    importsLayer: imports.layer.digest,
  };
}

describe('ls', () => {
  it('lists every name sorted, with sizes and completeness', async () => {
    const { context, hello, imports } = await populated();
    const listed = await listStored(context);
    expect(listed.map((e) => [e.name, e.digest, e.complete])).toEqual([
      ['registry.test/org/hello:1.0', hello, true],
      [`registry.test/org/hello@${hello}`, hello, true],
      ['registry.test/org/imports:2.0', imports, true],
    ]);
    expect(listed.every((e) => e.size > 0 && e.source?.startsWith('registry.test/'))).toBe(true);
  });

  it('marks an entry incomplete when a blob it needs is gone', async () => {
    const { context, importsLayer } = await populated();
    await rm(context.store.blobPath(importsLayer));
    const listed = await listStored(context);
    expect(listed.find((e) => e.name === 'registry.test/org/imports:2.0')?.complete).toBe(false);
    expect(listed.find((e) => e.name === 'registry.test/org/hello:1.0')?.complete).toBe(true);
  });

  it('does not list referrer index tags', async () => {
    const { context, hello } = await populated();
    const subject = await context.store.resolve(hello);
    const config = content(MediaType.ociEmpty, '{}');
    const sig = content(MediaType.ociManifest, {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType: 'application/vnd.example.sig',
      config: config.descriptor,
      layers: [],
      subject,
    });
    await context.store.push(config.descriptor, bytesStream(config.bytes));
    await context.store.push(sig.descriptor, bytesStream(sig.bytes));
    expect(await context.store.tags()).toContain(referrersTag(hello));
    expect((await listStored(context)).map((e) => e.name)).not.toContain(referrersTag(hello));
  });
});

describe('rm', () => {
  it('removes one name by reference, in any spelling of it', async () => {
    const { context } = await populated();
    const removed = await removeStored(context, 'registry.test/org/hello:1.0');
    expect(removed.map((e) => e.name)).toEqual(['registry.test/org/hello:1.0']);
    expect((await listStored(context)).map((e) => e.name)).toHaveLength(2);
    await expectCode(removeStored(context, 'registry.test/org/hello:1.0'), 'NOT_FOUND');
  });

  it('accepts docker.io defaults when matching names', async () => {
    const { context, registry } = await appSetup();
    const hello = await fixtureWasm('hello');
    publishComponent(registry, 'org/hello', '1.0', hello);
    await pull(context, 'registry.test/org/hello:1.0');
    // A name as stored in the layout, then the same content under a docker.io-style name.
    const entry = (await context.store.entries())[0]!;
    await context.store.tag(entry.descriptor, 'docker.io/library/hello:1.0');
    const removed = await removeStored(context, 'hello:1.0');
    expect(removed.map((e) => e.name)).toEqual(['docker.io/library/hello:1.0']);
  });

  it('removes every name of a digest', async () => {
    const { context, hello } = await populated();
    const removed = await removeStored(context, hello);
    expect(removed.map((e) => e.name).sort()).toEqual(
      ['registry.test/org/hello:1.0', `registry.test/org/hello@${hello}`].sort(),
    );
    expect((await listStored(context)).map((e) => e.name)).toEqual(['registry.test/org/imports:2.0']);
  });

  it('removes by a unique digest prefix of at least 12 hex digits', async () => {
    const { context, imports } = await populated();
    const prefix = imports.slice('sha256:'.length, 'sha256:'.length + 12);
    const removed = await removeStored(context, prefix);
    expect(removed.map((e) => e.name)).toEqual(['registry.test/org/imports:2.0']);
    // Fewer digits are not a prefix but a name, which matches nothing.
    await expectCode(removeStored(context, prefix.slice(0, 8)), 'NOT_FOUND');
  });

  it('refuses a prefix that matches two digests, and removes nothing', async () => {
    const { context } = await populated();
    // Two digests sharing 12 leading digits cannot be made by hashing; write the entries directly.
    const shared = 'abcdef012345';
    const fake = (fill: string, name: string) => ({
      mediaType: MediaType.ociManifest,
      digest: `sha256:${shared}${fill.repeat(52)}` as Digest,
      size: 1,
      annotations: { [REF_NAME_ANNOTATION]: name },
    });
    await context.store.updateIndex((manifests) => [...manifests, fake('0', 'x:1'), fake('1', 'x:2')]);
    const err = await expectCode(removeStored(context, shared), 'INVALID_ARGUMENT');
    expect(err.message).toContain('matches 2 different digests');
    expect(await context.store.tags()).toHaveLength(5);
  });

  it('reports a reference nothing matches as NOT_FOUND', async () => {
    const { context } = await populated();
    const err = await expectCode(removeStored(context, 'registry.test/org/none:1'), 'NOT_FOUND');
    expect(err.message).toContain('wtools ls');
    expect(await context.store.tags()).toHaveLength(3);
  });

  it('takes the referrer index of a digest no name keeps any more', async () => {
    const { context, hello } = await populated();
    const subject = await context.store.resolve(hello);
    const config = content(MediaType.ociEmpty, '{}');
    const sig = content(MediaType.ociManifest, {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: config.descriptor,
      layers: [],
      subject,
    });
    await context.store.push(config.descriptor, bytesStream(config.bytes));
    await context.store.push(sig.descriptor, bytesStream(sig.bytes));
    await removeStored(context, 'registry.test/org/hello:1.0');
    expect(await context.store.tags()).toContain(referrersTag(hello));
    await removeStored(context, hello);
    expect(await context.store.tags()).not.toContain(referrersTag(hello));
  });
});

describe('gc', () => {
  it('removes the blobs of removed names only', async () => {
    const { context, hello } = await populated();
    const before = await storeBlobs(context);
    expect(before).toHaveLength(6);
    await removeStored(context, hello);
    expect((await collectGarbage(context)).removedBlobs).toBe(0); // young blobs are kept by default
    const result = await collectGarbage(context, { graceMs: 0 });
    expect(result.removedBlobs).toBe(3);
    expect(await storeBlobs(context)).toHaveLength(3);
    const listed = await listStored(context);
    expect(listed.map((e) => [e.name, e.complete])).toEqual([['registry.test/org/imports:2.0', true]]);
  });
});
