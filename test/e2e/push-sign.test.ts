import { describe, expect, inject, it } from 'vitest';
import { describeRun, jsonOf, sandbox, uniqueRepo } from '../harness/cli.js';
import { fixturePath } from '../harness/fixtures.js';
import {
  BUNDLE_TYPE,
  type ErrorJson,
  IDENTITY,
  ISSUER,
  type VerifyJson,
  keygen,
  keylessFlags,
  useSigstoreServer,
  writeTrustedRoot,
} from '../harness/signing.js';

const registry = inject('registryHost');

interface PushSignJson {
  reference: string;
  pinned: string;
  digest: string;
  signature: {
    digest: string;
    pinned: string;
    referrer: { digest: string; artifactType: string };
    signer: { method: 'key'; keyId: string } | { method: 'keyless'; identity: string; issuer: string };
  };
}
interface ReferrersJson {
  digest: string;
  referrers: { digest: string; artifactType?: string }[];
}

describe('e2e: push --sign', () => {
  it('pushes and signs the pushed digest with --key; verify and referrers see one bundle', async () => {
    const sb = await sandbox();
    const key = await keygen(sb, 'release');
    const ref = `${registry}/${uniqueRepo('push-sign')}:1.0`;

    const pushed = await sb.run([
      'push',
      await fixturePath('hello'),
      ref,
      '--sign',
      '--key',
      key.privateKeyPath,
      '--json',
    ]);
    expect(pushed.code, describeRun(pushed)).toBe(0);
    const result = jsonOf<PushSignJson>(pushed);
    expect(result).toMatchObject({
      reference: ref,
      signature: {
        digest: result.digest,
        pinned: result.pinned,
        referrer: { artifactType: BUNDLE_TYPE },
        signer: { method: 'key', keyId: key.keyId },
      },
    });

    const verified = await sb.run(['verify', ref, '--key', key.publicKeyPath, '--json']);
    expect(verified.code, describeRun(verified)).toBe(0);
    expect(jsonOf<VerifyJson>(verified).results[0]).toMatchObject({ ok: true, digest: result.digest });

    const listed = await sb.run(['referrers', ref, '--json']);
    expect(listed.code, describeRun(listed)).toBe(0);
    const referrers = jsonOf<ReferrersJson>(listed);
    expect(referrers.digest).toBe(result.digest);
    expect(referrers.referrers).toHaveLength(1);
    expect(referrers.referrers[0]).toMatchObject({
      digest: result.signature.referrer.digest,
      artifactType: BUNDLE_TYPE,
    });

    const text = await sb.run([
      'push',
      await fixturePath('hello'),
      `${ref}-text`,
      '--sign',
      '--key',
      key.privateKeyPath,
    ]);
    expect(text.code, describeRun(text)).toBe(0);
    expect(text.stdout).toContain('signed ');
    expect(text.stdout).toContain(`key ${key.keyId}`);
    expect(text.stdout).toMatch(/referrer +sha256:[0-9a-f]{64}/);
  });

  it('checks the key before pushing: a wrong passphrase pushes nothing', async () => {
    const sb = await sandbox();
    const key = await keygen(sb, 'enc', 'correct horse');
    const ref = `${registry}/${uniqueRepo('push-sign-pass')}:1.0`;
    const pushSigned = async (passphrase: string) =>
      sb.run(
        [
          'push',
          await fixturePath('hello'),
          ref,
          '--sign',
          '--key',
          key.privateKeyPath,
          '--passphrase-stdin',
          '--json',
        ],
        { input: `${passphrase}\n` },
      );
    const wrong = await pushSigned('battery staple');
    expect(wrong.code, describeRun(wrong)).toBe(2);
    expect(jsonOf<ErrorJson>(wrong).error.code).toBe('KEY_PASSPHRASE');
    const absent = await sb.run(['referrers', ref, '--json']);
    expect(absent.code, describeRun(absent)).not.toBe(0);
    expect(jsonOf<ErrorJson>(absent).error.code).toBe('NOT_FOUND');

    const right = await pushSigned('correct horse');
    expect(right.code, describeRun(right)).toBe(0);
    const verified = await sb.run(['verify', ref, '--key', key.publicKeyPath]);
    expect(verified.code, describeRun(verified)).toBe(0);
  });

  it('refuses signing flags without --sign, and --sign without a key or token, with exit 2', async () => {
    const sb = await sandbox();
    const key = await keygen(sb, 'release');
    const ref = `${registry}/${uniqueRepo('push-sign-usage')}:1.0`;
    const file = await fixturePath('hello');
    for (const args of [
      ['push', file, ref, '--key', key.privateKeyPath, '--json'],
      ['push', file, ref, '--sign', '--json'],
      ['push', file, ref, '--sign', '--key', key.publicKeyPath, '--json'],
    ]) {
      const result = await sb.run(args);
      expect(result.code, describeRun(result)).toBe(2);
      expect(jsonOf<ErrorJson>(result).ok).toBe(false);
    }
    const absent = await sb.run(['referrers', ref, '--json']);
    expect(absent.code, describeRun(absent)).not.toBe(0);
    expect(jsonOf<ErrorJson>(absent).error.code).toBe('NOT_FOUND');
  });
});

describe('e2e: push --sign keyless against a local Sigstore', () => {
  const server = useSigstoreServer();

  it('signs with SIGSTORE_ID_TOKEN and the URL flags; verify accepts that identity', async () => {
    const sigstore = server();
    const sb = await sandbox();
    const root = await writeTrustedRoot(sb, sigstore.trustedRootJson);
    const ref = `${registry}/${uniqueRepo('push-sign-keyless')}:1.0`;
    const pushed = await sb.run(
      [
        'push',
        await fixturePath('hello'),
        ref,
        '--sign',
        '--fulcio-url',
        sigstore.url,
        '--rekor-url',
        sigstore.url,
        '--json',
      ],
      { extraEnv: { SIGSTORE_ID_TOKEN: sigstore.identityToken(IDENTITY, ISSUER) } },
    );
    expect(pushed.code, describeRun(pushed)).toBe(0);
    const result = jsonOf<PushSignJson>(pushed);
    expect(result.signature).toMatchObject({
      digest: result.digest,
      signer: { method: 'keyless', identity: IDENTITY, issuer: ISSUER },
    });
    const verified = await sb.run(['verify', ref, ...keylessFlags(), '--trusted-root', root, '--json']);
    expect(verified.code, describeRun(verified)).toBe(0);
    expect(jsonOf<VerifyJson>(verified).results[0]).toMatchObject({ ok: true, digest: result.digest });
  });
});
