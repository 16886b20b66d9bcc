import { stat, writeFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { describeRun, jsonOf, sandbox } from '../harness/cli.js';
import {
  BUNDLE_TYPE,
  type ErrorJson,
  IDENTITY,
  ISSUER,
  type VerifyJson,
  keygen,
  keylessFlags,
  pushHello,
  useSigstoreServer,
  writeTrustedRoot,
} from '../harness/signing.js';

const registry = inject('registryHost');

interface SignJson {
  reference: string;
  digest: string;
  pinned: string;
  referrer: { digest: string; artifactType: string };
  signer: { method: 'key'; keyId: string } | { method: 'keyless'; identity: string; issuer: string };
}

describe('e2e: keygen → push → sign --key → verify', () => {
  it('verifies with the signing key only, and lists the bundle as a referrer', async () => {
    const sb = await sandbox();
    const release = await keygen(sb, 'release');
    const other = await keygen(sb, 'other');
    expect(release).toMatchObject({
      privateKeyPath: sb.path('release.key'),
      publicKeyPath: sb.path('release.pub'),
      encrypted: false,
    });
    expect((await stat(release.privateKeyPath)).mode & 0o777).toBe(0o600);
    const again = await sb.run(['keygen', '--output-prefix', sb.path('release'), '--json']);
    expect(again.code, describeRun(again)).toBe(2);
    expect(jsonOf<ErrorJson>(again).error.message).toContain('refusing to overwrite');

    const { ref, digest } = await pushHello(sb, registry, 'sign-keyed');
    const signed = await sb.run(['sign', ref, '--key', release.privateKeyPath, '--json']);
    expect(signed.code, describeRun(signed)).toBe(0);
    const sign = jsonOf<SignJson>(signed);
    expect(sign).toMatchObject({
      reference: ref,
      digest,
      referrer: { artifactType: BUNDLE_TYPE },
      signer: { method: 'key', keyId: release.keyId },
    });

    const good = await sb.run(['verify', ref, '--key', release.publicKeyPath, '--json']);
    expect(good.code, describeRun(good)).toBe(0);
    expect(jsonOf<VerifyJson>(good).results[0]).toMatchObject({
      ok: true,
      digest,
      rule: 'command line',
      signer: { method: 'key', keyName: release.publicKeyPath },
    });

    const bad = await sb.run(['verify', ref, '--key', other.publicKeyPath, '--json']);
    expect(bad.code, describeRun(bad)).toBe(1);
    const failure = jsonOf<VerifyJson>(bad).results[0];
    expect(failure?.ok).toBe(false);
    expect(['UNTRUSTED_SIGNER', 'SIGNATURE_INVALID']).toContain(failure?.error?.code);

    const listed = await sb.run(['referrers', ref, '--json']);
    expect(listed.code, describeRun(listed)).toBe(0);
    expect(
      jsonOf<{ digest: string; referrers: { digest: string; artifactType?: string }[] }>(listed),
    ).toMatchObject({ digest, referrers: [{ digest: sign.referrer.digest, artifactType: BUNDLE_TYPE }] });
  });

  it('an encrypted key signs with its passphrase on stdin; a wrong one fails with exit 2', async () => {
    const sb = await sandbox();
    const key = await keygen(sb, 'enc', 'correct horse');
    expect(key.encrypted).toBe(true);
    const { ref } = await pushHello(sb, registry, 'sign-passphrase');

    const missing = await sb.run(['sign', ref, '--key', key.privateKeyPath, '--json']);
    expect(missing.code, describeRun(missing)).toBe(2);
    expect(jsonOf<ErrorJson>(missing).error.code).toBe('KEY_PASSPHRASE');
    const wrong = await sb.run(['sign', ref, '--key', key.privateKeyPath, '--passphrase-stdin', '--json'], {
      input: 'battery staple\n',
    });
    expect(wrong.code, describeRun(wrong)).toBe(2);
    expect(jsonOf<ErrorJson>(wrong).error.code).toBe('KEY_PASSPHRASE');
    const unsigned = await sb.run(['verify', ref, '--key', key.publicKeyPath, '--json']);
    expect(jsonOf<VerifyJson>(unsigned).results[0]?.error?.code).toBe('UNSIGNED');

    const right = await sb.run(['sign', ref, '--key', key.privateKeyPath, '--passphrase-stdin'], {
      input: 'correct horse\n',
    });
    expect(right.code, describeRun(right)).toBe(0);
    const verified = await sb.run(['verify', ref, '--key', key.publicKeyPath]);
    expect(verified.code, describeRun(verified)).toBe(0);
  });

  it('a policy file with a keys: rule verifies without --key', async () => {
    const sb = await sandbox();
    const release = await keygen(sb, 'release');
    const { ref, repo } = await pushHello(sb, registry, 'sign-policy');
    const signed = await sb.run(['sign', ref, '--key', release.privateKeyPath]);
    expect(signed.code, describeRun(signed)).toBe(0);

    const policy = sb.path('trust.yaml');
    await writeFile(
      policy,
      [
        'version: 1',
        'rules:',
        '  - name: release key',
        `    match: ["${repo}"]`,
        '    keys: [./release.pub]',
        '',
      ].join('\n'),
    );
    const verified = await sb.run(['verify', ref, '--policy', policy, '--json']);
    expect(verified.code, describeRun(verified)).toBe(0);
    const result = jsonOf<VerifyJson>(verified).results[0];
    expect(result).toMatchObject({ ok: true, signer: { method: 'key', keyName: './release.pub' } });
    expect(result?.rule).toContain('trust.yaml');

    // The same policy with another key refuses it.
    const other = await keygen(sb, 'other');
    await writeFile(
      policy,
      [
        'version: 1',
        'rules:',
        `  - match: ["${repo}"]`,
        `    keys: [${JSON.stringify(other.publicKeyPath)}]`,
        '',
      ].join('\n'),
    );
    const refused = await sb.run(['verify', ref, '--policy', policy, '--json']);
    expect(refused.code, describeRun(refused)).toBe(1);
  });

  it('refuses usage mistakes with exit 2', async () => {
    const sb = await sandbox();
    const release = await keygen(sb, 'release');
    const { ref } = await pushHello(sb, registry, 'sign-usage');
    for (const args of [
      ['sign', ref, '--json'],
      ['sign', ref, '--key', release.publicKeyPath, '--json'],
      ['sign', ref, '--key', release.privateKeyPath, '--identity-token', 'a.b.c', '--json'],
      ['sign', ref, '--key', sb.path('missing.key'), '--json'],
    ]) {
      const result = await sb.run(args);
      expect(result.code, describeRun(result)).toBe(2);
      expect(jsonOf<ErrorJson>(result).ok).toBe(false);
    }
  });
});

describe('e2e: keyless sign against a local Sigstore (mock Fulcio and Rekor on 127.0.0.1)', () => {
  const server = useSigstoreServer();

  it('signs with an identity token, and verify accepts exactly that identity and issuer', async () => {
    const sigstore = server();
    const sb = await sandbox();
    const root = await writeTrustedRoot(sb, sigstore.trustedRootJson);
    const { ref, digest } = await pushHello(sb, registry, 'sign-keyless');

    const signed = await sb.run(
      [
        'sign',
        ref,
        '--fulcio-url',
        sigstore.url,
        '--rekor-url',
        sigstore.url,
        '--tsa-url',
        sigstore.url,
        '--json',
      ],
      { extraEnv: { SIGSTORE_ID_TOKEN: sigstore.identityToken(IDENTITY, ISSUER) } },
    );
    expect(signed.code, describeRun(signed)).toBe(0);
    expect(jsonOf<SignJson>(signed)).toMatchObject({
      digest,
      signer: { method: 'keyless', identity: IDENTITY, issuer: ISSUER },
    });

    const verify = (identity: string, issuer = ISSUER) =>
      sb.run(['verify', ref, ...keylessFlags(identity, issuer), '--trusted-root', root, '--json']);
    const good = await verify(IDENTITY);
    expect(good.code, describeRun(good)).toBe(0);
    expect(jsonOf<VerifyJson>(good).results[0]).toMatchObject({
      ok: true,
      digest,
      signer: { method: 'keyless', identity: IDENTITY, issuer: ISSUER },
    });

    for (const [identity, issuer] of [
      ['someone@example.com', ISSUER],
      [`${IDENTITY}.evil.io`, ISSUER],
      [IDENTITY, 'https://accounts.google.com'],
    ] as const) {
      const bad = await verify(identity, issuer);
      expect(bad.code, describeRun(bad)).toBe(1);
      expect(jsonOf<VerifyJson>(bad).results[0]?.error?.code).toBe('UNTRUSTED_SIGNER');
    }

    // Without the private root, the public-good root does not know this Fulcio.
    const publicGood = await sb.run(['verify', ref, ...keylessFlags(), '--json']);
    expect(publicGood.code, describeRun(publicGood)).toBe(1);
    expect(jsonOf<VerifyJson>(publicGood).results[0]?.error?.code).toBe('SIGNATURE_INVALID');
  });

  it('takes the token from --identity-token too, and fails clearly when Fulcio is unreachable', async () => {
    const sigstore = server();
    const sb = await sandbox();
    const { ref } = await pushHello(sb, registry, 'sign-keyless-flag');
    const token = sigstore.identityToken(IDENTITY, ISSUER);
    const signed = await sb.run([
      'sign',
      ref,
      '--identity-token',
      token,
      '--fulcio-url',
      sigstore.url,
      '--rekor-url',
      sigstore.url,
    ]);
    expect(signed.code, describeRun(signed)).toBe(0);
    expect(signed.stdout).toContain(`${IDENTITY} from ${ISSUER}`);

    const unreachable = await sb.run(
      ['sign', ref, '--fulcio-url', 'http://127.0.0.1:9', '--rekor-url', sigstore.url, '--json'],
      { extraEnv: { SIGSTORE_ID_TOKEN: token } },
    );
    expect(unreachable.code, describeRun(unreachable)).toBe(1);
    const error = jsonOf<ErrorJson>(unreachable).error;
    expect(error.code).toBe('SIGNING_FAILED');
    expect(error.message).not.toContain(token);
    expect(unreachable.stderr).not.toContain(token);
  });
});
