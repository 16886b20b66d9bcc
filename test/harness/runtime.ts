/**
 * Starting fixture components in the real runtime (real worker threads, real jco output) for
 * integration and security tests. Transpiles are cached under .cache/transpiled by digest, as the
 * CLI caches them, so only the first run pays for jco.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { sha256 } from '../../lib/core/index.js';
import { checkImports, readComponentNames, transpileCached } from '../../lib/component/index.js';
import { type Grant, parseCapability } from '../../lib/grants/index.js';
import { ComponentRuntime, type DenialEvent, type RuntimeOptions } from '../../lib/runtime/index.js';

const CACHE = path.join(fileURLToPath(new URL('../../', import.meta.url)), '.cache');

export function grants(...texts: string[]): Grant[] {
  return texts.map((text) => ({ capability: parseCapability(text), effect: 'allow' }));
}

export interface StartedFixture {
  runtime: ComponentRuntime;
  denied: DenialEvent[];
}

/** Loads a component file into a fresh runtime, closed when the test finishes. */
export async function startComponent(
  file: string,
  options: Partial<Omit<RuntimeOptions, 'transpiled'>> = {},
): Promise<StartedFixture> {
  const bytes = new Uint8Array(await readFile(file));
  checkImports(readComponentNames(bytes).imports, file);
  const transpiled = await transpileCached(bytes, sha256(bytes), CACHE, path.basename(file));
  const denied: DenialEvent[] = [];
  const runtime = await ComponentRuntime.load({
    name: path.basename(file, '.wasm').split('-').slice(0, 3).join('-'),
    env: {},
    ...options,
    transpiled,
    onDenied: (event) => {
      denied.push(event);
      options.onDenied?.(event);
    },
  });
  onTestFinished(() => runtime.close());
  return { runtime, denied };
}
