/**
 * Vitest global setup: one shared, unauthenticated registry for the whole run. Tests read its
 * address with `inject('registryHost')`.
 */
import type { TestProject } from 'vitest/node';
import { findRegistryBinary, startRegistry } from './registry.js';

declare module 'vitest' {
  export interface ProvidedContext {
    registryHost: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!findRegistryBinary()) {
    throw new Error(
      'docker-registry (CNCF distribution) was not found at /usr/bin/docker-registry or on PATH. ' +
        '`make test` installs it with `apt-get install -y docker-registry skopeo`.',
    );
  }
  const registry = await startRegistry();
  project.provide('registryHost', registry.host);
  return async () => {
    await registry.stop();
  };
}
