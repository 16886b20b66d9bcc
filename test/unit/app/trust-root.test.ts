import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WtoolsContext } from '../../../lib/app/context.js';
import { loadTrustRoot, updateTrustRoot } from '../../../lib/app/trust-root.js';
import { loadTrustContext } from '../../../lib/app/verify.js';
import { sha256 } from '../../../lib/core/index.js';
import { tufCacheDir, updatedTrustRootFile } from '../../../lib/store/index.js';
import { PUBLIC_GOOD_TUF_MIRROR, publicGoodTrustRoot } from '../../../lib/trust/index.js';
import { type TufRepoServer, startTufRepo } from '../../harness/tuf-repo.js';
import { expectCode, tempDir } from '../../harness/unit.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/sigstore/${name}`, import.meta.url), 'utf8');
// A real public-good root that is not byte for byte the shipped one: another fingerprint.
const OTHER_ROOT = fixture('cosign-public-good.trusted_root.json');

async function contextIn(): Promise<WtoolsContext> {
  const home = await tempDir();
  return new WtoolsContext({ env: { WTOOLS_HOME: home, HOME: home } });
}

let repo: TufRepoServer | undefined;
afterEach(async () => {
  await repo?.close();
  repo = undefined;
});

describe('loadTrustRoot', () => {
  it('uses the shipped public-good root when nothing was updated', async () => {
    const context = await contextIn();
    expect((await loadTrustRoot(context)).fingerprint).toBe(publicGoodTrustRoot().fingerprint);
  });

  it('prefers the root written by `trust update` over the shipped one, and --trusted-root over both', async () => {
    const context = await contextIn();
    const file = updatedTrustRootFile(context.paths);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, OTHER_ROOT);
    const updated = await loadTrustRoot(context);
    expect(updated.fingerprint).toBe(sha256(OTHER_ROOT));
    expect(updated.fingerprint).not.toBe(publicGoodTrustRoot().fingerprint);
    expect(updated.source).toContain(file);
    // loadTrustContext (verify, pull) goes through it: stored verdicts see a new fingerprint.
    const policyFile = path.join(path.dirname(file), 'policy.yaml');
    await writeFile(policyFile, 'version: 1\nrules: []\n');
    expect((await loadTrustContext(context, { policyFile })).root.fingerprint).toBe(sha256(OTHER_ROOT));
    const explicit = path.join(path.dirname(file), 'explicit.json');
    await writeFile(explicit, fixture('public-good.trusted_root.json'));
    expect((await loadTrustRoot(context, explicit)).fingerprint).toBe(publicGoodTrustRoot().fingerprint);
  });

  it('refuses a broken updated root instead of silently falling back', async () => {
    const context = await contextIn();
    const file = updatedTrustRootFile(context.paths);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '{"mediaType": "nope"}');
    const err = await expectCode(loadTrustRoot(context), 'TRUST_ROOT_INVALID');
    expect(err.message).toContain('wtools trust update');
  });
});

describe('updateTrustRoot (TUF)', () => {
  it('fails clearly offline (the public-good mirror is unreachable here) and writes nothing', async () => {
    const context = await contextIn();
    const err = await expectCode(updateTrustRoot(context), 'TRUST_UPDATE_FAILED');
    expect(err.message).toContain(PUBLIC_GOOD_TUF_MIRROR);
    expect(err.message).toContain('stays in use');
    expect(existsSync(updatedTrustRootFile(context.paths))).toBe(false);
    expect((await loadTrustRoot(context)).fingerprint).toBe(publicGoodTrustRoot().fingerprint);
  });

  it('needs --tuf-root for a mirror whose root.json it does not know', async () => {
    const context = await contextIn();
    await expectCode(updateTrustRoot(context, { mirrorURL: 'http://127.0.0.1:9' }), 'USAGE');
    await expectCode(
      updateTrustRoot(context, { mirrorURL: 'http://127.0.0.1:9', tufRootFile: '/nonexistent/root.json' }),
      'USAGE',
    );
    expect(existsSync(updatedTrustRootFile(context.paths))).toBe(false);
  });

  it('fetches trusted_root.json from a local TUF repository, writes it, and loadTrustRoot prefers it', async () => {
    repo = await startTufRepo({ trustedRootJson: OTHER_ROOT });
    const context = await contextIn();
    const tufRoot = path.join(context.paths.data, '..', 'root.json');
    await writeFile(tufRoot, repo.rootJson);
    const result = await updateTrustRoot(context, { mirrorURL: repo.url, tufRootFile: tufRoot });
    expect(result).toMatchObject({
      file: updatedTrustRootFile(context.paths),
      mirrorURL: repo.url,
      fingerprint: sha256(OTHER_ROOT),
      previousFingerprint: publicGoodTrustRoot().fingerprint,
      changed: true,
    });
    expect(readFileSync(result.file, 'utf8')).toBe(OTHER_ROOT);
    expect(repo.requests).toEqual(
      expect.arrayContaining(['/2.root.json', '/timestamp.json', '/targets/trusted_root.json']),
    );
    expect(existsSync(tufCacheDir(context.paths))).toBe(true);
    expect((await loadTrustRoot(context)).fingerprint).toBe(sha256(OTHER_ROOT));
    // Again: the cached TUF metadata is reused, and nothing changes.
    const again = await updateTrustRoot(context, { mirrorURL: repo.url });
    expect(again.changed).toBe(false);
  });

  it('rejects a target that does not match the signed targets metadata, keeping the old root', async () => {
    repo = await startTufRepo({
      trustedRootJson: OTHER_ROOT,
      servedTarget: fixture('public-good.trusted_root.json'),
    });
    const context = await contextIn();
    const tufRoot = path.join(context.paths.data, '..', 'root.json');
    await writeFile(tufRoot, repo.rootJson);
    const err = await expectCode(
      updateTrustRoot(context, { mirrorURL: repo.url, tufRootFile: tufRoot }),
      'TRUST_UPDATE_FAILED',
    );
    expect(err.message).toContain(repo.url);
    expect(existsSync(updatedTrustRootFile(context.paths))).toBe(false);
  });
});
