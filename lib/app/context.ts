import {
  type CredentialProvider,
  FileCredentialStore,
  OciLayout,
  RegistryClient,
  type Reference,
  type RetryPolicy,
  type Target,
  chainCredentials,
  dockerConfigCredentials,
} from '../oci/index.js';
import { type WtoolsPaths, credentialsFile, resolvePaths, storeDir } from '../store/index.js';

export interface WtoolsOptions {
  env?: NodeJS.ProcessEnv;
  /** Registries that may be spoken to over plain HTTP besides loopback ones. */
  insecureRegistries?: readonly string[];
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  /** Where registry requests go out; tests pass an in-process fake registry. */
  fetch?: typeof globalThis.fetch;
}

/**
 * What every command needs: where state lives, the local store, credentials, and one registry
 * client per host (so tokens are shared across the operations of one process).
 */
export class WtoolsContext {
  readonly paths: WtoolsPaths;
  readonly store: OciLayout;
  readonly savedCredentials: FileCredentialStore;
  readonly credentials: CredentialProvider;
  private readonly clients = new Map<string, RegistryClient>();

  constructor(readonly options: WtoolsOptions = {}) {
    const env = options.env ?? process.env;
    this.paths = resolvePaths(env);
    this.store = new OciLayout(storeDir(this.paths));
    this.savedCredentials = new FileCredentialStore(credentialsFile(this.paths));
    // Our own logins first, then whatever docker knows.
    this.credentials = chainCredentials(this.savedCredentials, dockerConfigCredentials({ env }));
  }

  registry(registry: string, credentials: CredentialProvider = this.credentials): RegistryClient {
    let client = this.clients.get(registry);
    if (!client || credentials !== this.credentials) {
      client = new RegistryClient(registry, {
        credentials,
        insecure: this.options.insecureRegistries ?? [],
        ...(this.options.retry ? { retry: this.options.retry } : {}),
        ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
        ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      });
      if (credentials === this.credentials) this.clients.set(registry, client);
    }
    return client;
  }

  /** The Target a reference names: a registry repository or an OCI layout directory. */
  target(ref: Reference): Target {
    if (ref.kind === 'layout') return new OciLayout(ref.path);
    return this.registry(ref.registry).repository(ref.repository);
  }
}
