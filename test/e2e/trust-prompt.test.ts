/**
 * The trust prompt on a real terminal: `wtools pull` of a signed component that no rule covers,
 * run inside tmux (a pseudo-terminal for stdin and stderr), answered with the arrow keys. "Yes,
 * always" writes a rule to the user's policy file, which later non-interactive runs obey; without a
 * terminal the same situation is refused with exit 8 and the flags to use.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { CLI_PATH, type Sandbox, describeRun, jsonOf, sandbox, uniqueRepo } from '../harness/cli.js';
import { fixturePath } from '../harness/fixtures.js';
import type { SigstoreServer } from '../harness/sigstore-server.js';
import { IDENTITY, ISSUER, useSigstoreServer } from '../harness/signing.js';
import { TMUX, shellQuote, tmuxServer } from '../harness/tmux.js';

const registry = inject('registryHost');

interface PullJson {
  digest: string;
  cached: boolean;
  trust: { status: string; rule: string; signer?: { identity?: string; issuer?: string } };
}

const terminal = tmuxServer('wtools-test');
const tmux = terminal.run;
let session: string | undefined;

/** Polls the current session's pane until `done` accepts its text. */
function waitForPane(done: (screen: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
  return terminal.waitForPane(session!, done, what, timeoutMs);
}

const sigstoreServer = useSigstoreServer();
let sigstore: SigstoreServer;
beforeAll(() => {
  sigstore = sigstoreServer();
});
afterAll(() => terminal.close());
afterEach(() => {
  if (session === undefined) return;
  try {
    tmux('kill-session', '-t', session);
  } catch {
    // already gone
  }
  session = undefined;
});

/** Pushes `fixture` to `ref` and signs it keylessly as IDENTITY with the local Sigstore. */
async function pushAndSign(sb: Sandbox, ref: string, fixture: string): Promise<string> {
  const pushed = await sb.run(['push', await fixturePath(fixture), ref, '--json']);
  expect(pushed.code, describeRun(pushed)).toBe(0);
  const signed = await sb.run(
    ['sign', ref, '--fulcio-url', sigstore.url, '--rekor-url', sigstore.url, '--json'],
    { extraEnv: { SIGSTORE_ID_TOKEN: sigstore.identityToken(IDENTITY, ISSUER) } },
  );
  expect(signed.code, describeRun(signed)).toBe(0);
  return jsonOf<{ digest: string }>(pushed).digest;
}

describe('e2e: the trust prompt on a terminal (tmux)', () => {
  it.skipIf(!existsSync(TMUX))(
    '"Yes, always" adds a rule that later runs obey; without a terminal it is refused',
    async () => {
      const sb = await sandbox({ trustPolicy: false });
      const root = sb.path('trusted_root.json');
      await writeFile(root, sigstore.trustedRootJson);
      const repo = `${registry}/${uniqueRepo('prompt')}`;
      const digest = await pushAndSign(sb, `${repo}:1.0`, 'hello');
      const secondDigest = await pushAndSign(sb, `${repo}:2.0`, 'imports');
      expect(secondDigest).not.toBe(digest);
      const policyFile = path.join(sb.wtoolsHome, 'config', 'trust-policy.yaml');
      expect(existsSync(policyFile)).toBe(false);

      session = `pull-${randomBytes(4).toString('hex')}`;
      const command = [
        'env',
        '-i',
        `PATH=${shellQuote(process.env.PATH ?? '/usr/bin:/bin')}`,
        `WTOOLS_HOME=${shellQuote(sb.wtoolsHome)}`,
        `HOME=${shellQuote(sb.home)}`,
        'NO_COLOR=1',
        'TERM=xterm-256color',
        shellQuote(process.execPath),
        shellQuote(CLI_PATH),
        'pull',
        shellQuote(`${repo}:1.0`),
        '--trusted-root',
        shellQuote(root),
        '; echo EXIT=$? ; sleep 30',
      ].join(' ');
      tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', command);

      const prompt = await waitForPane(
        (screen) => screen.includes('Trust this signer?') && screen.includes('No'),
        'the trust prompt',
      );
      expect(prompt).toContain(`${repo} is signed by ${IDENTITY} from ${ISSUER} at `);
      expect(prompt).toContain('Yes, this time');
      expect(prompt).toContain(`Yes, always for ${repo}`);

      // The cursor starts on "No" (the default, last); "Yes, always" is just above it.
      tmux('send-keys', '-t', session, 'Up');
      await waitForPane(
        (screen) => screen.split('\n').some((line) => line.includes('❯') && line.includes('Yes, always')),
        'the cursor on "Yes, always"',
      );
      tmux('send-keys', '-t', session, 'Enter');
      const finished = await waitForPane((screen) => /EXIT=\d+/.test(screen), 'the pull to finish', 60_000);
      expect(finished, finished).toContain('EXIT=0');
      expect(finished).toContain(`added a rule for ${repo} to ${policyFile}`);
      expect(finished).toContain(digest);

      const policy = await readFile(policyFile, 'utf8');
      expect(policy).toContain(repo);
      expect(policy).toContain(IDENTITY);
      expect(policy).toContain(ISSUER);

      // The accepted pull was stored with that signer (the retry names it as on the command line).
      const listed = jsonOf<{ digest: string; trust?: PullJson['trust'] }[]>(await sb.run(['ls', '--json']));
      expect(listed).toEqual([
        expect.objectContaining({
          digest,
          trust: expect.objectContaining({
            status: 'verified',
            signer: expect.objectContaining({ identity: IDENTITY, issuer: ISSUER }),
          }),
        }),
      ]);

      // The rule now decides, with no terminal and no flags naming the signer.
      const second = await sb.run(['pull', `${repo}:2.0`, '--trusted-root', root, '--json']);
      expect(second.code, describeRun(second)).toBe(0);
      expect(jsonOf<PullJson>(second)).toMatchObject({
        digest: secondDigest,
        cached: false,
        trust: {
          status: 'verified',
          rule: expect.stringContaining('trust-policy.yaml') as string,
          signer: { identity: IDENTITY, issuer: ISSUER },
        },
      });
      expect(second.stderr).not.toContain('Trust this signer?');

      // Another repository signed by the same identity: no rule, no terminal → refused, exit 8.
      const otherRepo = `${registry}/${uniqueRepo('prompt-other')}`;
      await pushAndSign(sb, `${otherRepo}:1.0`, 'hello');
      const refused = await sb.run(['pull', `${otherRepo}:1.0`, '--trusted-root', root]);
      expect(refused.code, describeRun(refused)).toBe(8);
      expect(refused.stderr).toContain(`is signed (${IDENTITY} from ${ISSUER}`);
      expect(refused.stderr).toContain('no trust policy rule matches');
      expect(refused.stderr).toContain('--certificate-identity');
      expect(refused.stderr).toContain('--certificate-oidc-issuer');
      expect(refused.stderr).toContain('--key');
      expect(refused.stderr).toContain(`add a rule for "${otherRepo}" to ${policyFile}`);
      expect(refused.stderr).not.toContain('Trust this signer?');
      const asJson = await sb.run(['pull', `${otherRepo}:1.0`, '--trusted-root', root, '--json']);
      expect(asJson.code, describeRun(asJson)).toBe(8);
      expect(jsonOf(asJson)).toMatchObject({ ok: false, exitCode: 8, error: { code: 'NO_MATCHING_RULE' } });
      // The refusal changed nothing: the policy still names only the first repository.
      expect(await readFile(policyFile, 'utf8')).toBe(policy);
    },
    120_000,
  );
});
