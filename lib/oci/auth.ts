import { OciError, describeError } from '../core/index.js';
import type { Credential, CredentialProvider } from './credentials.js';
import type { HttpClient } from './http.js';
import type { HttpResponse } from './node-transport.js';

export interface Challenge {
  scheme: 'basic' | 'bearer';
  realm?: string;
  service?: string;
  scope?: string;
}

/** Parses `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` (quoted or bare values). */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  const pattern = /([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let m = pattern.exec(match[2] ?? ''); m; m = pattern.exec(match[2] ?? '')) {
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return {
    scheme,
    ...(params.realm !== undefined ? { realm: params.realm } : {}),
    ...(params.service !== undefined ? { service: params.service } : {}),
    ...(params.scope !== undefined ? { scope: params.scope } : {}),
  };
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

/**
 * Answers registry challenges: Basic from stored credentials, Bearer by fetching a token from the
 * realm. Tokens are cached per registry and scope set, and concurrent fetches of the same token
 * are merged into one request.
 */
export class AuthClient {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();
  private readonly credentials = new Map<string, Promise<Credential | undefined>>();
  /** Registries that answered with a Basic challenge, and the header that satisfied them. */
  private readonly basic = new Map<string, string>();

  constructor(
    private readonly http: HttpClient,
    private readonly provider: CredentialProvider | undefined,
  ) {}

  /** A cached Authorization header for these scopes, without any request. */
  cached(registry: string, scopes: readonly string[]): string | undefined {
    const basic = this.basic.get(registry);
    if (basic) return basic;
    const token = this.tokens.get(tokenKey(registry, scopes));
    if (token && token.expiresAt > Date.now()) return `Bearer ${token.value}`;
    return undefined;
  }

  credentialFor(registry: string): Promise<Credential | undefined> {
    let found = this.credentials.get(registry);
    if (!found) {
      found = this.provider ? this.provider.get(registry) : Promise.resolve(undefined);
      this.credentials.set(registry, found);
      // A failed lookup (a helper timing out) is not remembered: the next request asks again.
      found.catch(() => this.credentials.delete(registry));
    }
    return found;
  }

  /** Replaces stored credentials for this client (login checks credentials before saving them). */
  useCredential(registry: string, credential: Credential): void {
    this.credentials.set(registry, Promise.resolve(credential));
    this.basic.delete(registry);
    for (const key of [...this.tokens.keys()]) if (key.startsWith(`${registry} `)) this.tokens.delete(key);
  }

  /** The Authorization header that answers a challenge, for `scopes` plus any the challenge names. */
  async authorize(
    registry: string,
    challenge: Challenge,
    scopes: readonly string[],
  ): Promise<string | undefined> {
    const credential = await this.credentialFor(registry);
    if (challenge.scheme === 'basic') {
      if (!credential?.username || credential.password === undefined) return undefined;
      const header = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
      this.basic.set(registry, header);
      return header;
    }
    if (!challenge.realm) {
      throw new OciError('REGISTRY_ERROR', `registry ${registry} sent a Bearer challenge without a realm`);
    }
    const all = [
      ...new Set([...scopes, ...(challenge.scope ? challenge.scope.split(' ') : [])].map(normalizeScope)),
    ].sort();
    const key = tokenKey(registry, all);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.value}`;
    let request = this.pending.get(key);
    if (!request) {
      request = this.fetchToken(registry, challenge, all, credential).finally(() => this.pending.delete(key));
      this.pending.set(key, request);
    }
    const token = await request;
    // Remember it under the scopes the caller asked for too, so the next request skips the 401.
    const fetched = this.tokens.get(key);
    if (fetched) this.tokens.set(tokenKey(registry, scopes), fetched);
    return `Bearer ${token}`;
  }

  private async fetchToken(
    registry: string,
    challenge: Challenge,
    scopes: readonly string[],
    credential: Credential | undefined,
  ): Promise<string> {
    const url = new URL(challenge.realm!);
    if (!this.http.allowsUrl(url)) {
      throw new OciError(
        'INSECURE_REGISTRY',
        `registry ${registry} sends token requests to ${url.origin}, plain HTTP; expected HTTPS, refusing to send credentials there`,
      );
    }
    let response: HttpResponse;
    if (credential?.identityToken) {
      // An OAuth2 refresh token (docker's identitytoken) is exchanged by POST, as docker does.
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credential.identityToken,
        client_id: 'wtools',
        ...(challenge.service ? { service: challenge.service } : {}),
        scope: scopes.join(' '),
      });
      response = await this.http.send({
        method: 'POST',
        url: url.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new TextEncoder().encode(form.toString()),
      });
    } else {
      if (challenge.service) url.searchParams.set('service', challenge.service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      const headers: Record<string, string> = {};
      if (credential?.username && credential.password !== undefined) {
        headers.authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
      }
      response = await this.http.send({ method: 'GET', url: url.toString(), headers });
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new OciError(
        'UNAUTHORIZED',
        credential
          ? `registry ${registry} refused the stored credentials (token server answered ${response.status}); run \`wtools login ${registry}\` again`
          : `registry ${registry} requires credentials; run \`wtools login ${registry}\` (or \`docker login ${registry}\`)`,
        { details: { registry } },
      );
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw new OciError(
        'REGISTRY_ERROR',
        `token server of ${registry} answered ${response.status}: ${text.slice(0, 200)}`,
      );
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = (await response.json()) as typeof body;
    } catch (err) {
      throw new OciError('REGISTRY_ERROR', `token server of ${registry} sent no JSON: ${describeError(err)}`);
    }
    const token = typeof body.token === 'string' ? body.token : body.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new OciError('REGISTRY_ERROR', `token server of ${registry} sent no token`);
    }
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    // Renew a little early so a token does not expire between the check and its use.
    this.tokens.set(tokenKey(registry, scopes), {
      value: token,
      expiresAt: Date.now() + lifetime * 1000 - 5_000,
    });
    return token;
  }
}

/** "repository:x:push,pull" and "repository:x:pull,push" are one scope (registries vary the order). */
export function normalizeScope(scope: string): string {
  const parts = scope.split(':');
  if (parts.length < 3) return scope;
  const actions = parts.pop()!;
  return `${parts.join(':')}:${[...new Set(actions.split(','))].sort().join(',')}`;
}

function tokenKey(registry: string, scopes: readonly string[]): string {
  return `${registry} ${scopes.map(normalizeScope).sort().join(' ')}`;
}
