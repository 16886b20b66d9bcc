import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  type SignerRequirement,
  type TrustOptions,
  WtoolsContext,
  WtoolsError,
  loadTrustContext,
  push,
  signReference,
  verifyReference,
} from '../../lib/index.js';
import { fetchManifestBytes, listReferrers, parseManifest } from '../../lib/oci/index.js';
import { generateKeyPair } from '../../lib/trust/keys.js';
import { uniqueRepo } from '../harness/cli.js';
import { fixturePath } from '../harness/fixtures.js';
import { repository } from '../harness/oci.js';

const registry = inject('registryHost');
const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

let tempDirs: string[] = [];
afterEach(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  tempDirs = [];
});

async function freshContext(): Promise<WtoolsContext> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wtools-int-sign-'));
  tempDirs.push(dir);
  return new WtoolsContext({ env: { WTOOLS_HOME: path.join(dir, 'home'), HOME: dir } });
}

async function verifyWith(context: WtoolsContext, ref: string, signers: SignerRequirement[]) {
  const options: TrustOptions = { signers };
  return verifyReference(context, ref, await loadTrustContext(context, options), options);
}

async function rejected(run: () => Promise<unknown>): Promise<WtoolsError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(WtoolsError);
    return err as WtoolsError;
  }
  throw new Error('expected a rejection');
}

describe('integration: keyed sign → verify on a real registry', () => {
  it('signs the digest the tag names, as a bundle referrer that verify finds and accepts', async () => {
    const context = await freshContext();
    const name = uniqueRepo('sign');
    const ref = `${registry}/${name}:1`;
    const pushed = await push(context, await fixturePath('hello'), ref);
    const pair = generateKeyPair();

    const signed = await signReference(context, ref, {
      key: { pem: pair.privateKeyPem },
      created: '2024-01-01T00:00:00Z',
    });
    expect(signed).toMatchObject({
      reference: ref,
      digest: pushed.digest,
      pinned: `${registry}/${name}@${pushed.digest}`,
      referrer: { artifactType: BUNDLE_TYPE, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
      signer: { method: 'key' },
    });

    // The referrer as it sits in the registry: OCI 1.1 shape, listed through the tag-schema fallback.
    const repo = repository(registry, name);
    const referrers = await listReferrers(repo, pushed.digest);
    expect(referrers.map((r) => [r.digest, r.artifactType])).toEqual([[signed.referrer.digest, BUNDLE_TYPE]]);
    const manifest = parseManifest(await fetchManifestBytes(repo, referrers[0]!), referrers[0]!.mediaType);
    expect(manifest.kind).toBe('manifest');
    expect(manifest.value).toMatchObject({
      artifactType: BUNDLE_TYPE,
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
        size: 2,
      },
      layers: [{ mediaType: BUNDLE_TYPE }],
      subject: { digest: pushed.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
      annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
    });

    const decision = await verifyWith(context, ref, [
      { kind: 'key', publicKeyPem: pair.publicKeyPem, name: 'release key' },
    ]);
    expect(decision).toMatchObject({
      digest: pushed.digest,
      status: 'verified',
      rule: 'command line',
      signer: { format: 'bundle', method: 'key', keyName: 'release key' },
    });
  });

  it('refuses the signature under another key', async () => {
    const context = await freshContext();
    const ref = `${registry}/${uniqueRepo('sign-other')}:1`;
    await push(context, await fixturePath('hello'), ref);
    await signReference(context, ref, { key: { pem: generateKeyPair().privateKeyPem } });
    const error = await rejected(() =>
      verifyWith(context, ref, [{ kind: 'key', publicKeyPem: generateKeyPair().publicKeyPem }]),
    );
    expect(['UNTRUSTED_SIGNER', 'SIGNATURE_INVALID'], error.message).toContain(error.code);
  });

  it('a moved tag is not covered by the old signature; the old digest still is', async () => {
    const context = await freshContext();
    const name = uniqueRepo('sign-moved');
    const ref = `${registry}/${name}:1`;
    const first = await push(context, await fixturePath('hello'), ref);
    const pair = generateKeyPair();
    const byKey: SignerRequirement[] = [{ kind: 'key', publicKeyPem: pair.publicKeyPem }];
    await signReference(context, ref, { key: { pem: pair.privateKeyPem } });
    expect((await verifyWith(context, ref, byKey)).digest).toBe(first.digest);

    const second = await push(context, await fixturePath('imports'), ref);
    expect(second.digest).not.toBe(first.digest);
    const error = await rejected(() => verifyWith(context, ref, byKey));
    expect(error.code, error.message).toBe('UNSIGNED');
    expect((await verifyWith(context, `${registry}/${name}@${first.digest}`, byKey)).status).toBe('verified');
  });

  it('signs a digest reference, and several signatures of one digest all stay listed', async () => {
    const context = await freshContext();
    const name = uniqueRepo('sign-digest');
    const pushed = await push(context, await fixturePath('hello'), `${registry}/${name}:1`);
    const pinned = `${registry}/${name}@${pushed.digest}`;
    const alice = generateKeyPair();
    const bob = generateKeyPair();
    const a = await signReference(context, pinned, { key: { pem: alice.privateKeyPem } });
    const b = await signReference(context, pinned, { key: { pem: bob.privateKeyPem } });
    expect(a.digest).toBe(pushed.digest);
    const listed = await listReferrers(repository(registry, name), pushed.digest);
    expect(listed.map((d) => d.digest).sort()).toEqual([a.referrer.digest, b.referrer.digest].sort());
    for (const pair of [alice, bob]) {
      const decision = await verifyWith(context, pinned, [{ kind: 'key', publicKeyPem: pair.publicKeyPem }]);
      expect(decision.status).toBe('verified');
    }
  });

  it('fails on a wrong passphrase before pushing anything', async () => {
    const context = await freshContext();
    const name = uniqueRepo('sign-pass');
    const pushed = await push(context, await fixturePath('hello'), `${registry}/${name}:1`);
    const pair = generateKeyPair('right');
    const error = await rejected(() =>
      signReference(context, `${registry}/${name}:1`, {
        key: { pem: pair.privateKeyPem, passphrase: 'wrong' },
      }),
    );
    expect(error.code).toBe('KEY_PASSPHRASE');
    expect(await listReferrers(repository(registry, name), pushed.digest)).toEqual([]);
  });
});
