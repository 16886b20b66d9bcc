/**
 * The starter components that ship with wtools: built and signed by `make components` into one OCI
 * layout each under dist/starter, with the public half of the key made for that build. `serve
 * --demo` loads them, trusting exactly that key for this run.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WtoolsError, describeError, packageRoot } from '../core/index.js';
import type { TrustOptions } from './verify.js';

export const STARTER_COMPONENTS = ['encode', 'time', 'fetch', 'filesystem', 'chart', 'memory'] as const;
export const STARTER_VERSION = '0.1.0';

export function starterDir(): string {
  return path.join(packageRoot(), 'dist', 'starter');
}

export interface StarterSet {
  inputs: string[];
  /** The build's key as the only accepted signer: a rule for exactly that key, for this run. */
  trust: TrustOptions;
}

export async function starterSet(dir: string = starterDir()): Promise<StarterSet> {
  const keyFile = path.join(dir, 'starter.pub');
  let publicKeyPem: string;
  try {
    publicKeyPem = await readFile(keyFile, 'utf8');
  } catch (err) {
    throw new WtoolsError(
      'NOT_FOUND',
      `the starter components are not built (expected ${keyFile}: ${describeError(err)}); run \`make components\``,
      { cause: err },
    );
  }
  return {
    inputs: STARTER_COMPONENTS.map((name) => `oci:${path.join(dir, name)}:${STARTER_VERSION}`),
    trust: { signers: [{ kind: 'key', publicKeyPem, name: 'the starter build key' }] },
  };
}
