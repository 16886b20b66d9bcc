import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { WtoolsContext, push } from '../../lib/index.js';
import { type Descriptor, MediaType, OciLayout, listReferrers, referrersTag } from '../../lib/oci/index.js';
import { describeRun, jsonOf, runCli, uniqueRepo } from '../harness/cli.js';
import { fixturePath } from '../harness/fixtures.js';
import {
  type Content,
  blob,
  emptyConfig,
  imageManifest,
  inspectLayout,
  pushAll,
  readLayoutIndex,
  repository,
} from '../harness/oci.js';

const registry = inject('registryHost');
const SIGSTORE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SBOM = 'application/spdx+json';

let tempDirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wtools-int-ref-'));
  tempDirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  tempDirs = [];
});

/** A small referrer manifest of `artifactType` about `subject`: empty config, one layer. */
function referrer(
  subject: Descriptor,
  artifactType: string,
  payload: string,
): { layer: Content; manifest: Content } {
  const layer = blob(artifactType, payload);
  const manifest = imageManifest({
    artifactType,
    config: emptyConfig().descriptor,
    layers: [layer.descriptor],
    subject,
    annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
  });
  return { layer, manifest };
}

describe('integration: referrers on a registry without the referrers API', () => {
  it('keeps every referrer in the fallback index, and copy --with-referrers takes them along', async () => {
    const dir = await tempDir();
    const env = { WTOOLS_HOME: path.join(dir, 'home'), HOME: dir };
    const context = new WtoolsContext({ env });
    const name = uniqueRepo('referrers');
    const ref = `${registry}/${name}:1`;
    const pushed = await push(context, await fixturePath('hello'), ref);
    const repo = repository(registry, name);
    const subject = await repo.resolve('1');
    expect(subject.digest).toBe(pushed.digest);

    const first = referrer(subject, SIGSTORE, '{"bundle":"first"}');
    const second = referrer(subject, SIGSTORE, '{"bundle":"second"}');
    const sbom = referrer(subject, SBOM, '{"spdxVersion":"SPDX-2.3"}');
    await pushAll(repo, emptyConfig(), first.layer, first.manifest);
    await pushAll(repo, second.layer, second.manifest);

    // distribution 2.8 has no referrers API: the client fell back to the sha256-<hex> tag.
    expect(await repo.referrersApi(subject.digest)).toBeUndefined();
    expect(await repo.tags()).toContain(referrersTag(subject.digest));
    const listed = await listReferrers(repo, subject.digest);
    expect(listed.map((d) => d.digest)).toEqual([
      first.manifest.descriptor.digest,
      second.manifest.descriptor.digest,
    ]);
    for (const descriptor of listed) {
      expect(descriptor).toMatchObject({ mediaType: MediaType.ociManifest, artifactType: SIGSTORE });
      expect(descriptor.annotations).toEqual({ 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' });
    }

    // A fresh client (another process, say) sees the same list; a third kind is added, filterable.
    const other = repository(registry, name);
    await pushAll(other, sbom.layer, sbom.manifest);
    expect((await listReferrers(other, subject.digest)).map((d) => d.digest)).toEqual([
      first.manifest.descriptor.digest,
      second.manifest.descriptor.digest,
      sbom.manifest.descriptor.digest,
    ]);
    expect((await listReferrers(other, subject.digest, SBOM)).map((d) => d.digest)).toEqual([
      sbom.manifest.descriptor.digest,
    ]);
    // Pushing the same referrer again does not duplicate it.
    await pushAll(other, first.manifest);
    expect(await listReferrers(repository(registry, name), subject.digest)).toHaveLength(3);

    // A referrer of a referrer (a signature on the SBOM) is copied too.
    const nested = referrer(sbom.manifest.descriptor, SIGSTORE, '{"bundle":"on-the-sbom"}');
    await pushAll(other, nested.layer, nested.manifest);

    const layoutDir = path.join(dir, 'mirror');
    const copied = await runCli(['copy', '--with-referrers', ref, `oci:${layoutDir}:1`, '--json'], { env });
    expect(copied.code, describeRun(copied)).toBe(0);
    expect(jsonOf(copied)).toMatchObject({ digest: subject.digest, destination: `oci:${layoutDir}:1` });

    const layout = new OciLayout(layoutDir);
    expect((await listReferrers(layout, subject.digest)).map((d) => d.digest).sort()).toEqual(
      [first, second, sbom].map((r) => r.manifest.descriptor.digest).sort(),
    );
    expect((await listReferrers(layout, sbom.manifest.descriptor.digest)).map((d) => d.digest)).toEqual([
      nested.manifest.descriptor.digest,
    ]);
    const names = (await readLayoutIndex(layoutDir)).manifests.map(
      (d) => d.annotations?.['org.opencontainers.image.ref.name'],
    );
    expect(names).toContain('1');
    expect(names).toContain(referrersTag(subject.digest));
    const blobs = await inspectLayout(layoutDir);
    expect(blobs.corrupt).toEqual([]);
    expect(blobs.leftovers).toEqual([]);
    for (const r of [first, second, sbom, nested]) {
      expect(blobs.blobs).toContain(r.manifest.descriptor.digest);
      expect(blobs.blobs).toContain(r.layer.descriptor.digest);
    }
    expect(blobs.blobs).toContain(emptyConfig().descriptor.digest);

    // Without --with-referrers only the artifact itself is copied.
    const plainDir = path.join(dir, 'plain');
    const plain = await runCli(['copy', ref, `oci:${plainDir}:1`], { env });
    expect(plain.code, describeRun(plain)).toBe(0);
    expect(await listReferrers(new OciLayout(plainDir), subject.digest)).toEqual([]);
    expect((await inspectLayout(plainDir)).blobs).toHaveLength(3);
  });
});
