import type * as SigstoreTuf from '@sigstore/tuf';
import { PUBLIC_GOOD_TUF_MIRROR } from './constants.js';
/**
 * Refreshing the Sigstore trusted root through TUF (@sigstore/tuf, which wraps tuf-js): the
 * repository's root.json chain, timestamp, snapshot and targets are checked, then the
 * `trusted_root.json` target is read and parsed like any other root. Nothing is written outside
 * the TUF cache directory; the caller decides where the root goes.
 */
import { TrustError, describeError } from '../core/index.js';
import { type TrustRoot, trustRootFromJson } from './trusted-root.js';

const TRUSTED_ROOT_TARGET = 'trusted_root.json';

export interface TufFetchOptions {
  /** Where TUF metadata is cached between runs (one sub-directory per mirror). */
  cacheDir: string;
  /** The TUF repository; default public good. */
  mirrorURL?: string;
  /** The initial root.json of a private TUF repository (public good's ships with @sigstore/tuf). */
  tufRootFile?: string;
  timeoutMs?: number;
  retries?: number;
}

export interface FetchedTrustRoot {
  /** The trusted_root.json target exactly as the repository serves it. */
  json: string;
  root: TrustRoot;
  mirrorURL: string;
}

/** Runs a TUF update against the mirror and returns its (verified) trusted_root.json target. */
export async function fetchTrustRootThroughTuf(options: TufFetchOptions): Promise<FetchedTrustRoot> {
  const mirrorURL = (options.mirrorURL ?? PUBLIC_GOOD_TUF_MIRROR).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(mirrorURL);
  } catch (err) {
    throw new TrustError('USAGE', `the TUF mirror URL ${JSON.stringify(mirrorURL)} is not a URL`, {
      cause: err,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TrustError('USAGE', `expected an http(s) TUF mirror URL, found ${mirrorURL}`);
  }
  // A CommonJS package: Node's ESM loader names its exports, a bundler may only give `default`.
  const tufModule = (await import('@sigstore/tuf')) as typeof SigstoreTuf & { default?: typeof SigstoreTuf };
  const initTUF = tufModule.initTUF ?? tufModule.default?.initTUF;
  if (!initTUF) throw new TrustError('TRUST_UPDATE_FAILED', 'the TUF client (@sigstore/tuf) did not load');
  let text: string;
  try {
    const tuf = await initTUF({
      mirrorURL,
      cachePath: options.cacheDir,
      ...(options.tufRootFile ? { rootPath: options.tufRootFile } : {}),
      forceCache: false,
      timeout: options.timeoutMs ?? 10_000,
      retry: { retries: options.retries ?? 1 },
    });
    text = await tuf.getTarget(TRUSTED_ROOT_TARGET);
  } catch (err) {
    throw updateFailed(mirrorURL, err, options.tufRootFile);
  }
  let root: TrustRoot;
  try {
    root = trustRootFromJson(text, `${TRUSTED_ROOT_TARGET} from TUF ${mirrorURL}`);
  } catch (err) {
    throw new TrustError(
      'TRUST_UPDATE_FAILED',
      `the TUF mirror ${mirrorURL} served a trusted root wtools cannot use (${describeError(err)}); ` +
        'the trusted root in use is unchanged',
      { cause: err, details: { mirrorURL } },
    );
  }
  return { json: text, root, mirrorURL };
}

function updateFailed(mirrorURL: string, err: unknown, tufRootFile: string | undefined): TrustError {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'TUF_INIT_CACHE_ERROR' && !tufRootFile) {
    return new TrustError(
      'USAGE',
      `no TUF root.json is known for mirror ${mirrorURL}; give the repository's initial root with --tuf-root FILE`,
      { cause: err, details: { mirrorURL } },
    );
  }
  const why = describeCause(err);
  return new TrustError(
    'TRUST_UPDATE_FAILED',
    `cannot refresh the Sigstore trusted root from TUF mirror ${mirrorURL}: ${why}; ` +
      'nothing was changed and the trusted root in use stays in use (the shipped public-good root, ' +
      'or the one from the last successful `wtools trust update`)',
    { cause: err, details: { mirrorURL, ...(typeof code === 'string' ? { tufCode: code } : {}) } },
  );
}

/** tuf-js wraps fetch errors a few levels deep; the innermost message says what went wrong. */
function describeCause(err: unknown): string {
  const messages: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current; depth++) {
    const message = describeError(current);
    if (message && !messages.some((m) => m.includes(message))) messages.push(message);
    current = (current as { cause?: unknown }).cause;
  }
  return messages.join(': ') || 'unknown error';
}
