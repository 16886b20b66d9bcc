/** What a command-line component argument names: a file on disk, or a reference. */
import { stat } from 'node:fs/promises';

/** A path that exists on disk is a file; anything else is a reference. `./x` and `/x` are always files. */
export async function isComponentFile(input: string): Promise<boolean> {
  if (/^(\.{0,2}\/|~\/)/.test(input) || input.endsWith('.wasm')) return true;
  try {
    return (await stat(input)).isFile();
  } catch {
    return false;
  }
}
