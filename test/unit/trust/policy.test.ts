import { generateKeyPairSync } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  GITHUB_ACTIONS_ISSUER,
  type TrustPolicy,
  type TrustRule,
  appendRule,
  defaultTrustPolicyPath,
  findRule,
  githubIdentity,
  loadTrustPolicy,
  matchGlob,
  parseTrustPolicy,
} from '../../../lib/trust/policy.js';
import type { SignerRequirement } from '../../../lib/trust/verify.js';
import { expectCode, tempDir } from '../../harness/unit.js';

const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PUBLIC_PEM = ecKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const PRIVATE_PEM = ecKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const otherKey = generateKeyPairSync('ed25519');
const OTHER_PEM = otherKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();

const EXAMPLE = `version: 1
rules:
  - name: our components
    match: ["ghcr.io/acme/*"]
    keyless:
      - identity: dev@acme.com
        issuer: https://accounts.google.com
      - github: acme/tools@refs/heads/main
  - match: ["registry.internal:5000/**"]
    keys: [./keys/cosign.pub]        # paths relative to the policy file, or inline PEM
  - match: ["localhost:*/**", "127.0.0.1:*/**"]
    unsigned: allow
`;

/** A dir holding keys/cosign.pub, as the example policy expects. */
async function keyDir(pem = PUBLIC_PEM): Promise<string> {
  const dir = await tempDir('wtools-policy-');
  await fs.mkdir(path.join(dir, 'keys'));
  await fs.writeFile(path.join(dir, 'keys', 'cosign.pub'), pem);
  return dir;
}

function signers(rule: TrustRule | undefined): SignerRequirement[] {
  if (!rule || !('signers' in rule.require)) throw new Error('expected a rule with signers');
  return rule.require.signers;
}

function policyOf(text: string): TrustPolicy {
  return parseTrustPolicy(text, 'test.yaml', { baseDir: '/nonexistent-base' });
}

describe('parseTrustPolicy: valid documents', () => {
  it('parses the example of the format', async () => {
    const dir = await keyDir();
    const policy = parseTrustPolicy(EXAMPLE, path.join(dir, 'trust.yaml'));
    expect(policy.sources).toEqual([path.join(dir, 'trust.yaml')]);
    expect(policy.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(policy.rules).toHaveLength(3);
    const [acme, internal, local] = policy.rules;
    expect(acme?.name).toBe('our components');
    expect(acme?.match).toEqual(['ghcr.io/acme/*']);
    expect(acme?.origin).toBe(`${path.join(dir, 'trust.yaml')}:3 rules[0]`);
    expect(signers(acme)).toEqual([
      { kind: 'keyless', identity: 'dev@acme.com', issuer: 'https://accounts.google.com' },
      githubIdentity('acme/tools@refs/heads/main'),
    ]);
    expect(internal?.name).toBeUndefined();
    expect(internal?.origin).toContain(':9 rules[1]');
    expect(signers(internal)).toEqual([{ kind: 'key', publicKeyPem: PUBLIC_PEM, name: './keys/cosign.pub' }]);
    expect(local?.require).toEqual({ unsigned: 'allow' });
    expect(local?.match).toEqual(['localhost:*/**', '127.0.0.1:*/**']);
  });

  it('parses the shipped default policy: it denies by default', async () => {
    const file = defaultTrustPolicyPath();
    expect(path.basename(file)).toBe('default-trust.yaml');
    expect(path.basename(path.dirname(file))).toBe('policy');
    const policy = await loadTrustPolicy([file]);
    expect(policy.sources).toEqual([file]);
    expect(policy.rules.filter((r) => 'unsigned' in r.require)).toEqual([]);
    for (const subject of ['ghcr.io/acme/x', 'docker.io/library/x', 'localhost:5000/x', 'oci:/tmp/x']) {
      expect(findRule(policy, subject)).toBeUndefined();
    }
  });

  it("the default policy's commented examples are a valid policy once uncommented", async () => {
    const text = readFileSync(defaultTrustPolicyPath(), 'utf8');
    const start = text.indexOf('# rules:');
    const end = text.indexOf('\nversion: 1');
    expect(start).toBeGreaterThan(0);
    const examples = text
      .slice(start, end)
      .split('\n')
      .map((line) => line.replace(/^# ?/, ''))
      .join('\n');
    const policy = parseTrustPolicy(`version: 1\n${examples}`, 'examples.yaml', { baseDir: await keyDir() });
    expect(policy.rules.length).toBeGreaterThanOrEqual(5);
    expect(findRule(policy, 'ghcr.io/acme/tools')?.name).toBe('acme tools');
    expect(findRule(policy, 'oci:/srv/layouts/x')?.require).toEqual({ unsigned: 'allow' });
  });

  it('accepts an empty document, a comment-only document, null rules and an empty list', () => {
    for (const text of [
      '',
      '# nothing here\n',
      'version: 1\n',
      'version: 1\nrules:\n',
      'version: 1\nrules: []\n',
    ]) {
      expect(policyOf(text).rules, JSON.stringify(text)).toEqual([]);
    }
  });

  it('keeps identity-regexp as given and accepts inline PEM keys, normalised', () => {
    const indented = PUBLIC_PEM.trimEnd().replace(/\n/g, '\n        ');
    const policy = policyOf(`version: 1
rules:
  - match: ["ghcr.io/acme/**"]
    keyless:
      - identity-regexp: '.*@acme\\.com'
        issuer: https://accounts.google.com
  - match: ["ghcr.io/other/**"]
    keys:
      - |
        ${indented}
`);
    expect(signers(policy.rules[0])).toEqual([
      { kind: 'keyless', identityRegexp: '.*@acme\\.com', issuer: 'https://accounts.google.com' },
    ]);
    expect(signers(policy.rules[1])).toEqual([{ kind: 'key', publicKeyPem: PUBLIC_PEM }]);
  });

  it('resolves key files relative to the policy file, and absolute paths as they are', async () => {
    const dir = await keyDir();
    await fs.writeFile(path.join(dir, 'other.pub'), OTHER_PEM);
    const text = `version: 1\nrules:\n  - match: ["r.io/a/*"]\n    keys: [keys/cosign.pub, ${JSON.stringify(path.join(dir, 'other.pub'))}]\n`;
    const file = path.join(dir, 'trust.yaml');
    await fs.writeFile(file, text);
    const policy = await loadTrustPolicy([file]);
    expect(signers(policy.rules[0]).map((s) => s.kind === 'key' && s.publicKeyPem)).toEqual([
      PUBLIC_PEM,
      OTHER_PEM,
    ]);
    // The same text read with another base dir does not find the key.
    const error = await expectCode(
      () => parseTrustPolicy(text, 'elsewhere.yaml', { baseDir: '/' }),
      'POLICY_INVALID',
    );
    expect(error.message).toMatch(
      /^elsewhere\.yaml:4:12: rules\[0\]\.keys\[0\]: cannot read key file "keys\/cosign\.pub"/,
    );
  });

  it('allows YAML anchors and aliases', () => {
    const policy = policyOf(`version: 1
rules:
  - match: ["a.io/x/*"]
    keyless: &people
      - identity: dev@acme.com
        issuer: https://accounts.google.com
  - match: ["b.io/y/*"]
    keyless: *people
`);
    expect(signers(policy.rules[1])).toEqual(signers(policy.rules[0]));
  });
});

describe('parseTrustPolicy: invalid documents', () => {
  const rule = (body: string) => `version: 1\nrules:\n  - match: ["ghcr.io/acme/*"]\n${body}`;
  const cases: { name: string; text: string; line: number; message: RegExp }[] = [
    { name: 'YAML syntax', text: 'version: 1\nrules: [\n  - a\n', line: 3, message: /not valid YAML/ },
    {
      name: 'duplicate key',
      text: 'version: 1\nrules: []\nversion: 1\n',
      line: 3,
      message: /not valid YAML: Map keys must be unique/,
    },
    {
      name: 'not a mapping',
      text: '- a\n- b\n',
      line: 1,
      message: /expected a mapping with "version: 1".*found a list/,
    },
    {
      name: 'no version',
      text: 'rules: []\n',
      line: 1,
      message: /expected "version: 1", found no version key/,
    },
    {
      name: 'version 2',
      text: 'version: 2\nrules: []\n',
      line: 1,
      message: /version: expected 1 .*found the number 2/,
    },
    {
      name: 'version as string',
      text: 'version: "1"\n',
      line: 1,
      message: /version: expected 1 .*found the string "1"/,
    },
    {
      name: 'unknown top-level key',
      text: 'version: 1\nrule: []\n',
      line: 2,
      message: /\(top level\): unknown key "rule"; expected one of version, rules/,
    },
    {
      name: 'rules not a list',
      text: 'version: 1\nrules: {}\n',
      line: 2,
      message: /rules: expected a list of rules, found a mapping/,
    },
    {
      name: 'rule not a mapping',
      text: 'version: 1\nrules:\n  - ghcr.io/acme/*\n',
      line: 3,
      message: /rules\[0\]: expected a rule .*found the string "ghcr.io\/acme\/\*"/,
    },
    {
      name: 'unknown rule key',
      text: rule('    unsigned: allow\n    matches: ["x/y"]\n'),
      line: 5,
      message: /rules\[0\]: unknown key "matches"; expected one of name, match, keyless, keys, unsigned/,
    },
    {
      name: 'no requirement',
      text: rule('    name: x\n'),
      line: 3,
      message: /expected exactly one of keyless, keys, unsigned; found none of them/,
    },
    {
      name: 'two requirements',
      text: rule('    unsigned: allow\n    keys: [a.pub]\n'),
      line: 3,
      message: /expected exactly one of keyless, keys, unsigned; found keys and unsigned/,
    },
    {
      name: 'no match',
      text: 'version: 1\nrules:\n  - unsigned: allow\n',
      line: 3,
      message: /rules\[0\]: expected a "match" list of globs, found no match key/,
    },
    {
      name: 'match is a string',
      text: 'version: 1\nrules:\n  - unsigned: allow\n    match: ghcr.io/a/*\n',
      line: 4,
      message: /rules\[0\]\.match: expected a list of globs, found the string/,
    },
    {
      name: 'empty match',
      text: 'version: 1\nrules:\n  - unsigned: allow\n    match: []\n',
      line: 4,
      message: /expected at least one of globs, found an empty list/,
    },
    {
      name: 'glob without repository',
      text: 'version: 1\nrules:\n  - unsigned: allow\n    match: [ghcr.io]\n',
      line: 4,
      message: /rules\[0\]\.match\[0\]: expected "registry\/repository".*found "ghcr.io"/,
    },
    {
      name: 'oci:* cannot match a path',
      text: 'version: 1\nrules:\n  - unsigned: allow\n    match: ["oci:*"]\n',
      line: 4,
      message: /expected "oci:" followed by an absolute path glob .* or "oci:\*\*", found "oci:\*"/,
    },
    {
      name: 'name not a string',
      text: rule('    name: 5\n    unsigned: allow\n'),
      line: 4,
      message: /rules\[0\]\.name: expected a string, found the number 5/,
    },
    {
      name: 'unsigned other than allow',
      text: rule('    unsigned: yes\n'),
      line: 4,
      message: /rules\[0\]\.unsigned: expected "allow", found the string "yes"/,
    },
    {
      name: 'empty keyless',
      text: rule('    keyless: []\n'),
      line: 4,
      message: /rules\[0\]\.keyless: expected at least one of identities, found an empty list/,
    },
    {
      name: 'unknown keyless key',
      text: rule('    keyless:\n      - identity: a@b.c\n        issuer: https://x.io\n        subject: a\n'),
      line: 7,
      message:
        /rules\[0\]\.keyless\[0\]: unknown key "subject"; expected one of identity, identity-regexp, github, issuer/,
    },
    {
      name: 'keyless without issuer',
      text: rule('    keyless:\n      - identity: a@b.c\n'),
      line: 5,
      message:
        /rules\[0\]\.keyless\[0\]: expected an "issuer" \(the OIDC issuer URL\) beside identity, found none/,
    },
    {
      name: 'keyless with no identity',
      text: rule('    keyless:\n      - issuer: https://x.io\n'),
      line: 5,
      message: /expected exactly one of identity, identity-regexp, github; found none of them/,
    },
    {
      name: 'identity and identity-regexp',
      text: rule(
        '    keyless:\n      - identity: a@b.c\n        identity-regexp: a.*\n        issuer: https://x.io\n',
      ),
      line: 5,
      message:
        /expected exactly one of identity, identity-regexp, github; found identity and identity-regexp/,
    },
    {
      name: 'identity-regexp that does not compile',
      text: rule('    keyless:\n      - identity-regexp: "(a"\n        issuer: https://x.io\n'),
      line: 5,
      message:
        /rules\[0\]\.keyless\[0\]\.identity-regexp: expected a JavaScript regular expression, found "\(a"/,
    },
    {
      name: 'issuer not a URL',
      text: rule('    keyless:\n      - identity: a@b.c\n        issuer: accounts.google.com\n'),
      line: 6,
      message: /issuer: expected the OIDC issuer URL .*found "accounts.google.com"/,
    },
    {
      name: 'github with another issuer',
      text: rule('    keyless:\n      - github: acme/tools\n        issuer: https://accounts.google.com\n'),
      line: 6,
      message: /"github:" implies issuer https:\/\/token\.actions\.githubusercontent\.com/,
    },
    {
      name: 'github spec without repo',
      text: rule('    keyless:\n      - github: acme\n'),
      line: 5,
      message: /github: expected a GitHub repository "org\/repo" or "org\/repo@ref".*found "acme"/,
    },
    {
      name: 'missing key file',
      text: rule('    keys: [./missing.pub]\n'),
      line: 4,
      message: /keys\[0\]: cannot read key file ".\/missing.pub" .*paths are relative to the policy file/,
    },
    {
      name: 'inline private key',
      text: rule(`    keys:\n      - |\n        ${PRIVATE_PEM.trimEnd().replace(/\n/g, '\n        ')}\n`),
      line: 5,
      message: /expected a public key, found a PRIVATE key in the inline key/,
    },
    {
      name: 'inline certificate',
      text: rule('    keys:\n      - "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n"\n'),
      line: 5,
      message: /expected one PEM public key .*found -----BEGIN CERTIFICATE-----/,
    },
    {
      name: 'inline garbage PEM',
      text: rule('    keys:\n      - "-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\\n"\n'),
      line: 5,
      message: /expected a valid public key PEM in the inline key, found one that does not parse/,
    },
  ];

  for (const c of cases) {
    it(`refuses: ${c.name}`, async () => {
      const error = await expectCode(() => policyOf(c.text), 'POLICY_INVALID');
      expect(error.message).toMatch(c.message);
      expect(error.message.startsWith(`test.yaml:${c.line}:`), error.message).toBe(true);
      expect(error.details).toMatchObject({ source: 'test.yaml', line: c.line });
    });
  }

  it('refuses a relative key path when there is no base dir', async () => {
    const text = rule('    keys: [k.pub]\n');
    const error = await expectCode(() => parseTrustPolicy(text, 'inline'), 'POLICY_INVALID');
    expect(error.message).toMatch(/^inline:4:12: .*a relative key path needs the policy file's directory/);
  });

  it('reports a key file holding a private key', async () => {
    const dir = await keyDir(PRIVATE_PEM);
    const error = await expectCode(
      () => parseTrustPolicy(rule('    keys: [keys/cosign.pub]\n'), 'p.yaml', { baseDir: dir }),
      'POLICY_INVALID',
    );
    expect(error.message).toMatch(/found a PRIVATE key in key file "keys\/cosign.pub"/);
  });

  it('refuses documents whose aliases expand beyond any sensible policy', async () => {
    const identities = Array.from({ length: 1000 }, (_, i) =>
      i === 0 ? '&id { identity: a@b.c, issuer: https://x.io }' : '*id',
    );
    const bomb = [
      'version: 1',
      'rules:',
      `  - &rule { match: [a.io/b/c], keyless: [${identities.join(', ')}] }`,
      ...Array.from({ length: 2000 }, () => '  - *rule'),
    ].join('\n');
    const started = Date.now();
    const error = await expectCode(() => policyOf(bomb), 'POLICY_INVALID');
    expect(error.message).toMatch(
      /expected a small policy, found more than 1000000 nodes after alias expansion/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('globs and findRule', () => {
  it('* stays within one path segment, ** crosses them, ? is one character', () => {
    expect(matchGlob('ghcr.io/acme/*', 'ghcr.io/acme/x')).toBe(true);
    expect(matchGlob('ghcr.io/acme/*', 'ghcr.io/acme/x/y')).toBe(false);
    expect(matchGlob('ghcr.io/acme/*', 'ghcr.io/acme')).toBe(false);
    expect(matchGlob('ghcr.io/acme/**', 'ghcr.io/acme/x')).toBe(true);
    expect(matchGlob('ghcr.io/acme/**', 'ghcr.io/acme/x/y/z')).toBe(true);
    expect(matchGlob('ghcr.io/acme/**', 'ghcr.io/acmeevil/x')).toBe(false);
    expect(matchGlob('ghcr.io/*/tools', 'ghcr.io/acme/tools')).toBe(true);
    expect(matchGlob('ghcr.io/*/tools', 'ghcr.io/a/b/tools')).toBe(false);
    expect(matchGlob('ghcr.io/**/tools', 'ghcr.io/a/b/tools')).toBe(true);
    expect(matchGlob('ghcr.io/acme/tool?', 'ghcr.io/acme/tools')).toBe(true);
    expect(matchGlob('ghcr.io/acme/tool?', 'ghcr.io/acme/tool')).toBe(false);
    expect(matchGlob('ghcr.io/acme/a?b', 'ghcr.io/acme/a/b')).toBe(false);
    expect(matchGlob('localhost:*/**', 'localhost:5000/x/y')).toBe(true);
    expect(matchGlob('localhost:*/**', 'localhost.evil.io/x')).toBe(false);
    expect(matchGlob('**', 'anything.io/a/b')).toBe(true);
    expect(matchGlob('oci:**', 'oci:/home/u/layout')).toBe(true);
    expect(matchGlob('oci:**', 'ghcr.io/a/b')).toBe(false);
    expect(matchGlob('oci:/srv/*', 'oci:/srv/layout')).toBe(true);
    expect(matchGlob('oci:/srv/*', 'oci:/srv/a/layout')).toBe(false);
    // Regexp metacharacters in globs are literal.
    expect(matchGlob('ghcr.io/a.b/x', 'ghcr.io/aXb/x')).toBe(false);
    expect(matchGlob('ghcr.io/a+/(x)', 'ghcr.io/a+/(x)')).toBe(true);
  });

  it('matches the registry host case-insensitively and the repository case-sensitively', () => {
    expect(matchGlob('GHCR.io/acme/*', 'ghcr.IO/acme/x')).toBe(true);
    expect(matchGlob('ghcr.io/acme/*', 'ghcr.io/ACME/x')).toBe(false);
    expect(matchGlob('oci:/Data/**', 'oci:/data/x')).toBe(false);
  });

  it('the first matching rule wins, across files in the order given', async () => {
    const dir = await tempDir('wtools-policy-');
    const user = path.join(dir, 'user.yaml');
    const defaults = path.join(dir, 'default.yaml');
    await fs.writeFile(
      user,
      'version: 1\nrules:\n  - name: narrow\n    match: ["ghcr.io/acme/special"]\n    unsigned: allow\n',
    );
    await fs.writeFile(
      defaults,
      'version: 1\nrules:\n  - name: broad\n    match: ["ghcr.io/acme/*"]\n    keyless:\n      - github: acme/tools\n  - name: later\n    match: ["ghcr.io/**"]\n    unsigned: allow\n',
    );
    const policy = await loadTrustPolicy([user, defaults]);
    expect(policy.sources).toEqual([user, defaults]);
    expect(policy.rules.map((r) => r.name)).toEqual(['narrow', 'broad', 'later']);
    expect(findRule(policy, 'ghcr.io/acme/special')?.name).toBe('narrow');
    expect(findRule(policy, 'ghcr.io/acme/other')?.name).toBe('broad');
    expect(findRule(policy, 'ghcr.io/acme/other/deeper')?.name).toBe('later');
    expect(findRule(policy, 'docker.io/acme/other')).toBeUndefined();
    expect(findRule(policy, 'ghcr.io/acme/other')?.origin).toBe(`${defaults}:3 rules[0]`);
  });

  it('skips a missing optional file, and refuses any other missing file', async () => {
    const dir = await tempDir('wtools-policy-');
    const missing = path.join(dir, 'missing.yaml');
    const present = path.join(dir, 'p.yaml');
    await fs.writeFile(present, 'version: 1\nrules: []\n');
    const policy = await loadTrustPolicy([missing, present], { optional: [missing] });
    expect(policy.sources).toEqual([present]);
    const error = await expectCode(loadTrustPolicy([missing, present]), 'POLICY_INVALID');
    expect(error.message).toContain(`cannot read trust policy ${missing}`);
  });
});

describe('githubIdentity', () => {
  const release = 'https://github.com/acme/tools/.github/workflows/release.yml@refs/heads/main';

  it('builds an anchored identity regexp with the GitHub Actions issuer', () => {
    const signer = githubIdentity('acme/tools@refs/heads/main');
    expect(signer).toEqual({
      kind: 'keyless',
      identityRegexp: '^https://github\\.com/acme/tools/\\.github/workflows/[^@]+@refs/heads/main$',
      issuer: GITHUB_ACTIONS_ISSUER,
    });
    const re = new RegExp(signer.kind === 'keyless' ? (signer.identityRegexp ?? '') : '');
    expect(re.test(release)).toBe(true);
    expect(re.test('https://github.com/acme/tools-evil/.github/workflows/release.yml@refs/heads/main')).toBe(
      false,
    );
    expect(re.test('https://github.com/acme/tools/.github/workflows/x.yml@refs/heads/main.evil')).toBe(false);
    expect(re.test('https://github.com/acme/tools/.github/workflows/x.yml@refs/tags/main')).toBe(false);
    expect(re.test(`prefix ${release}`)).toBe(false);
    expect(re.test('https://github.com/acmeXtools/.github/workflows/x.yml@refs/heads/main')).toBe(false);
  });

  it('without @ref accepts any branch or tag but not pull-request refs', () => {
    const signer = githubIdentity('acme/tools');
    const re = new RegExp(signer.kind === 'keyless' ? (signer.identityRegexp ?? '') : '');
    expect(re.test(release)).toBe(true);
    expect(re.test('https://github.com/acme/tools/.github/workflows/r.yml@refs/tags/v1.2.3')).toBe(true);
    expect(re.test('https://github.com/acme/tools/.github/workflows/r.yml@refs/pull/7/merge')).toBe(false);
    expect(re.test('https://github.com/acme/tools-evil/.github/workflows/release.yml@refs/heads/main')).toBe(
      false,
    );
    expect(re.test('https://github.com/acme/tools/.github/workflows/release.yml')).toBe(false);
  });

  it('a bare ref name means that branch or tag', () => {
    const signer = githubIdentity('acme/tools@v1.0');
    const re = new RegExp(signer.kind === 'keyless' ? (signer.identityRegexp ?? '') : '');
    expect(re.test('https://github.com/acme/tools/.github/workflows/r.yml@refs/tags/v1.0')).toBe(true);
    expect(re.test('https://github.com/acme/tools/.github/workflows/r.yml@refs/heads/v1.0')).toBe(true);
    expect(re.test('https://github.com/acme/tools/.github/workflows/r.yml@refs/tags/v1x0')).toBe(false);
  });

  it('escapes regexp metacharacters in org, repo and ref', () => {
    const signer = githubIdentity('my-org/tools.js@refs/tags/v1.0+build');
    expect(signer.kind === 'keyless' && signer.identityRegexp).toBe(
      '^https://github\\.com/my-org/tools\\.js/\\.github/workflows/[^@]+@refs/tags/v1\\.0\\+build$',
    );
    const re = new RegExp(signer.kind === 'keyless' ? (signer.identityRegexp ?? '') : '', 'u');
    expect(re.test('https://github.com/my-org/tools.js/.github/workflows/r.yml@refs/tags/v1.0+build')).toBe(
      true,
    );
    expect(re.test('https://github.com/my-org/toolsXjs/.github/workflows/r.yml@refs/tags/v1.0+build')).toBe(
      false,
    );
    expect(re.test('https://github.com/my-org/tools.js/.github/workflows/r.yml@refs/tags/v1.00build')).toBe(
      false,
    );
  });

  it('refuses what is not org/repo[@ref]', async () => {
    for (const spec of [
      'acme',
      'acme/',
      '/tools',
      'acme/tools/extra',
      'ac me/tools',
      'acme/tools@',
      'acme/..',
    ]) {
      await expectCode(() => githubIdentity(spec), 'INVALID_ARGUMENT');
    }
  });
});

describe('fingerprint', () => {
  const base =
    'version: 1\nrules:\n  - match: ["ghcr.io/acme/*"]\n    keyless:\n      - github: acme/tools\n';

  it('ignores comments, layout and the source name', () => {
    const a = parseTrustPolicy(base, 'a.yaml');
    const b = parseTrustPolicy(
      `# a comment\n\nversion: 1   # v\nrules:\n  # the acme rule\n  - match:\n      - ghcr.io/acme/*  # glob\n    keyless: [{ github: acme/tools }]\n`,
      'b.yaml',
    );
    expect(b.rules[0]?.origin).not.toBe(a.rules[0]?.origin);
    expect(b.fingerprint).toBe(a.fingerprint);
  });

  it('changes when a rule changes, is added or moves', () => {
    const a = parseTrustPolicy(base, 'a.yaml').fingerprint;
    expect(parseTrustPolicy(base.replace('acme/tools', 'acme/tool'), 'a.yaml').fingerprint).not.toBe(a);
    expect(parseTrustPolicy(base.replace('acme/*', 'acme/**'), 'a.yaml').fingerprint).not.toBe(a);
    const two = `${base}  - match: ["x.io/y/*"]\n    unsigned: allow\n`;
    const twoFp = parseTrustPolicy(two, 'a.yaml').fingerprint;
    expect(twoFp).not.toBe(a);
    const swapped = 'version: 1\nrules:\n  - match: ["x.io/y/*"]\n    unsigned: allow\n' + base.slice(18);
    expect(parseTrustPolicy(swapped, 'a.yaml').rules).toHaveLength(2);
    expect(parseTrustPolicy(swapped, 'a.yaml').fingerprint).not.toBe(twoFp);
  });

  it('changes when the content of a key file changes', async () => {
    const dir = await keyDir();
    const text = 'version: 1\nrules:\n  - match: ["r.io/a/*"]\n    keys: [keys/cosign.pub]\n';
    const before = parseTrustPolicy(text, 'p.yaml', { baseDir: dir }).fingerprint;
    await fs.writeFile(path.join(dir, 'keys', 'cosign.pub'), OTHER_PEM);
    expect(parseTrustPolicy(text, 'p.yaml', { baseDir: dir }).fingerprint).not.toBe(before);
  });
});

describe('appendRule', () => {
  const keylessRule: Omit<TrustRule, 'origin'> = {
    name: 'trusted on request',
    match: ['ghcr.io/acme/tools'],
    require: {
      signers: [{ kind: 'keyless', identity: 'dev@acme.com', issuer: 'https://accounts.google.com' }],
    },
  };

  it('creates the file with a header comment, mode 0600, and a rule that loads back', async () => {
    const dir = await tempDir('wtools-policy-');
    const file = path.join(dir, 'config', 'trust.yaml');
    await appendRule(file, keylessRule);
    const text = await fs.readFile(file, 'utf8');
    expect(text.startsWith('# wtools trust policy')).toBe(true);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const policy = await loadTrustPolicy([file]);
    expect(policy.rules).toEqual([{ ...keylessRule, origin: expect.stringContaining(file) as string }]);
    expect(findRule(policy, 'ghcr.io/acme/tools')?.name).toBe('trusted on request');
    expect((await fs.readdir(path.dirname(file))).sort()).toEqual(['trust.yaml']);
  });

  it('keeps existing rules and comments, and replaces the file atomically', async () => {
    const dir = await keyDir();
    const file = path.join(dir, 'trust.yaml');
    const original = `# my policy, hand written\nversion: 1 # always 1\nrules:\n  # the registry at work\n  - match: ["registry.internal:5000/**"]\n    keys: [./keys/cosign.pub]   # from the ops team\n# trailing comment\n`;
    await fs.writeFile(file, original, { mode: 0o644 });
    const link = path.join(dir, 'hard-link-to-old.yaml');
    await fs.link(file, link);

    const github = githubIdentity('acme/tools@refs/heads/main');
    await appendRule(file, { match: ['ghcr.io/acme/*', 'ghcr.io/acme/**'], require: { signers: [github] } });
    await appendRule(file, { match: ['localhost:5000/**'], require: { unsigned: 'allow' } });
    await appendRule(file, {
      name: 'ops key',
      match: ['r.io/ops/*'],
      require: { signers: [{ kind: 'key', publicKeyPem: OTHER_PEM, name: 'ops.pub' }] },
    });

    const text = await fs.readFile(file, 'utf8');
    for (const comment of [
      '# my policy, hand written',
      '# always 1',
      '# the registry at work',
      '# from the ops team',
      '# trailing comment',
    ]) {
      expect(text).toContain(comment);
    }
    // Renamed into place: the old inode (seen through the hard link) still has the old bytes.
    expect(await fs.readFile(link, 'utf8')).toBe(original);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await fs.readdir(dir)).sort()).toEqual(['hard-link-to-old.yaml', 'keys', 'trust.yaml']);

    const policy = await loadTrustPolicy([file]);
    expect(policy.rules).toHaveLength(4);
    expect(signers(policy.rules[0])).toEqual([
      { kind: 'key', publicKeyPem: PUBLIC_PEM, name: './keys/cosign.pub' },
    ]);
    expect(policy.rules[1]).toMatchObject({
      match: ['ghcr.io/acme/*', 'ghcr.io/acme/**'],
      require: { signers: [github] },
    });
    expect(policy.rules[2]?.require).toEqual({ unsigned: 'allow' });
    expect(policy.rules[3]).toMatchObject({
      name: 'ops key',
      require: { signers: [{ kind: 'key', publicKeyPem: OTHER_PEM }] },
    });
    expect(text).toContain('# ops.pub');
    expect(text).toContain('- github: acme/tools@refs/heads/main');
  });

  it('writes GitHub identities back as the github: shorthand when they are exactly one', async () => {
    const dir = await tempDir('wtools-policy-');
    const file = path.join(dir, 'trust.yaml');
    const specs = ['acme/tools', 'acme/tools@refs/tags/v1.0', 'acme/tools.js@v1.0+b'];
    const handwritten: SignerRequirement = {
      kind: 'keyless',
      identityRegexp: '^https://github\\.com/acme/.*$',
      issuer: GITHUB_ACTIONS_ISSUER,
    };
    await appendRule(file, {
      match: ['ghcr.io/acme/*'],
      require: { signers: [...specs.map((spec) => githubIdentity(spec)), handwritten] },
    });
    const text = await fs.readFile(file, 'utf8');
    for (const spec of specs) expect(text).toContain(`- github: ${spec}\n`);
    expect(text).toContain('identity-regexp: ^https://github\\.com/acme/.*$');
    expect(signers((await loadTrustPolicy([file])).rules[0])).toEqual([
      ...specs.map((spec) => githubIdentity(spec)),
      handwritten,
    ]);
  });

  it('two concurrent appends both survive', async () => {
    const dir = await tempDir('wtools-policy-');
    const file = path.join(dir, 'trust.yaml');
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((n) =>
        appendRule(file, { name: n, match: [`r.io/${n}/*`], require: { unsigned: 'allow' } }),
      ),
    );
    const policy = await loadTrustPolicy([file]);
    expect(policy.rules.map((r) => r.name).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect((await fs.readdir(dir)).sort()).toEqual(['trust.yaml']);
  });

  it('does not add a rule equal to an existing one', async () => {
    const dir = await tempDir('wtools-policy-');
    const file = path.join(dir, 'trust.yaml');
    await appendRule(file, keylessRule);
    await appendRule(file, keylessRule);
    expect((await loadTrustPolicy([file])).rules).toHaveLength(1);
  });

  it('fills a comment-only file, keeping its comment', async () => {
    const dir = await tempDir('wtools-policy-');
    const file = path.join(dir, 'trust.yaml');
    await fs.writeFile(file, '# mine\n');
    await appendRule(file, keylessRule);
    const text = await fs.readFile(file, 'utf8');
    expect(text).toContain('# mine');
    expect((await loadTrustPolicy([file])).rules).toHaveLength(1);
  });

  it('refuses to touch an invalid file, and refuses an invalid rule', async () => {
    const dir = await tempDir('wtools-policy-');
    const file = path.join(dir, 'trust.yaml');
    await fs.writeFile(file, 'version: 1\nrulez: []\n');
    await expectCode(appendRule(file, keylessRule), 'POLICY_INVALID');
    expect(await fs.readFile(file, 'utf8')).toBe('version: 1\nrulez: []\n');

    const fresh = path.join(dir, 'fresh.yaml');
    await expectCode(
      appendRule(fresh, { match: ['oci:*'], require: { unsigned: 'allow' } }),
      'POLICY_INVALID',
    );
    await expectCode(appendRule(fresh, { match: ['r.io/a/*'], require: { signers: [] } }), 'POLICY_INVALID');
    expect((await fs.readdir(dir)).sort()).toEqual(['trust.yaml']);
  });

  it('writes through a symlink instead of replacing it', async () => {
    const dir = await tempDir('wtools-policy-');
    const real = path.join(dir, 'real.yaml');
    const link = path.join(dir, 'link.yaml');
    await fs.writeFile(real, 'version: 1\n');
    await fs.symlink(real, link);
    await appendRule(link, keylessRule);
    expect((await fs.lstat(link)).isSymbolicLink()).toBe(true);
    expect((await loadTrustPolicy([real])).rules).toHaveLength(1);
  });
});

describe('trust-policy.schema.json', () => {
  it('is a 2020-12 schema whose keys are the ones the parser accepts', async () => {
    const schema = JSON.parse(
      readFileSync(path.join(path.dirname(defaultTrustPolicyPath()), 'trust-policy.schema.json'), 'utf8'),
    ) as {
      $schema: string;
      properties: Record<string, unknown>;
      $defs: {
        rule: { properties: Record<string, unknown> };
        keylessIdentity: { properties: Record<string, unknown> };
      };
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const allowedIn = async (text: string) =>
      (
        (await expectCode(() => policyOf(text), 'POLICY_INVALID')).message.split('expected one of ')[1] ?? ''
      ).split(', ');
    expect(await allowedIn('version: 1\nzzz: 1\n')).toEqual(Object.keys(schema.properties));
    expect(await allowedIn('version: 1\nrules:\n  - zzz: 1\n')).toEqual(
      Object.keys(schema.$defs.rule.properties),
    );
    expect(await allowedIn('version: 1\nrules:\n  - match: [a/b]\n    keyless:\n      - zzz: 1\n')).toEqual(
      Object.keys(schema.$defs.keylessIdentity.properties),
    );
  });
});
