import type * as TrustModule from '../trust/index.js';

export type TrustApi = typeof TrustModule;

/**
 * lib/trust, loaded on first use: Sigstore's libraries and the YAML parser cost every command
 * start-up time, and most commands (ls, rm, gc, copy, login) never need them.
 */
export function loadTrustApi(): Promise<TrustApi> {
  return import('../trust/index.js');
}
