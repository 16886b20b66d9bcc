/*
 * The shipped public-good root lives twice: lib/trust/data/public-good.trusted_root.json (the copy
 * of sigstore-go's examples/trusted-root-public-good.json) and, embedded as text so that tsc output
 * and the esbuild bundle both find it, lib/trust/data/public-good-root.ts. After replacing the .json
 * file, regenerate the .ts from it keeping its header comment, e.g. with node:
 *   const text = readFileSync(json, 'utf8'); writeFileSync(ts, header + 'export const ' +
 *     'PUBLIC_GOOD_TRUSTED_ROOT_JSON = `' + text + '`;\n')
 * (the root holds no backslash, backtick or "${"; the first test below says if that changes).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { TrustError } from '../../../lib/core/errors.js';
import { PUBLIC_GOOD_TRUSTED_ROOT_JSON } from '../../../lib/trust/data/public-good-root.js';
import { publicGoodTrustRoot, trustRootFromJson } from '../../../lib/trust/trusted-root.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const shippedJson = readFileSync(path.join(repo, 'lib/trust/data/public-good.trusted_root.json'), 'utf8');

function rootError(text: string): TrustError {
  try {
    trustRootFromJson(text, 'test-root.json');
  } catch (err) {
    expect(err).toBeInstanceOf(TrustError);
    expect((err as TrustError).code).toBe('TRUST_ROOT_INVALID');
    return err as TrustError;
  }
  throw new Error('expected TRUST_ROOT_INVALID');
}

describe('the shipped public-good trusted root', () => {
  it('is embedded byte for byte as the .json copy beside it, which is the vector', () => {
    expect(/[\\`]|\$\{/.test(shippedJson)).toBe(false);
    expect(PUBLIC_GOOD_TRUSTED_ROOT_JSON).toBe(shippedJson);
    expect(
      readFileSync(path.join(repo, 'test/fixtures/sigstore/public-good.trusted_root.json'), 'utf8'),
    ).toBe(shippedJson);
  });

  it('loads once, with the sha256 of its JSON as fingerprint', () => {
    const root = publicGoodTrustRoot();
    expect(root.fingerprint).toBe(`sha256:${createHash('sha256').update(shippedJson).digest('hex')}`);
    expect(root.source).toBe('public-good (shipped)');
    expect(publicGoodTrustRoot()).toBe(root);
  });

  it('is reachable from an esbuild bundle, with no file beside it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wtools-trust-bundle-'));
    try {
      const outfile = path.join(dir, 'main.mjs');
      await build({
        stdin: {
          contents: `import { publicGoodTrustRoot } from './lib/trust/trusted-root.ts';\nconsole.log(publicGoodTrustRoot().fingerprint);\n`,
          resolveDir: repo,
          loader: 'ts',
        },
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        outfile,
        logLevel: 'silent',
        banner: {
          js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        },
      });
      const printed = execFileSync(process.execPath, [outfile], { cwd: dir, encoding: 'utf8' }).trim();
      expect(printed).toBe(publicGoodTrustRoot().fingerprint);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('trustRootFromJson', () => {
  it('gives another fingerprint for other text', () => {
    const compact = JSON.stringify(JSON.parse(shippedJson));
    const root = trustRootFromJson(compact, 'compact.json');
    expect(root.fingerprint).not.toBe(publicGoodTrustRoot().fingerprint);
    expect(root.source).toBe('compact.json');
  });

  it('reads a v0.2 media type', () => {
    const json = JSON.parse(shippedJson) as Record<string, unknown>;
    json['mediaType'] = 'application/vnd.dev.sigstore.trustedroot.v0.2+json';
    expect(trustRootFromJson(JSON.stringify(json), 'v02.json').source).toBe('v02.json');
  });

  it('refuses text that is not JSON, naming the source', () => {
    expect(rootError('{').message).toMatch(/^trusted root test-root\.json is invalid: not JSON/);
  });

  it('refuses JSON that is not a trusted root', () => {
    expect(rootError('[]').message).toContain('expected a JSON object');
    expect(rootError('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}').message).toContain(
      'expected mediaType',
    );
    expect(
      rootError('{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":{}}')
        .message,
    ).toContain('"tlogs" to be an array');
    expect(
      rootError('{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}').message,
    ).toContain('no certificate authority and no transparency log');
  });

  it('refuses a root whose certificates do not parse', () => {
    const json = JSON.parse(shippedJson) as {
      certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
    };
    const certificate = json.certificateAuthorities[0]?.certChain.certificates[0];
    if (!certificate) throw new Error('fixture has no CA certificate');
    certificate.rawBytes = Buffer.from('not a certificate').toString('base64');
    rootError(JSON.stringify(json));
  });
});
