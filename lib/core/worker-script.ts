import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageRoot } from './package.js';

export interface WorkerScript {
  file: string;
  /** When running from TypeScript sources (tests, development): what scripts/ts-worker.mjs loads. */
  tsEntry?: string;
}

/**
 * The script of a worker thread that lives beside the module at `moduleUrl` (in lib/`folder`) as
 * `name`.ts: the TS source through tsx when that module runs from source, the compiled `name`.js
 * beside it in dist/lib, or the bundle's own entry (`bundleFile` in dist/bundle) when the module
 * was bundled and no longer sits in its folder.
 */
export function workerScript(
  moduleUrl: string,
  folder: string,
  name: string,
  bundleFile: string,
): WorkerScript {
  const here = fileURLToPath(moduleUrl);
  const dir = path.dirname(here);
  if (here.endsWith('.ts')) {
    return {
      file: path.join(packageRoot(), 'scripts', 'ts-worker.mjs'),
      tsEntry: pathToFileURL(path.join(dir, `${name}.ts`)).href,
    };
  }
  const beside = path.join(dir, `${name}.js`);
  if (existsSync(beside) && path.basename(dir) === folder) return { file: beside };
  return { file: path.join(packageRoot(), 'dist', 'bundle', bundleFile) };
}
