/**
 * cosign 2.x legacy signatures (`sha256-<hex>.sig`: simple-signing payload layer, certificate,
 * chain and Rekor SET annotations) through the real registry, made by the in-process mock
 * Sigstore and verified by the built CLI with that Sigstore's trusted root.
 */
import { writeFile } from 'node:fs/promises';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { Digest } from '../../lib/core/index.js';
import { COSIGN_SIMPLESIGNING_MEDIA_TYPE, MediaType, cosignSignatureTag } from '../../lib/oci/index.js';
import { type Sandbox, describeRun, jsonOf, sandbox } from '../harness/cli.js';
import { blob, imageManifest, pushAll, readLayoutIndex, repository } from '../harness/oci.js';
import {
  IDENTITY,
  ISSUER,
  type VerifyJson,
  keylessFlags,
  pushHello,
  writeTrustedRoot,
} from '../harness/signing.js';
import { type LocalSigstore, startLocalSigstore } from '../unit/trust/local-sigstore.js';

const registry = inject('registryHost');

interface PullJson {
  digest: string;
  pinned: string;
  cached: boolean;
  trust: { status: string; rule: string; signer?: { format: string; method: string; identity?: string } };
}

let sigstore: LocalSigstore;
beforeAll(async () => {
  sigstore = await startLocalSigstore();
});

function payloadFor(dockerReference: string, digest: string): string {
  return JSON.stringify({
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': digest },
      type: 'cosign container image signature',
    },
    optional: null,
  });
}

/** What `cosign sign` (2.x) pushes: the `.sig` tag of `subject`, signing `payload` keylessly. */
async function pushLegacySignature(repo: string, subject: string, payload: string): Promise<void> {
  const signed = await sigstore.signLegacy({ subject, identity: IDENTITY, issuer: ISSUER, payload });
  const layer = blob(COSIGN_SIMPLESIGNING_MEDIA_TYPE, signed.payload);
  expect(layer.descriptor.digest).toBe(signed.payloadDigest);
  layer.descriptor.annotations = {
    'dev.cosignproject.cosign/signature': signed.signature,
    'dev.sigstore.cosign/certificate': signed.certificate!,
    'dev.sigstore.cosign/chain': signed.chain!,
    'dev.sigstore.cosign/bundle': signed.rekorBundle!,
  };
  const config = blob(MediaType.ociImageConfig, '{}');
  const manifest = imageManifest({ config: config.descriptor, layers: [layer.descriptor] });
  const target = repository(registry, repo);
  await pushAll(target, config, layer, manifest);
  await target.tag(manifest.descriptor, cosignSignatureTag(subject as Digest));
}

/** A freshly pushed component, signed cosign-2.x style for its own digest (or `payloadDigest`). */
async function pushedAndSigned(sb: Sandbox, prefix: string, payloadDigest?: string) {
  const { name: repo, ref, digest } = await pushHello(sb, registry, prefix);
  await pushLegacySignature(repo, digest, payloadFor(`${registry}/${repo}`, payloadDigest ?? digest));
  return { ref, repo, digest };
}

function signerFlags(root: string, identity = IDENTITY, issuer = ISSUER): string[] {
  return [...keylessFlags(identity, issuer), '--trusted-root', root, '--json'];
}

describe('e2e: cosign 2.x legacy signatures on a real registry', () => {
  it('verify accepts exactly the signer, as a cosign-legacy signature', async () => {
    const sb = await sandbox({ trustPolicy: false });
    const root = await writeTrustedRoot(sb, sigstore.trustedRootJson);
    const { ref, digest } = await pushedAndSigned(sb, 'cosign-legacy');

    const good = await sb.run(['verify', ref, ...signerFlags(root)]);
    expect(good.code, describeRun(good)).toBe(0);
    const verified = jsonOf<VerifyJson>(good);
    expect(verified.ok).toBe(true);
    expect(verified.results[0]).toMatchObject({
      ok: true,
      digest,
      rule: 'command line',
      signer: { format: 'cosign-legacy', method: 'keyless', identity: IDENTITY, issuer: ISSUER },
    });
    expect(verified.results[0]?.signer?.tlogTime).toMatch(/^\d{4}-\d\d-\d\dT/);

    for (const [identity, issuer] of [
      ['someone@example.com', ISSUER],
      [`${IDENTITY}.evil.io`, ISSUER],
      [IDENTITY, 'https://accounts.google.com'],
    ] as const) {
      const bad = await sb.run(['verify', ref, ...signerFlags(root, identity, issuer)]);
      expect(bad.code, describeRun(bad)).toBe(1);
      expect(jsonOf<VerifyJson>(bad).results[0]?.error?.code).toBe('UNTRUSTED_SIGNER');
    }

    // The public-good root (the default) does not know the mock Fulcio.
    const publicGood = await sb.run(['verify', ref, ...keylessFlags(), '--json']);
    expect(publicGood.code, describeRun(publicGood)).toBe(1);
    expect(jsonOf<VerifyJson>(publicGood).results[0]?.ok).toBe(false);
  });

  it('a payload naming another digest is a SUBJECT_MISMATCH', async () => {
    const sb = await sandbox({ trustPolicy: false });
    const root = await writeTrustedRoot(sb, sigstore.trustedRootJson);
    const other = `sha256:${'ab'.repeat(32)}`;
    const { ref } = await pushedAndSigned(sb, 'cosign-legacy-mismatch', other);

    const result = await sb.run(['verify', ref, ...signerFlags(root)]);
    expect(result.code, describeRun(result)).toBe(1);
    const failure = jsonOf<VerifyJson>(result).results[0];
    expect(failure?.ok).toBe(false);
    expect(failure?.error?.code).toBe('SUBJECT_MISMATCH');

    const pulled = await sb.run(['pull', ref, ...signerFlags(root)]);
    expect(pulled.code, describeRun(pulled)).not.toBe(0);
    expect(jsonOf<{ error: { code: string } }>(pulled).error.code).toBe('SUBJECT_MISMATCH');
    expect(jsonOf(await sb.run(['ls', '--json']))).toEqual([]);
  });

  it('pull stores it with its signer and keeps the .sig to re-verify offline', async () => {
    const sb = await sandbox({ trustPolicy: false });
    const root = await writeTrustedRoot(sb, sigstore.trustedRootJson);
    const { ref, repo, digest } = await pushedAndSigned(sb, 'cosign-legacy-pull');

    const pulled = await sb.run(['pull', ref, ...signerFlags(root)]);
    expect(pulled.code, describeRun(pulled)).toBe(0);
    const first = jsonOf<PullJson>(pulled);
    expect(first).toMatchObject({
      digest,
      cached: false,
      trust: {
        status: 'verified',
        rule: 'command line',
        signer: { format: 'cosign-legacy', method: 'keyless', identity: IDENTITY },
      },
    });

    const listed = await sb.run(['ls', '--json']);
    expect(listed.code, describeRun(listed)).toBe(0);
    expect(jsonOf<unknown[]>(listed)).toEqual([
      expect.objectContaining({
        digest,
        trust: expect.objectContaining({
          status: 'verified',
          signer: expect.objectContaining({ format: 'cosign-legacy', identity: IDENTITY, issuer: ISSUER }),
        }),
      }),
    ]);

    const storeIndex = await readLayoutIndex(sb.storeDir);
    const sigTag = cosignSignatureTag(digest as Digest);
    expect(
      storeIndex.manifests.some((m) => m.annotations?.['org.opencontainers.image.ref.name'] === sigTag),
    ).toBe(true);

    // The store kept the .sig: with a policy that names the signer (a new fingerprint, so the
    // cached record is stale), the digest is verified again from the store (cached: nothing fetched).
    const policy = sb.path('policy.yaml');
    await writeFile(
      policy,
      [
        'version: 1',
        'rules:',
        '  - name: cosign 2.x release bot',
        `    match: ["${registry}/${repo}"]`,
        `    keyless: [{ identity: "${IDENTITY}", issuer: "${ISSUER}" }]`,
        '',
      ].join('\n'),
    );
    const pinned = `${registry}/${repo}@${digest}`;
    const offline = await sb.run(['pull', pinned, '--policy', policy, '--trusted-root', root, '--json']);
    expect(offline.code, describeRun(offline)).toBe(0);
    expect(jsonOf<PullJson>(offline)).toMatchObject({
      digest,
      cached: true,
      trust: { status: 'verified', signer: { format: 'cosign-legacy', identity: IDENTITY } },
    });
    expect(jsonOf<PullJson>(offline).trust.rule).toContain('policy.yaml');

    // The same signer flags again: verified again from the stored .sig, still cached.
    const again = await sb.run(['pull', pinned, ...signerFlags(root)]);
    expect(again.code, describeRun(again)).toBe(0);
    expect(jsonOf<PullJson>(again)).toMatchObject({
      cached: true,
      trust: { status: 'verified', signer: { format: 'cosign-legacy' } },
    });

    // A policy naming someone else refuses the stored copy.
    await writeFile(
      policy,
      [
        'version: 1',
        'rules:',
        `  - match: ["${registry}/${repo}"]`,
        `    keyless: [{ identity: "someone@example.com", issuer: "${ISSUER}" }]`,
        '',
      ].join('\n'),
    );
    const refused = await sb.run(['pull', pinned, '--policy', policy, '--trusted-root', root, '--json']);
    expect(refused.code, describeRun(refused)).not.toBe(0);
    expect(jsonOf<{ error: { code: string } }>(refused).error.code).toBe('UNTRUSTED_SIGNER');
  });
});
