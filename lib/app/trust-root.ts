import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type Digest,
  TrustError,
  WtoolsError,
  describeError,
  withFileLock,
  writeFileAtomic,
} from '../core/index.js';
import { tufCacheDir, updatedTrustRootFile } from '../store/index.js';
import type { TrustRoot } from '../trust/index.js';
import type { WtoolsContext } from './context.js';
import { loadTrustApi } from './trust-api.js';

/**
 * The trusted root for this run: `--trusted-root FILE` when given, else the root written by the
 * last `wtools trust update` (data dir), else the public-good root shipped with wtools.
 */
export async function loadTrustRoot(context: WtoolsContext, trustedRootFile?: string): Promise<TrustRoot> {
  if (trustedRootFile) {
    return (await loadTrustApi()).trustRootFromJson(await readRootFile(trustedRootFile), trustedRootFile);
  }
  const updated = updatedTrustRootFile(context.paths);
  let text: string;
  try {
    text = await readFile(updated, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return (await loadTrustApi()).publicGoodTrustRoot();
    throw rootUnreadable(updated, err);
  }
  // A broken updated root is an error, not a silent fall back to another root.
  try {
    return (await loadTrustApi()).trustRootFromJson(text, `${updated} (wtools trust update)`);
  } catch (err) {
    throw new TrustError(
      'TRUST_ROOT_INVALID',
      `${describeError(err)}; run \`wtools trust update\` again, or delete ${updated} to use the shipped root`,
      { cause: err },
    );
  }
}

async function readRootFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw rootUnreadable(file, err);
  }
}

function rootUnreadable(file: string, err: unknown): TrustError {
  return new TrustError('TRUST_ROOT_INVALID', `cannot read trusted root ${file}: ${describeError(err)}`, {
    cause: err,
  });
}

export interface TrustUpdateOptions {
  /** A TUF repository (default: Sigstore public good). */
  mirrorURL?: string;
  /** The initial root.json of a private TUF repository. */
  tufRootFile?: string;
  timeoutMs?: number;
}

export interface TrustUpdateResult {
  /** Where the updated trusted root now is. */
  file: string;
  mirrorURL: string;
  fingerprint: Digest;
  /** The fingerprint of the root used before the update (shipped or earlier update). */
  previousFingerprint: Digest;
  changed: boolean;
}

/**
 * `wtools trust update`: fetches trusted_root.json through TUF and writes it atomically into the
 * data dir, where loadTrustRoot prefers it. On any failure nothing in the data dir changes.
 */
export async function updateTrustRoot(
  context: WtoolsContext,
  options: TrustUpdateOptions = {},
): Promise<TrustUpdateResult> {
  if (options.tufRootFile) {
    try {
      await access(options.tufRootFile);
    } catch (err) {
      throw new WtoolsError('USAGE', `cannot read TUF root ${options.tufRootFile}: ${describeError(err)}`, {
        cause: err,
      });
    }
  }
  const cacheDir = tufCacheDir(context.paths);
  const file = updatedTrustRootFile(context.paths);
  return withFileLock(path.join(cacheDir, '.update.lock'), async () => {
    let previous: TrustRoot;
    try {
      previous = await loadTrustRoot(context);
    } catch {
      previous = (await loadTrustApi()).publicGoodTrustRoot(); // a broken earlier update is about to be replaced
    }
    const fetched = await (
      await loadTrustApi()
    ).fetchTrustRootThroughTuf({
      cacheDir,
      ...(options.mirrorURL ? { mirrorURL: options.mirrorURL } : {}),
      ...(options.tufRootFile ? { tufRootFile: path.resolve(options.tufRootFile) } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    await writeFileAtomic(file, fetched.json);
    return {
      file,
      mirrorURL: fetched.mirrorURL,
      fingerprint: fetched.root.fingerprint,
      previousFingerprint: previous.fingerprint,
      changed: fetched.root.fingerprint !== previous.fingerprint,
    };
  });
}
