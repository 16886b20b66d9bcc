import { WtoolsError, isWtoolsError } from '../core/index.js';
import type { Credential } from '../oci/index.js';
import { normalizeRegistry as canonicalRegistry, parseReference } from '../oci/index.js';
import type { WtoolsContext } from './context.js';

/** "https://ghcr.io/", "ghcr.io", "docker.io" → the registry name credentials are kept under. */
export function normalizeRegistry(input: string): string {
  const host = canonicalRegistry(input);
  if (host === '')
    throw new WtoolsError('INVALID_ARGUMENT', `expected a registry host[:port], found "${input}"`);
  let parsed: ReturnType<typeof parseReference> | undefined;
  try {
    parsed = parseReference(`${host}/probe`);
  } catch {
    // not a host at all: reported below, without the reference grammar of the probe
  }
  if (parsed?.kind !== 'registry' || parsed.registry !== host) {
    throw new WtoolsError(
      'INVALID_ARGUMENT',
      `expected a registry host[:port] such as ghcr.io or localhost:5000, found "${input}"`,
    );
  }
  return host;
}

/** Checks the credentials against the registry first, then stores them (0600, our config dir). */
export async function login(
  context: WtoolsContext,
  registryInput: string,
  credential: Credential,
): Promise<string> {
  const registry = normalizeRegistry(registryInput);
  const provider = { get: async (name: string) => (name === registry ? credential : undefined) };
  try {
    await context.registry(registry, provider).ping();
  } catch (err) {
    if (!isWtoolsError(err, 'UNAUTHORIZED')) throw err;
    // The generic message speaks of stored credentials; here nothing was stored, and nothing will be.
    throw new WtoolsError(
      'UNAUTHORIZED',
      `registry ${registry} refused the credentials of user "${credential.username ?? ''}"; nothing was stored`,
      { cause: err, details: { registry } },
    );
  }
  await context.savedCredentials.set(registry, credential);
  return registry;
}

export async function logout(
  context: WtoolsContext,
  registryInput: string,
): Promise<{ registry: string; removed: boolean }> {
  const registry = normalizeRegistry(registryInput);
  return { registry, removed: await context.savedCredentials.remove(registry) };
}
