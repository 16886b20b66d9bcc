/**
 * `wtools trust update` through the built CLI: offline against the public-good mirror (this
 * machine cannot reach it) it fails with exit 6 and writes nothing; against a local TUF repository
 * it installs the served trusted root, which `verify` then uses without --trusted-root.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, jsonOf, sandbox } from '../harness/cli.js';
import { keylessFlags, useSigstoreServer, writeKeylessBundle } from '../harness/signing.js';
import { type TufRepoServer, startTufRepo } from '../harness/tuf-repo.js';

describe('e2e: trust update', () => {
  it('fails clearly offline: exit 6, TRUST_UPDATE_FAILED naming the mirror, nothing written', async () => {
    const sb = await sandbox();
    const result = await sb.run(['trust', 'update', '--json']);
    expect(result.code, describeRun(result)).toBe(6);
    const json = jsonOf<{ error: { code: string; message: string } }>(result);
    expect(json.error.code).toBe('TRUST_UPDATE_FAILED');
    expect(json.error.message).toContain('https://tuf-repo-cdn.sigstore.dev');
    expect(json.error.message).toContain('stays in use');
    expect(existsSync(path.join(sb.wtoolsHome, 'data', 'trust'))).toBe(false);
  });

  it('a private mirror without --tuf-root is a usage error (exit 2)', async () => {
    const sb = await sandbox();
    const result = await sb.run(['trust', 'update', '--mirror-url', 'http://127.0.0.1:9']);
    expect(result.code, describeRun(result)).toBe(2);
    expect(result.stderr).toContain('--tuf-root');
  });

  describe('against a local TUF repository serving a local Sigstore root', () => {
    const server = useSigstoreServer();
    let tuf: TufRepoServer;
    beforeAll(async () => {
      tuf = await startTufRepo({ trustedRootJson: server().trustedRootJson });
    });
    afterAll(async () => {
      await tuf.close();
    });

    it('installs the root, and verify uses it when no --trusted-root is given', async () => {
      const sigstore = server();
      const sb = await sandbox();
      const file = sb.path('tool.wasm');
      await writeFile(file, 'the artifact');
      const digest = `sha256:${createHash('sha256').update('the artifact').digest('hex')}`;
      const bundle = await writeKeylessBundle(
        sigstore,
        digest,
        'tool.wasm',
        sb.path('tool.wasm.sigstore.json'),
      );
      const verify = ['verify', '--bundle', bundle, file, ...keylessFlags(), '--json'];
      const before = await sb.run(verify);
      expect(before.code, describeRun(before)).toBe(1); // the shipped root does not know the local CA

      const tufRoot = sb.path('root.json');
      await writeFile(tufRoot, tuf.rootJson);
      const update = await sb.run([
        'trust',
        'update',
        '--mirror-url',
        tuf.url,
        '--tuf-root',
        tufRoot,
        '--json',
      ]);
      expect(update.code, describeRun(update)).toBe(0);
      const result = jsonOf<{ file: string; changed: boolean; fingerprint: string }>(update);
      expect(result.changed).toBe(true);
      expect(readFileSync(result.file, 'utf8')).toBe(sigstore.trustedRootJson);

      const after = await sb.run(verify);
      expect(after.code, describeRun(after)).toBe(0);
      expect(jsonOf<{ results: { trustRoot: string }[] }>(after).results[0]?.trustRoot).toBe(
        result.fingerprint,
      );
    });
  });
});
