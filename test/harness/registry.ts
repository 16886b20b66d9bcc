/**
 * Integration-test harness: starts real OCI registries (CNCF distribution 2.8.2, Debian's
 * `docker-registry` package) on 127.0.0.1, optionally fronted by token or htpasswd auth, plus a
 * fault-injecting reverse proxy. Every process and temp dir created here is owned by the caller and
 * released by the matching `stop()`.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, randomUUID, sign, X509Certificate } from 'node:crypto';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface RunningRegistry {
  /** "127.0.0.1:PORT" */
  host: string;
  /** "http://127.0.0.1:PORT" */
  url: string;
  /** Filesystem storage root of the registry (inside a temp dir removed by stop()). */
  storageDir: string;
  /** PID of the registry process this harness spawned. */
  pid: number;
  /** Kills only the PID it started, waits for exit, removes temp dirs. Idempotent. */
  stop(): Promise<void>;
}

export interface TokenAuthRegistry extends RunningRegistry {
  /** username -> password accepted by the token server */
  users: Record<string, string>;
  /** Number of requests the token server has received (live value). */
  readonly tokenRequests: number;
  /** The token realm, e.g. "http://127.0.0.1:PORT/token". */
  tokenServerUrl: string;
  /** `service` value the registry expects (also the JWT audience). */
  service: string;
}

export interface FaultProxy {
  url: string;
  host: string;
  requests: { method: string; path: string; status: number }[];
  failNext(n: number, status?: number, headers?: Record<string, string>): void;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;
const KILL_GRACE_MS = 3_000;
const STDERR_LIMIT = 64 * 1024;
const START_ATTEMPTS = 3;

const TOKEN_SERVICE = 'wtools-test-registry';
const TOKEN_ISSUER = 'wtools-test-token-issuer';
const TOKEN_TTL_SECONDS = 300;

/** Registry children still alive; killed synchronously if the test process exits without stop(). */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** Locates the distribution binary: /usr/bin/docker-registry, else `docker-registry` on PATH. */
export function findRegistryBinary(): string | undefined {
  const candidates = ['/usr/bin/docker-registry'];
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir) candidates.push(join(dir, 'docker-registry'));
  }
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

function requireRegistryBinary(): string {
  const bin = findRegistryBinary();
  if (!bin) {
    throw new Error(
      'docker-registry (CNCF distribution) is not installed; `make test` installs it with ' +
        '`apt-get install -y docker-registry skopeo`.',
    );
  }
  return bin;
}

/** Returns a currently free TCP port on 127.0.0.1 (bind port 0, read it back, release it). */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** YAML double-quoted scalar; JSON string syntax is a subset of it. */
function q(value: string): string {
  return JSON.stringify(value);
}

type AuthConfig =
  | { kind: 'none' }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string }
  | { kind: 'htpasswd'; realm: string; path: string };

function registryConfig(storageDir: string, port: number, auth: AuthConfig): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(storageDir)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${q(`127.0.0.1:${port}`)}`,
    `  secret: ${q(randomBytes(24).toString('hex'))}`,
  ];
  if (auth.kind === 'token') {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${q(auth.realm)}`,
      `    service: ${q(auth.service)}`,
      `    issuer: ${q(auth.issuer)}`,
      `    rootcertbundle: ${q(auth.rootCertBundle)}`,
    );
  } else if (auth.kind === 'htpasswd') {
    lines.push('auth:', '  htpasswd:', `    realm: ${q(auth.realm)}`, `    path: ${q(auth.path)}`);
  }
  return lines.join('\n') + '\n';
}

interface Spawned {
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
  stderr(): string;
}

function spawnRegistry(bin: string, configPath: string): Spawned {
  const child = spawn(bin, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let stderr = '';
  const append = (chunk: Buffer): void => {
    stderr += chunk.toString('utf8');
    if (stderr.length > STDERR_LIMIT) stderr = stderr.slice(stderr.length - STDERR_LIMIT);
  };
  // distribution logs to stderr; stdout is drained too so a full pipe can never block it.
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
    child.once('error', (err) => {
      append(Buffer.from(`spawn error: ${err.message}\n`));
      resolve();
    });
  });
  if (child.pid === undefined) {
    // Spawn failed synchronously enough that there is no PID; the 'error' event carries the reason.
    return { child, pid: -1, exited, stderr: () => stderr };
  }
  liveChildren.add(child);
  installExitHook();
  void exited.then(() => liveChildren.delete(child));
  return { child, pid: child.pid, exited, stderr: () => stderr };
}

async function killAndWait(spawned: Spawned): Promise<void> {
  const { child } = spawned;
  if (child.exitCode === null && child.signalCode === null && spawned.pid > 0) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, KILL_GRACE_MS);
    await spawned.exited;
    clearTimeout(timer);
  } else {
    await spawned.exited;
  }
  liveChildren.delete(child);
}

/** Polls GET /v2/ until it answers 200 or 401; rejects early if the process exits. */
async function waitReady(url: string, spawned: Spawned): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = false;
  void spawned.exited.then(() => {
    exited = true;
  });
  let lastError = '';
  while (Date.now() < deadline) {
    if (exited) {
      throw new RegistryStartError(
        `docker-registry exited before becoming ready (code ${spawned.child.exitCode}, signal ${spawned.child.signalCode})`,
        spawned.stderr(),
      );
    }
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return;
      lastError = `GET /v2/ answered ${res.status}`;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(50);
  }
  throw new RegistryStartError(
    `docker-registry did not answer GET ${url}/v2/ within ${READY_TIMEOUT_MS} ms (last: ${lastError})`,
    spawned.stderr(),
  );
}

class RegistryStartError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(`${message}\n--- docker-registry stderr ---\n${stderr.trim() || '(empty)'}`);
    this.name = 'RegistryStartError';
  }
}

/**
 * Starts a registry in `workDir` (created by the caller, removed by stop()). `extraCleanup` runs on
 * stop() after the process is gone (e.g. to close a token server).
 */
async function launch(
  workDir: string,
  makeAuth: () => AuthConfig,
  extraCleanup: () => Promise<void>,
): Promise<RunningRegistry> {
  const bin = requireRegistryBinary();
  const storageDir = join(workDir, 'storage');
  await mkdir(storageDir, { recursive: true });
  const configPath = join(workDir, 'config.yml');

  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    // freePort() releases the port before the registry binds it, so another process could grab it in
    // between; a bind failure is retried on a fresh port.
    const port = await freePort();
    await writeFile(configPath, registryConfig(storageDir, port, makeAuth()));
    const spawned = spawnRegistry(bin, configPath);
    const host = `127.0.0.1:${port}`;
    const url = `http://${host}`;
    try {
      await waitReady(url, spawned);
    } catch (err) {
      lastError = err;
      await killAndWait(spawned);
      if (err instanceof RegistryStartError && /address already in use/i.test(err.stderr)) continue;
      break;
    }
    let stopping: Promise<void> | undefined;
    return {
      host,
      url,
      storageDir,
      pid: spawned.pid,
      stop() {
        stopping ??= (async () => {
          try {
            await killAndWait(spawned);
            await extraCleanup();
          } finally {
            await rm(workDir, { recursive: true, force: true });
          }
        })();
        return stopping;
      },
    };
  }
  await extraCleanup().catch(() => undefined);
  await rm(workDir, { recursive: true, force: true });
  throw lastError;
}

function makeWorkDir(kind: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `wtools-registry-${kind}-`));
}

/** Starts a registry without authentication. */
export async function startRegistry(): Promise<RunningRegistry> {
  const workDir = await makeWorkDir('anon');
  return launch(
    workDir,
    () => ({ kind: 'none' }),
    async () => undefined,
  );
}

// ---------------------------------------------------------------------------------------------
// Token auth
// ---------------------------------------------------------------------------------------------

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** Parses "type:name:actions"; the name may itself contain ':' (e.g. a registry host with a port). */
function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return undefined;
  const actions = scope
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

function basicCredentials(header: string | undefined): { user: string; pass: string } | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), pass: decoded.slice(colon + 1) };
}

function timingSafeStringEqual(a: string, b: string): boolean {
  // Tests only: hash both so lengths match, then compare.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return ha.equals(hb);
}

interface TokenServer {
  url: string;
  count(): number;
  close(): Promise<void>;
}

async function startTokenServer(
  users: Record<string, string>,
  keyPem: string,
  certDerB64: string,
): Promise<TokenServer> {
  const key = createPrivateKey(keyPem);
  let requests = 0;

  const issue = (subject: string, service: string, access: Access[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'ES256', typ: 'JWT', x5c: [certDerB64] };
    const claims = {
      iss: TOKEN_ISSUER,
      sub: subject,
      aud: service,
      exp: now + TOKEN_TTL_SECONDS,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${base64url(signature)}`;
  };

  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(text)),
        ...headers,
      });
      res.end(text);
    };
    const reqUrl = new URL(req.url ?? '/', 'http://token.invalid');
    if (req.method !== 'GET' || reqUrl.pathname !== '/token') {
      reply(404, { errors: [{ code: 'NOT_FOUND', message: 'unknown token endpoint' }] });
      return;
    }
    const creds = basicCredentials(req.headers.authorization);
    const expected = creds ? users[creds.user] : undefined;
    if (!creds || expected === undefined || !timingSafeStringEqual(expected, creds.pass)) {
      reply(
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] },
        { 'www-authenticate': 'Basic realm="wtools-test-token-server"' },
      );
      return;
    }
    const service = reqUrl.searchParams.get('service') ?? TOKEN_SERVICE;
    const access: Access[] = [];
    for (const raw of reqUrl.searchParams.getAll('scope')) {
      // A single scope parameter may carry several space-separated scopes.
      for (const scope of raw.split(' ')) {
        const parsed = scope ? parseScope(scope) : undefined;
        if (parsed) access.push(parsed);
      }
    }
    const token = issue(creds.user, service, access);
    reply(200, {
      token,
      access_token: token,
      expires_in: TOKEN_TTL_SECONDS,
      issued_at: new Date().toISOString(),
    });
  });

  const port = await listenLocal(server);
  return {
    url: `http://127.0.0.1:${port}/token`,
    count: () => requests,
    close: () => closeServer(server),
  };
}

async function listenLocal(server: http.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  return address.port;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function makeSigningCert(dir: string): Promise<{ keyPem: string; certPem: string; certPath: string }> {
  const keyPath = join(dir, 'token-key.pem');
  const certPath = join(dir, 'token-cert.pem');
  try {
    await execFileAsync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '2',
        '-sha256',
        '-subj',
        '/CN=wtools-test-token-issuer',
      ],
      { timeout: 15_000 },
    );
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl could not create the token signing certificate: ${String(err)}\n${stderr}`);
  }
  return { keyPem: await readFile(keyPath, 'utf8'), certPem: await readFile(certPath, 'utf8'), certPath };
}

/**
 * Starts a registry using distribution's token auth, backed by an in-process token server that grants
 * every requested scope to any user in `users` (HTTP Basic) and answers 401 otherwise.
 */
export async function startTokenAuthRegistry(users: Record<string, string>): Promise<TokenAuthRegistry> {
  requireRegistryBinary();
  const workDir = await makeWorkDir('token');
  let tokenServer: TokenServer | undefined;
  let rootCertBundle: string;
  try {
    const { keyPem, certPem, certPath } = await makeSigningCert(workDir);
    rootCertBundle = certPath;
    const certDerB64 = new X509Certificate(certPem).raw.toString('base64');
    tokenServer = await startTokenServer({ ...users }, keyPem, certDerB64);
  } catch (err) {
    await tokenServer?.close();
    await rm(workDir, { recursive: true, force: true });
    throw err;
  }
  const ts = tokenServer;
  const registry = await launch(
    workDir,
    () => ({
      kind: 'token',
      realm: ts.url,
      service: TOKEN_SERVICE,
      issuer: TOKEN_ISSUER,
      rootCertBundle,
    }),
    () => ts.close(),
  );
  return {
    host: registry.host,
    url: registry.url,
    storageDir: registry.storageDir,
    pid: registry.pid,
    stop: () => registry.stop(),
    users: { ...users },
    get tokenRequests() {
      return ts.count();
    },
    tokenServerUrl: ts.url,
    service: TOKEN_SERVICE,
  };
}

// ---------------------------------------------------------------------------------------------
// htpasswd (Basic) auth
// ---------------------------------------------------------------------------------------------

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** bcrypt's own base64 variant (no padding), used for the 16-byte salt. */
function bcryptBase64(data: Buffer): string {
  let out = '';
  let i = 0;
  const at = (n: number): string => BCRYPT_ALPHABET[n & 0x3f] ?? '.';
  while (i < data.length) {
    const c1 = data[i++] ?? 0;
    out += at(c1 >> 2);
    let c = (c1 & 0x03) << 4;
    if (i >= data.length) {
      out += at(c);
      break;
    }
    const c2 = data[i++] ?? 0;
    c |= c2 >> 4;
    out += at(c);
    c = (c2 & 0x0f) << 2;
    if (i >= data.length) {
      out += at(c);
      break;
    }
    const c3 = data[i++] ?? 0;
    c |= c3 >> 6;
    out += at(c);
    out += at(c3 & 0x3f);
  }
  return out;
}

/**
 * Makes a bcrypt hash without network or native modules: Perl's crypt() goes through libxcrypt,
 * which implements `$2b$` on Debian. Password and salt travel via the environment, never argv.
 */
async function bcryptHash(password: string): Promise<string> {
  const salt = `$2b$05$${bcryptBase64(randomBytes(16))}`;
  let hash: string;
  try {
    const { stdout } = await execFileAsync(
      'perl',
      ['-e', 'print crypt($ENV{WTOOLS_PW}, $ENV{WTOOLS_SALT})'],
      {
        env: { ...process.env, WTOOLS_PW: password, WTOOLS_SALT: salt },
        timeout: 10_000,
      },
    );
    hash = stdout.trim();
  } catch (err) {
    throw new Error(`cannot create a bcrypt htpasswd entry (needs perl with libxcrypt): ${String(err)}`);
  }
  if (!/^\$2[aby]\$05\$[./A-Za-z0-9]{53}$/.test(hash)) {
    throw new Error(`perl crypt() did not produce a bcrypt hash (got ${JSON.stringify(hash)})`);
  }
  return hash;
}

/** Starts a registry using htpasswd (HTTP Basic, bcrypt) auth for `users`. */
export async function startBasicAuthRegistry(users: Record<string, string>): Promise<RunningRegistry> {
  requireRegistryBinary();
  const workDir = await makeWorkDir('basic');
  const htpasswdPath = join(workDir, 'htpasswd');
  try {
    const lines: string[] = [];
    for (const [user, pass] of Object.entries(users)) {
      if (user.includes(':') || /\s/.test(user)) throw new Error(`invalid htpasswd user name ${q(user)}`);
      lines.push(`${user}:${await bcryptHash(pass)}`);
    }
    await writeFile(htpasswdPath, lines.join('\n') + '\n', { mode: 0o600 });
  } catch (err) {
    await rm(workDir, { recursive: true, force: true });
    throw err;
  }
  return launch(
    workDir,
    () => ({ kind: 'htpasswd', realm: 'wtools-test-registry', path: htpasswdPath }),
    async () => undefined,
  );
}

// ---------------------------------------------------------------------------------------------
// Fault-injecting reverse proxy
// ---------------------------------------------------------------------------------------------

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function forwardableHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'host') continue;
    out[name] = value;
  }
  return out;
}

/**
 * Starts a node:http reverse proxy on 127.0.0.1 in front of `targetUrl`. Bodies stream both ways;
 * absolute `Location` headers pointing at the target are rewritten to the proxy. `failNext(n)` makes
 * the next n requests fail with `status` (default 503) and `headers` instead of being forwarded.
 */
export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  if (target.protocol !== 'http:') throw new Error(`fault proxy only supports http targets: ${targetUrl}`);
  const faults: { status: number; headers: Record<string, string> }[] = [];
  const requests: FaultProxy['requests'] = [];
  let proxyOrigin = '';

  const rewriteLocation = (location: string): string => {
    try {
      const loc = new URL(location);
      if (loc.protocol === target.protocol && loc.host === target.host) {
        return proxyOrigin + loc.pathname + loc.search + loc.hash;
      }
    } catch {
      // relative Location: already resolves against the proxy
    }
    return location;
  };

  const server = http.createServer((req, res) => {
    const entry = { method: req.method ?? 'GET', path: req.url ?? '/', status: 0 };
    requests.push(entry);

    const fault = faults.shift();
    if (fault) {
      req.resume();
      const body = JSON.stringify({
        errors: [{ code: 'UNAVAILABLE', message: 'injected fault', detail: null }],
      });
      entry.status = fault.status;
      const headers: http.OutgoingHttpHeaders = {
        'content-type': 'application/json',
        ...fault.headers,
      };
      const bodyAllowed = req.method !== 'HEAD' && fault.status !== 204 && fault.status !== 304;
      headers['content-length'] = String(bodyAllowed ? Buffer.byteLength(body) : 0);
      res.writeHead(fault.status, headers);
      res.end(bodyAllowed ? body : undefined);
      return;
    }

    const headers = forwardableHeaders(req.headers);
    headers['host'] = target.host;
    const upstream = http.request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
      },
      (upRes) => {
        const status = upRes.statusCode ?? 502;
        entry.status = status;
        const outHeaders = forwardableHeaders(upRes.headers);
        const location = upRes.headers.location;
        if (typeof location === 'string') outHeaders['location'] = rewriteLocation(location);
        res.writeHead(status, upRes.statusMessage, outHeaders);
        upRes.pipe(res);
        upRes.on('error', () => res.destroy());
      },
    );
    upstream.on('error', (err) => {
      if (res.headersSent) {
        res.destroy(err);
        return;
      }
      entry.status = 502;
      const body = JSON.stringify({ errors: [{ code: 'BAD_GATEWAY', message: err.message }] });
      res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    req.on('aborted', () => upstream.destroy());
    req.pipe(upstream);
  });

  const port = await listenLocal(server);
  const host = `127.0.0.1:${port}`;
  proxyOrigin = `http://${host}`;
  let stopping: Promise<void> | undefined;
  return {
    url: proxyOrigin,
    host,
    requests,
    failNext(n: number, status = 503, headers: Record<string, string> = {}) {
      for (let i = 0; i < n; i++) faults.push({ status, headers: { ...headers } });
    },
    stop() {
      stopping ??= closeServer(server);
      return stopping;
    },
  };
}
