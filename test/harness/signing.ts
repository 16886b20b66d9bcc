/**
 * Setup shared by the signing e2e tests: keygen and push through the built CLI, the local Sigstore
 * server's lifecycle, trusted-root files and keyless bundles.
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect } from 'vitest';
import { signManifestKeyless } from '../../lib/trust/sign.js';
import { type Sandbox, describeRun, jsonOf, uniqueRepo } from './cli.js';
import { fixturePath } from './fixtures.js';
import { type SigstoreServer, startSigstoreServer } from './sigstore-server.js';

export const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const IDENTITY = 'release-bot@example.com';
export const ISSUER = 'https://issuer.local.test';

export interface KeygenJson {
  privateKeyPath: string;
  publicKeyPath: string;
  keyId: string;
  encrypted: boolean;
}
export interface VerifyJson {
  ok: boolean;
  results: {
    reference?: string;
    file?: string;
    ok: boolean;
    digest?: string;
    rule?: string;
    signer?: {
      method: string;
      format?: string;
      keyName?: string;
      identity?: string;
      issuer?: string;
      tlogTime?: string;
    };
    error?: { code: string; message: string };
  }[];
}
export interface ErrorJson {
  ok: false;
  exitCode?: number;
  error: { code: string; message: string };
}

/** `keygen --output-prefix <sandbox>/<prefix>`, encrypted when a passphrase is given. */
export async function keygen(sb: Sandbox, prefix: string, passphrase?: string): Promise<KeygenJson> {
  const args = ['keygen', '--output-prefix', sb.path(prefix), '--json'];
  const result = await sb.run(passphrase === undefined ? args : [...args, '--passphrase-stdin'], {
    ...(passphrase !== undefined ? { input: `${passphrase}\n` } : {}),
  });
  expect(result.code, describeRun(result)).toBe(0);
  return jsonOf<KeygenJson>(result);
}

/**
 * Pushes the hello fixture to a fresh repository as `:1.0`: `name` is the repository name,
 * `repo` the same with the registry host.
 */
export async function pushHello(
  sb: Sandbox,
  registry: string,
  prefix: string,
): Promise<{ name: string; repo: string; ref: string; digest: string }> {
  const name = uniqueRepo(prefix);
  const repo = `${registry}/${name}`;
  const ref = `${repo}:1.0`;
  const result = await sb.run(['push', await fixturePath('hello'), ref, '--json']);
  expect(result.code, describeRun(result)).toBe(0);
  return { name, repo, ref, digest: jsonOf<{ digest: string }>(result).digest };
}

/** Writes `<sandbox>/trusted_root.json` and returns its path. */
export async function writeTrustedRoot(sb: Sandbox, trustedRootJson: string): Promise<string> {
  const file = sb.path('trusted_root.json');
  await writeFile(file, trustedRootJson);
  return file;
}

/** The verify flags that name a keyless signer. */
export function keylessFlags(identity: string = IDENTITY, issuer: string = ISSUER): string[] {
  return ['--certificate-identity', identity, '--certificate-oidc-issuer', issuer];
}

/** Starts a local Sigstore server for the enclosing suite; call the returned function in a test. */
export function useSigstoreServer(): () => SigstoreServer {
  let server: SigstoreServer | undefined;
  beforeAll(async () => {
    server = await startSigstoreServer();
  });
  afterAll(() => server?.close());
  return () => {
    if (!server) throw new Error('the local Sigstore server is not started');
    return server;
  };
}

/** Signs `digest` keylessly as IDENTITY from ISSUER against `sigstore`, writing the bundle to `bundle`. */
export async function writeKeylessBundle(
  sigstore: SigstoreServer,
  digest: string,
  name: string,
  bundle: string,
): Promise<string> {
  const signed = await signManifestKeyless(digest, name, {
    identityToken: sigstore.identityToken(IDENTITY, ISSUER),
    fulcioURL: sigstore.url,
    rekorURL: sigstore.url,
  });
  await writeFile(bundle, signed.bundleJson);
  return bundle;
}
