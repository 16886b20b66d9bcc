import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { WtoolsError } from './errors.js';

let root: string | undefined;
let version: string | undefined;

/**
 * The installed package's folder: the nearest package.json named wtools above this module. The
 * same whether this runs from dist/lib (tsc output) or from dist/bundle (one file).
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'wtools') {
        version = pkg.version;
        return (root = dir);
      }
    } catch {
      // not here: look one folder up
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new WtoolsError(
        'IO',
        'cannot find the wtools package folder (a package.json named wtools above the code)',
      );
    }
    dir = parent;
  }
}

/** The version in the package.json packageRoot found (read once, with it). */
export function packageVersion(): string {
  packageRoot();
  return version ?? '0.0.0';
}
