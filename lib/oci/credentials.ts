import { constants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WtoolsError, describeError, withFileLock, writeFileAtomic } from '../core/index.js';
import { DOCKER_HUB, DOCKER_HUB_API_HOST } from './reference.js';

export interface Credential {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (docker identitytoken) */
  identityToken?: string;
}

export interface CredentialProvider {
  /** registry is the canonical name people write: "ghcr.io", "localhost:5000", "docker.io" (Docker Hub). */
  get(registry: string): Promise<Credential | undefined>;
}

/** The key docker itself uses for Docker Hub, both in `auths` and when asking a credential helper. */
const DOCKER_HUB_SERVER_URL = 'https://index.docker.io/v1/';
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', DOCKER_HUB_API_HOST]);
const HELPER_TIMEOUT_MS = 10_000;
const HELPER_OUTPUT_LIMIT = 1024 * 1024;
const HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;

/**
 * The registry host a credential belongs to. Docker config keys come in many spellings
 * ("https://ghcr.io", "http://host:5000/v1/", "https://index.docker.io/v1/"), so scheme and path are dropped
 * and every Docker Hub alias becomes "docker.io".
 */
export function normalizeRegistry(registry: string): string {
  let host = registry
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  const slash = host.indexOf('/');
  if (slash >= 0) host = host.slice(0, slash);
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

export function chainCredentials(...providers: CredentialProvider[]): CredentialProvider {
  return {
    async get(registry) {
      // Errors propagate rather than falling through: a broken helper should be fixed, not silently
      // replaced by some other (possibly stale) credential.
      for (const provider of providers) {
        const credential = await provider.get(registry);
        if (credential !== undefined) return credential;
      }
      return undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Docker's config.json

export interface DockerConfigOptions {
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  /** Docker waits forever; a helper stuck on a keychain prompt must not hang a pull. */
  helperTimeoutMs?: number;
}

interface DockerConfig {
  auths: Record<string, unknown>;
  credHelpers: Record<string, string>;
  credsStore: string | undefined;
}

export function dockerConfigCredentials(options: DockerConfigOptions = {}): CredentialProvider {
  const env = options.env ?? process.env;
  const configPath = options.configPath ?? defaultDockerConfigPath(env);
  const timeoutMs = options.helperTimeoutMs ?? HELPER_TIMEOUT_MS;
  return {
    async get(registry) {
      // Read on every call: `docker login` may run while a long-lived server is using these credentials.
      const config = await readDockerConfig(configPath);
      if (config === undefined) return undefined;
      const host = normalizeRegistry(registry);

      const helper = findByHost(config.credHelpers, host);
      if (helper) {
        const credential = await runCredentialHelper(helper, host, env, timeoutMs);
        if (credential) return credential;
      }
      const fromAuths = credentialFromAuths(config.auths, host, configPath);
      if (fromAuths) return fromAuths;
      if (config.credsStore && config.credsStore !== helper) {
        return runCredentialHelper(config.credsStore, host, env, timeoutMs);
      }
      return undefined;
    },
  };
}

function defaultDockerConfigPath(env: NodeJS.ProcessEnv): string {
  if (env.DOCKER_CONFIG) return path.join(env.DOCKER_CONFIG, 'config.json');
  return path.join(env.HOME || os.homedir(), '.docker', 'config.json');
}

function corrupt(file: string, why: string): WtoolsError {
  return new WtoolsError('STORE_CORRUPT', `${file} ${why}`, { details: { file } });
}

/**
 * JSON.parse messages quote the text around the error, which here may be a password; only the position
 * is kept.
 */
function parseJson(text: string, file: string, hint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const position = /position (\d+)/.exec(describeError(err))?.[1];
    throw corrupt(
      file,
      `is not valid JSON${position === undefined ? '' : ` (at offset ${position})`}; ${hint}`,
    );
  }
}

async function readOptionalFile(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new WtoolsError('IO', `cannot read ${file}: ${describeError(err)}`, { cause: err });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readDockerConfig(file: string): Promise<DockerConfig | undefined> {
  const raw = await readOptionalFile(file);
  if (raw === undefined) return undefined;
  // Editors on Windows add a BOM, and docker accepts an empty file as an empty config.
  const text = raw.replace(/^\uFEFF/, '');
  const data = text.trim() === '' ? {} : parseJson(text, file, 'fix it or move it away');
  if (!isObject(data)) throw corrupt(file, 'does not hold a JSON object');

  const { auths = {}, credHelpers = {}, credsStore } = data;
  if (!isObject(auths)) throw corrupt(file, 'has "auths" that is not an object');
  if (!isObject(credHelpers) || !Object.values(credHelpers).every((h) => typeof h === 'string')) {
    throw corrupt(file, 'has "credHelpers" that is not an object of helper names');
  }
  if (credsStore !== undefined && typeof credsStore !== 'string') {
    throw corrupt(file, 'has "credsStore" that is not a helper name');
  }
  return { auths, credHelpers: credHelpers as Record<string, string>, credsStore };
}

function findByHost(map: Record<string, string>, host: string): string | undefined {
  for (const [key, value] of Object.entries(map)) {
    if (value && normalizeRegistry(key) === host) return value;
  }
  return undefined;
}

function credentialFromAuths(
  auths: Record<string, unknown>,
  host: string,
  file: string,
): Credential | undefined {
  // Several spellings of one host may coexist; the one docker itself writes wins, then file order.
  const preferred = host === DOCKER_HUB ? DOCKER_HUB_SERVER_URL : host;
  const keys = Object.keys(auths)
    .filter((key) => normalizeRegistry(key) === host)
    .sort((a, b) => Number(b === preferred) - Number(a === preferred));
  for (const key of keys) {
    const credential = decodeAuthEntry(auths[key], key, file);
    if (credential) return credential;
  }
  return undefined;
}

function decodeAuthEntry(entry: unknown, key: string, file: string): Credential | undefined {
  if (!isObject(entry)) throw corrupt(file, `has auths["${key}"] that is not an object`);
  const field = (name: string): string | undefined => {
    const value = entry[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw corrupt(file, `has auths["${key}"].${name} that is not a string`);
    return value;
  };
  const auth = field('auth');
  const username = field('username');
  const password = field('password');
  const identityToken = field('identitytoken');

  const credential: Credential = {};
  if (auth) {
    const compact = auth.replace(/\s+/g, '');
    const decoded = /^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)
      ? Buffer.from(compact, 'base64').toString('utf8')
      : '';
    const colon = decoded.indexOf(':');
    if (colon < 0) throw corrupt(file, `has auths["${key}"].auth that is not base64 of "user:password"`);
    credential.username = decoded.slice(0, colon);
    credential.password = decoded.slice(colon + 1);
  } else {
    if (username) credential.username = username;
    if (password) credential.password = password;
  }
  if (identityToken) credential.identityToken = identityToken;
  // With credsStore docker leaves `{}` placeholders in auths; they must not hide the helper.
  return Object.keys(credential).length > 0 ? credential : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// docker-credential-* helpers

interface HelperRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function helperError(program: string, why: string, cause?: unknown): WtoolsError {
  return new WtoolsError('CREDENTIAL_HELPER', `credential helper ${program} ${why}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { helper: program },
  });
}

async function runCredentialHelper(
  name: string,
  host: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Credential | undefined> {
  const program = `docker-credential-${name}`;
  // The name comes from a config file; a path here would let the file run any program.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw helperError(program, 'has an invalid name');
  const executable = await findOnPath(program, env);
  if (executable === undefined) throw helperError(program, 'was not found on PATH');

  const serverUrl = host === DOCKER_HUB ? DOCKER_HUB_SERVER_URL : host;
  let run: HelperRun;
  try {
    run = await runProcess(executable, ['get'], serverUrl, env, timeoutMs);
  } catch (err) {
    throw helperError(program, `could not be started: ${describeError(err)}`, err);
  }
  if (run.timedOut) throw helperError(program, `did not answer within ${timeoutMs} ms`);

  // docker-credential-helpers print this on stdout and exit 1; others use stderr or exit 0.
  const notFound = /credentials not found/i.test(run.stdout) || /credentials not found/i.test(run.stderr);
  if (run.code !== 0) {
    if (notFound) return undefined;
    const status = run.signal ? `was killed by ${run.signal}` : `failed with exit code ${run.code}`;
    throw helperError(program, `${status} for ${serverUrl}: ${failureText(run)}`);
  }

  let answer: unknown;
  try {
    answer = JSON.parse(run.stdout);
  } catch {
    if (notFound) return undefined;
    throw helperError(program, `printed something other than credential JSON for ${serverUrl}`);
  }
  if (!isObject(answer))
    throw helperError(program, `printed something other than credential JSON for ${serverUrl}`);
  const { Username: username = '', Secret: secret = '' } = answer;
  if (typeof username !== 'string' || typeof secret !== 'string') {
    throw helperError(
      program,
      `printed credential JSON whose Username or Secret is not a string for ${serverUrl}`,
    );
  }
  if (username === '' && secret === '') return undefined;
  // Docker's convention for an OAuth2 refresh token stored in a helper.
  if (username === '<token>') return { identityToken: secret };
  return { username, password: secret };
}

/**
 * What to show of a failed helper: its stderr, or a plain-text stdout (docker-credential-helpers report
 * errors there). Anything that looks like credential JSON is withheld, since it may carry the secret.
 */
function failureText(run: HelperRun): string {
  let text = run.stderr.trim();
  if (text === '' && !run.stdout.includes('{')) text = run.stdout.trim();
  try {
    const parsed: unknown = JSON.parse(run.stdout);
    const secret = isObject(parsed) ? parsed.Secret : undefined;
    if (typeof secret === 'string' && secret !== '') text = text.split(secret).join('<redacted>');
  } catch {
    // stdout was not JSON, so it has no Secret field to redact
  }
  if (text.length > 500) text = `${text.slice(0, 500)}…`;
  return text === '' ? 'no error output' : text;
}

async function findOnPath(program: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const pathKey = Object.keys(env).find((key) => key.toUpperCase() === 'PATH');
  const dirs = (pathKey === undefined ? '' : (env[pathKey] ?? '')).split(path.delimiter);
  const suffixes = process.platform === 'win32' ? ['.exe', ''] : [''];
  for (const dir of dirs) {
    // A relative PATH entry would pick up a helper planted in whatever directory wtools runs in.
    if (!path.isAbsolute(dir)) continue;
    for (const suffix of suffixes) {
      const candidate = path.join(dir, program + suffix);
      try {
        await fs.access(candidate, constants.X_OK);
        if ((await fs.stat(candidate)).isFile()) return candidate;
      } catch {
        // not here; keep looking
      }
    }
  }
  return undefined;
}

async function runProcess(
  file: string,
  args: string[],
  input: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<HelperRun> {
  // Loaded on first use: most runs never call a credential helper, and every command pays start-up.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outSize = 0;
    let errSize = 0;
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const result = (code: number | null, signal: NodeJS.Signals | null, timedOut: boolean): HelperRun => ({
      code,
      signal,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
      timedOut,
    });
    // Resolve on the timeout itself rather than on 'close': a grandchild may still hold the pipes open.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      child.stdout.destroy();
      child.stderr.destroy();
      settle(() => resolve(result(null, 'SIGKILL', true)));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (outSize < HELPER_OUTPUT_LIMIT) out.push(chunk);
      outSize += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (errSize < HELPER_OUTPUT_LIMIT) err.push(chunk);
      errSize += chunk.length;
    });
    child.on('error', (error) => settle(() => reject(error)));
    child.on('close', (code, signal) => settle(() => resolve(result(code, signal, false))));
    // A helper that exits without reading its input is judged by its exit status, not by EPIPE here.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

// ---------------------------------------------------------------------------------------------------------
// wtools' own credentials file

interface StoreData {
  version: 1;
  auths: Record<string, Credential>;
}

const STORE_VERSION = 1;

/**
 * Credentials saved by `wtools login`: `{ "version": 1, "auths": { "<registry>": { … } } }`, owner-only
 * (0600) in an owner-only directory, rewritten atomically under a lock so concurrent logins both land.
 */
export class FileCredentialStore implements CredentialProvider {
  readonly filePath: string;

  constructor(filePath: string) {
    this.filePath = path.resolve(filePath);
  }

  async get(registry: string): Promise<Credential | undefined> {
    const data = await this.#read();
    const key = normalizeRegistry(registry);
    if (data === undefined || !Object.hasOwn(data.auths, key)) return undefined;
    const entry = data.auths[key];
    return entry === undefined ? undefined : { ...entry };
  }

  async set(registry: string, credential: Credential): Promise<void> {
    const key = checkRegistry(registry);
    const entry = checkCredential(credential, key);
    await this.#update((auths) => {
      auths[key] = entry;
      return true;
    });
  }

  async remove(registry: string): Promise<boolean> {
    const key = normalizeRegistry(registry);
    if ((await this.#read()) === undefined) return false;
    let removed = false;
    await this.#update((auths) => {
      removed = Object.hasOwn(auths, key);
      delete auths[key];
      return removed;
    });
    return removed;
  }

  async list(): Promise<string[]> {
    const data = await this.#read();
    return data === undefined ? [] : Object.keys(data.auths).sort();
  }

  async #read(): Promise<StoreData | undefined> {
    const file = this.filePath;
    const text = await readOptionalFile(file);
    if (text === undefined) return undefined;
    const hint = 'fix it or remove it and log in again';
    const data = parseJson(text, file, hint);
    if (!isObject(data)) throw corrupt(file, `does not hold a JSON object; ${hint}`);
    if (data.version !== STORE_VERSION) {
      throw corrupt(file, `has version ${JSON.stringify(data.version)}, expected ${STORE_VERSION}; ${hint}`);
    }
    if (!isObject(data.auths)) throw corrupt(file, `has "auths" that is not an object; ${hint}`);
    const auths: Record<string, Credential> = {};
    for (const [key, value] of Object.entries(data.auths)) {
      if (!isObject(value)) throw corrupt(file, `has auths["${key}"] that is not an object; ${hint}`);
      const entry: Credential = {};
      for (const name of ['username', 'password', 'identityToken'] as const) {
        const field = value[name];
        if (field === undefined) continue;
        if (typeof field !== 'string')
          throw corrupt(file, `has auths["${key}"].${name} that is not a string; ${hint}`);
        entry[name] = field;
      }
      auths[key] = entry;
    }
    return { version: STORE_VERSION, auths };
  }

  async #update(change: (auths: Record<string, Credential>) => boolean): Promise<void> {
    const file = this.filePath;
    try {
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new WtoolsError('IO', `cannot create ${path.dirname(file)}: ${describeError(err)}`, {
        cause: err,
      });
    }
    await withFileLock(`${file}.lock`, async () => {
      // Read inside the lock so a concurrent writer's entry is not lost; a corrupt file throws here,
      // so set never replaces credentials it could not read.
      const data = (await this.#read()) ?? { version: STORE_VERSION, auths: {} };
      if (!change(data.auths)) return;
      const sorted = Object.fromEntries(Object.entries(data.auths).sort(([a], [b]) => a.localeCompare(b)));
      const text = `${JSON.stringify({ version: STORE_VERSION, auths: sorted }, null, 2)}\n`;
      try {
        await writeFileAtomic(file, text, { mode: 0o600 });
      } catch (err) {
        throw new WtoolsError('IO', `cannot write ${file}: ${describeError(err)}`, { cause: err });
      }
      await ensureOwnerOnly(file);
    });
  }
}

/** The create mode is filtered by umask and some file systems ignore it, so the result is checked. */
async function ensureOwnerOnly(file: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    if (((await fs.stat(file)).mode & 0o777) === 0o600) return;
    await fs.chmod(file, 0o600);
    if (((await fs.stat(file)).mode & 0o777) === 0o600) return;
  } catch (err) {
    throw new WtoolsError('IO', `cannot make ${file} readable by its owner only: ${describeError(err)}`, {
      cause: err,
    });
  }
  throw new WtoolsError(
    'IO',
    `${file} could not be given mode 0600; its file system does not keep permissions`,
  );
}

function checkRegistry(registry: string): string {
  const key = normalizeRegistry(registry);
  if (!HOST.test(key)) {
    throw new WtoolsError('INVALID_ARGUMENT', `"${registry}" is not a registry host[:port], e.g. ghcr.io`);
  }
  return key;
}

function checkCredential(credential: Credential, registry: string): Credential {
  const entry: Credential = {};
  for (const name of ['username', 'password', 'identityToken'] as const) {
    const value: unknown = credential[name];
    if (value === undefined) continue;
    if (typeof value !== 'string')
      throw new WtoolsError('INVALID_ARGUMENT', `the ${name} for ${registry} is not a string`);
    entry[name] = value;
  }
  if (!entry.username && !entry.identityToken) {
    throw new WtoolsError(
      'INVALID_ARGUMENT',
      `a credential for ${registry} needs a username or an identity token`,
    );
  }
  // Basic auth joins them with ":", so a colon in the user name would shift it into the password.
  if (entry.username?.includes(':')) {
    throw new WtoolsError('INVALID_ARGUMENT', `the username for ${registry} must not contain ":"`);
  }
  return entry;
}
