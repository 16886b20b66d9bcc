import os from 'node:os';
import path from 'node:path';

export interface WtoolsPaths {
  /** Pulled content (an OCI layout), transpile cache, audit log. */
  data: string;
  /** Credentials, policies, grants: what a human decided. */
  config: string;
  cache: string;
}

/**
 * Where wtools keeps its state: WTOOLS_HOME when set (one folder for everything, as tests and
 * portable installs want), else the XDG base directories.
 */
export function resolvePaths(env: NodeJS.ProcessEnv = process.env): WtoolsPaths {
  const home = env.WTOOLS_HOME;
  if (home) {
    const root = path.resolve(home);
    return {
      data: path.join(root, 'data'),
      config: path.join(root, 'config'),
      cache: path.join(root, 'cache'),
    };
  }
  const userHome = env.HOME ?? os.homedir();
  const xdg = (name: string, fallback: string) => {
    const value = env[name];
    return value && path.isAbsolute(value) ? value : path.join(userHome, fallback);
  };
  return {
    data: path.join(xdg('XDG_DATA_HOME', '.local/share'), 'wtools'),
    config: path.join(xdg('XDG_CONFIG_HOME', '.config'), 'wtools'),
    cache: path.join(xdg('XDG_CACHE_HOME', '.cache'), 'wtools'),
  };
}

export function storeDir(paths: WtoolsPaths): string {
  return path.join(paths.data, 'store');
}

export function credentialsFile(paths: WtoolsPaths): string {
  return path.join(paths.config, 'credentials.json');
}

/** The user's own trust policy, consulted before the default one. */
export function userTrustPolicyFile(paths: WtoolsPaths): string {
  return path.join(paths.config, 'trust-policy.yaml');
}

/** The Sigstore trusted root written by `wtools trust update`; preferred over the shipped one. */
export function updatedTrustRootFile(paths: WtoolsPaths): string {
  return path.join(paths.data, 'trust', 'trusted_root.json');
}

/** TUF metadata (root, timestamp, snapshot, targets) kept between `wtools trust update` runs. */
export function tufCacheDir(paths: WtoolsPaths): string {
  return path.join(paths.cache, 'tuf');
}
