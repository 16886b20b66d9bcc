import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWtoolsError } from '../../../lib/core/errors.js';
import {
  FileCredentialStore,
  chainCredentials,
  dockerConfigCredentials,
  normalizeRegistry,
  type Credential,
  type CredentialProvider,
} from '../../../lib/oci/credentials.js';

const posixOnly = process.platform === 'win32';

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wtools-credentials-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

async function writeConfig(config: unknown, name = 'config.json'): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, typeof config === 'string' ? config : JSON.stringify(config));
  return file;
}

/** An env with nothing from the real user: HOME points into the temp dir and PATH has only system tools. */
function isolatedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { HOME: path.join(dir, 'home'), PATH: process.env.PATH ?? '/usr/bin:/bin', ...extra };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isWtoolsError(err), `expected a WtoolsError, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  return err as Error;
}

/**
 * A fake docker-credential-fake that answers by server URL, so every branch of the helper protocol
 * can be exercised. It logs each request, which lets tests see what was asked.
 */
const FAKE_HELPER = `#!/bin/sh
[ "$1" = get ] || { echo "unexpected action: $1" >&2; exit 2; }
url=$(cat)
echo "$url" >> "$(dirname "$0")/requests.log"
case "$url" in
  ghcr.io) printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-pass"}\\n' "$url" ;;
  token.example) printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-token-1"}' "$url" ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"hub-user","Secret":"hub-pass"}' "$url" ;;
  store.example) printf '{"ServerURL":"%s","Username":"store-user","Secret":"store-pass"}' "$url" ;;
  fail.example)
    printf '{"ServerURL":"%s","Username":"x","Secret":"super-secret-value"}' "$url"
    echo "keychain is locked (not super-secret-value)" >&2
    exit 3 ;;
  garbage.example) echo "Username=x Secret=super-secret-value" ;;
  slow.example) exec sleep 30 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;

async function installHelper(name = 'fake', script = FAKE_HELPER): Promise<string> {
  const bin = path.join(dir, 'bin');
  await fs.mkdir(bin, { recursive: true });
  const file = path.join(bin, `docker-credential-${name}`);
  await fs.writeFile(file, script);
  await fs.chmod(file, 0o755);
  return bin;
}

async function helperRequests(): Promise<string[]> {
  const text = await fs.readFile(path.join(dir, 'bin', 'requests.log'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean);
}

describe('normalizeRegistry', () => {
  it('strips scheme and path and folds Docker Hub aliases', () => {
    expect(normalizeRegistry('ghcr.io')).toBe('ghcr.io');
    expect(normalizeRegistry('https://ghcr.io')).toBe('ghcr.io');
    expect(normalizeRegistry('http://localhost:5000/v1/')).toBe('localhost:5000');
    expect(normalizeRegistry('HTTPS://Registry.Example.COM/v2/')).toBe('registry.example.com');
    expect(normalizeRegistry('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normalizeRegistry('index.docker.io')).toBe('docker.io');
    expect(normalizeRegistry('registry-1.docker.io')).toBe('docker.io');
    expect(normalizeRegistry('docker.io')).toBe('docker.io');
  });
});

describe('dockerConfigCredentials: auths', () => {
  it('decodes a base64 "auth" field', async () => {
    const configPath = await writeConfig({ auths: { 'ghcr.io': { auth: b64('alice:p:a:ss') } } });
    const provider = dockerConfigCredentials({ configPath, env: isolatedEnv() });
    // Only the first colon separates; passwords may contain more.
    expect(await provider.get('ghcr.io')).toEqual({ username: 'alice', password: 'p:a:ss' });
    expect(await provider.get('quay.io')).toBeUndefined();
  });

  it('reads username/password fields', async () => {
    const configPath = await writeConfig({ auths: { 'quay.io': { username: 'bob', password: 'hunter2' } } });
    const provider = dockerConfigCredentials({ configPath, env: isolatedEnv() });
    expect(await provider.get('quay.io')).toEqual({ username: 'bob', password: 'hunter2' });
  });

  it('reads an identitytoken', async () => {
    const configPath = await writeConfig({
      auths: {
        'myregistry.azurecr.io': {
          auth: b64('00000000-0000-0000-0000-000000000000:'),
          identitytoken: 'refresh-xyz',
        },
        'token-only.example': { identitytoken: 'refresh-abc' },
      },
    });
    const provider = dockerConfigCredentials({ configPath, env: isolatedEnv() });
    expect(await provider.get('myregistry.azurecr.io')).toEqual({
      username: '00000000-0000-0000-0000-000000000000',
      password: '',
      identityToken: 'refresh-xyz',
    });
    expect(await provider.get('token-only.example')).toEqual({ identityToken: 'refresh-abc' });
  });

  it('matches keys written with a scheme and path', async () => {
    const configPath = await writeConfig({
      auths: {
        'https://ghcr.io': { auth: b64('a:1') },
        'http://localhost:5000/v1/': { auth: b64('b:2') },
        'https://Registry.Example.com/v2/': { username: 'c', password: '3' },
      },
    });
    const provider = dockerConfigCredentials({ configPath, env: isolatedEnv() });
    expect(await provider.get('ghcr.io')).toEqual({ username: 'a', password: '1' });
    expect(await provider.get('localhost:5000')).toEqual({ username: 'b', password: '2' });
    expect(await provider.get('registry.example.com')).toEqual({ username: 'c', password: '3' });
    expect(await provider.get('localhost:5001')).toBeUndefined();
    expect(await provider.get('localhost')).toBeUndefined();
  });

  it('prefers the exact key when several spellings of one host exist', async () => {
    const configPath = await writeConfig({
      auths: { 'https://ghcr.io/v1/': { auth: b64('old:1') }, 'ghcr.io': { auth: b64('new:2') } },
    });
    const provider = dockerConfigCredentials({ configPath, env: isolatedEnv() });
    expect(await provider.get('ghcr.io')).toEqual({ username: 'new', password: '2' });
  });

  it('finds Docker Hub under https://index.docker.io/v1/ and its aliases', async () => {
    const configPath = await writeConfig({
      auths: { 'https://index.docker.io/v1/': { auth: b64('hub:pw') } },
    });
    const provider = dockerConfigCredentials({ configPath, env: isolatedEnv() });
    const expected = { username: 'hub', password: 'pw' };
    expect(await provider.get('docker.io')).toEqual(expected);
    expect(await provider.get('index.docker.io')).toEqual(expected);
    expect(await provider.get('registry-1.docker.io')).toEqual(expected);

    for (const key of ['index.docker.io', 'registry-1.docker.io', 'docker.io']) {
      const other = await writeConfig({ auths: { [key]: { auth: b64(`via-${key}:pw`) } } }, `${key}.json`);
      const hub = await dockerConfigCredentials({ configPath: other, env: isolatedEnv() }).get('docker.io');
      expect(hub).toEqual({ username: `via-${key}`, password: 'pw' });
    }
  });

  it('treats a missing config file as no credentials', async () => {
    const provider = dockerConfigCredentials({
      configPath: path.join(dir, 'nope', 'config.json'),
      env: isolatedEnv(),
    });
    expect(await provider.get('ghcr.io')).toBeUndefined();
    // The default location under a HOME without .docker is equally fine.
    expect(await dockerConfigCredentials({ env: isolatedEnv() }).get('ghcr.io')).toBeUndefined();
  });

  it('finds the config via DOCKER_CONFIG, else via HOME', async () => {
    const viaDockerConfig = path.join(dir, 'docker-config');
    await fs.mkdir(viaDockerConfig);
    await fs.writeFile(
      path.join(viaDockerConfig, 'config.json'),
      JSON.stringify({ auths: { 'a.io': { auth: b64('d:1') } } }),
    );
    const home = path.join(dir, 'home');
    await fs.mkdir(path.join(home, '.docker'), { recursive: true });
    await fs.writeFile(
      path.join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { 'a.io': { auth: b64('h:2') } } }),
    );

    const withBoth = dockerConfigCredentials({ env: isolatedEnv({ DOCKER_CONFIG: viaDockerConfig }) });
    expect(await withBoth.get('a.io')).toEqual({ username: 'd', password: '1' });
    const homeOnly = dockerConfigCredentials({ env: isolatedEnv() });
    expect(await homeOnly.get('a.io')).toEqual({ username: 'h', password: '2' });
  });

  it('accepts an empty file and ignores {} placeholders', async () => {
    const empty = await writeConfig('', 'empty.json');
    expect(
      await dockerConfigCredentials({ configPath: empty, env: isolatedEnv() }).get('ghcr.io'),
    ).toBeUndefined();
    const placeholder = await writeConfig({ auths: { 'ghcr.io': {} } });
    expect(
      await dockerConfigCredentials({ configPath: placeholder, env: isolatedEnv() }).get('ghcr.io'),
    ).toBeUndefined();
  });

  it('reports unparsable JSON as STORE_CORRUPT naming the file, without quoting its content', async () => {
    const configPath = await writeConfig('{"auths": {"ghcr.io": {"auth": "c2VjcmV0LXBhc3N3b3Jk"}} oops');
    const err = await expectCode(
      dockerConfigCredentials({ configPath, env: isolatedEnv() }).get('ghcr.io'),
      'STORE_CORRUPT',
    );
    expect(err.message).toContain(configPath);
    expect(err.message).not.toContain('c2VjcmV0');
  });

  it('reports a malformed structure or auth value as STORE_CORRUPT', async () => {
    for (const [name, config] of [
      ['array.json', []],
      ['auths.json', { auths: 'x' }],
      ['entry.json', { auths: { 'ghcr.io': 'x' } }],
      ['auth.json', { auths: { 'ghcr.io': { auth: b64('no-colon-here') } } }],
      ['helpers.json', { credHelpers: { 'ghcr.io': 5 } }],
    ] as const) {
      const configPath = await writeConfig(config, name);
      const err = await expectCode(
        dockerConfigCredentials({ configPath, env: isolatedEnv() }).get('ghcr.io'),
        'STORE_CORRUPT',
      );
      expect(err.message).toContain(configPath);
      expect(err.message).not.toContain('no-colon-here');
    }
  });
});

describe.skipIf(posixOnly)('dockerConfigCredentials: credential helpers', () => {
  it('asks credHelpers[registry] and returns its username and secret', async () => {
    const bin = await installHelper();
    const configPath = await writeConfig({
      credHelpers: { 'ghcr.io': 'fake', 'token.example': 'fake', 'https://index.docker.io/v1/': 'fake' },
      auths: { 'ghcr.io': { auth: b64('file-user:file-pass') } },
    });
    const provider = dockerConfigCredentials({
      configPath,
      env: isolatedEnv({ PATH: `${bin}${path.delimiter}${process.env.PATH}` }),
    });
    expect(await provider.get('ghcr.io')).toEqual({ username: 'helper-user', password: 'helper-pass' });
    expect(await provider.get('token.example')).toEqual({ identityToken: 'refresh-token-1' });
    expect(await provider.get('docker.io')).toEqual({ username: 'hub-user', password: 'hub-pass' });
    // Docker Hub is asked for under docker's own server URL, others by bare host.
    expect(await helperRequests()).toEqual(['ghcr.io', 'token.example', 'https://index.docker.io/v1/']);
  });

  it('falls through to auths when the helper has no credentials', async () => {
    const bin = await installHelper();
    const configPath = await writeConfig({
      credHelpers: { 'quay.io': 'fake', 'none.example': 'fake' },
      auths: { 'quay.io': { auth: b64('file-user:file-pass') } },
    });
    const provider = dockerConfigCredentials({
      configPath,
      env: isolatedEnv({ PATH: `${bin}${path.delimiter}${process.env.PATH}` }),
    });
    expect(await provider.get('none.example')).toBeUndefined();
    expect(await provider.get('quay.io')).toEqual({ username: 'file-user', password: 'file-pass' });
    expect(await helperRequests()).toEqual(['none.example', 'quay.io']);
  });

  it('treats "credentials not found" on stderr with exit 0 as no credentials', async () => {
    const bin = await installHelper('quiet', '#!/bin/sh\ncat >/dev/null\necho "credentials not found" >&2\n');
    const configPath = await writeConfig({ credHelpers: { 'ghcr.io': 'quiet' } });
    const provider = dockerConfigCredentials({ configPath, env: isolatedEnv({ PATH: bin }) });
    expect(await provider.get('ghcr.io')).toBeUndefined();
  });

  it('reports a failing helper as CREDENTIAL_HELPER with its stderr but without the secret', async () => {
    const bin = await installHelper();
    const configPath = await writeConfig({
      credHelpers: { 'fail.example': 'fake', 'garbage.example': 'fake' },
    });
    const provider = dockerConfigCredentials({
      configPath,
      env: isolatedEnv({ PATH: `${bin}${path.delimiter}${process.env.PATH}` }),
    });

    const failed = await expectCode(provider.get('fail.example'), 'CREDENTIAL_HELPER');
    expect(failed.message).toContain('docker-credential-fake');
    expect(failed.message).toContain('keychain is locked');
    expect(failed.message).toContain('exit code 3');
    expect(failed.message).not.toContain('super-secret-value');
    expect(JSON.stringify((failed as { details?: unknown }).details)).not.toContain('super-secret-value');

    const garbage = await expectCode(provider.get('garbage.example'), 'CREDENTIAL_HELPER');
    expect(garbage.message).toContain('docker-credential-fake');
    expect(garbage.message).not.toContain('super-secret-value');
  });

  it('reports a helper missing from PATH, an invalid helper name and a hung helper', async () => {
    const bin = await installHelper();
    const configPath = await writeConfig({
      credHelpers: { 'ghcr.io': 'absent', 'evil.example': '../../bin/sh', 'slow.example': 'fake' },
    });
    const provider = dockerConfigCredentials({
      configPath,
      env: isolatedEnv({ PATH: `${bin}${path.delimiter}${process.env.PATH}` }),
      helperTimeoutMs: 300,
    });
    const missing = await expectCode(provider.get('ghcr.io'), 'CREDENTIAL_HELPER');
    expect(missing.message).toContain('docker-credential-absent');
    expect(missing.message).toContain('PATH');
    await expectCode(provider.get('evil.example'), 'CREDENTIAL_HELPER');

    const started = Date.now();
    const slow = await expectCode(provider.get('slow.example'), 'CREDENTIAL_HELPER');
    expect(slow.message).toContain('300 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('ignores relative PATH entries', async () => {
    await installHelper();
    const configPath = await writeConfig({ credHelpers: { 'ghcr.io': 'fake' } });
    const provider = dockerConfigCredentials({
      configPath,
      env: isolatedEnv({ PATH: path.relative(process.cwd(), path.join(dir, 'bin')) }),
    });
    await expectCode(provider.get('ghcr.io'), 'CREDENTIAL_HELPER');
  });

  it('uses credsStore after credHelpers and auths', async () => {
    const bin = await installHelper();
    const configPath = await writeConfig({
      credsStore: 'fake',
      auths: { 'store.example': {}, 'quay.io': { auth: b64('file-user:file-pass') } },
    });
    const provider = dockerConfigCredentials({
      configPath,
      env: isolatedEnv({ PATH: `${bin}${path.delimiter}${process.env.PATH}` }),
    });
    expect(await provider.get('store.example')).toEqual({ username: 'store-user', password: 'store-pass' });
    expect(await provider.get('quay.io')).toEqual({ username: 'file-user', password: 'file-pass' });
    expect(await provider.get('none.example')).toBeUndefined();
    // quay.io was answered by auths, so the store was never asked about it.
    expect(await helperRequests()).toEqual(['store.example', 'none.example']);
  });
});

describe('chainCredentials', () => {
  const fixed = (answers: Record<string, Credential>, calls: string[], name: string): CredentialProvider => ({
    get: async (registry) => {
      calls.push(`${name}:${registry}`);
      return answers[registry];
    },
  });

  it('returns the first provider that has a credential', async () => {
    const calls: string[] = [];
    const chain = chainCredentials(
      fixed({ 'a.io': { username: 'first' } }, calls, 'one'),
      fixed({ 'a.io': { username: 'second' }, 'b.io': { identityToken: 't' } }, calls, 'two'),
    );
    expect(await chain.get('a.io')).toEqual({ username: 'first' });
    expect(await chain.get('b.io')).toEqual({ identityToken: 't' });
    expect(await chain.get('c.io')).toBeUndefined();
    expect(calls).toEqual(['one:a.io', 'one:b.io', 'two:b.io', 'one:c.io', 'two:c.io']);
    expect(await chainCredentials().get('a.io')).toBeUndefined();
  });

  it('propagates an error instead of skipping to the next provider', async () => {
    const calls: string[] = [];
    const broken: CredentialProvider = {
      get: () => Promise.reject(new Error('helper broke')),
    };
    const chain = chainCredentials(broken, fixed({ 'a.io': { username: 'x' } }, calls, 'two'));
    await expect(chain.get('a.io')).rejects.toThrow('helper broke');
    expect(calls).toEqual([]);
  });
});

describe('FileCredentialStore', () => {
  const storePath = (): string => path.join(dir, 'state', 'wtools', 'credentials.json');

  it('sets, gets, lists and removes credentials', async () => {
    const store = new FileCredentialStore(storePath());
    expect(await store.get('ghcr.io')).toBeUndefined();
    expect(await store.list()).toEqual([]);
    expect(await store.remove('ghcr.io')).toBe(false);
    await expect(fs.access(storePath())).rejects.toThrow();

    await store.set('ghcr.io', { username: 'alice', password: 'pw1' });
    await store.set('https://index.docker.io/v1/', { identityToken: 'refresh' });
    await store.set('localhost:5000', { username: 'bob', password: 'pw2' });
    expect(await store.get('ghcr.io')).toEqual({ username: 'alice', password: 'pw1' });
    expect(await store.get('https://ghcr.io/')).toEqual({ username: 'alice', password: 'pw1' });
    expect(await store.get('docker.io')).toEqual({ identityToken: 'refresh' });
    expect(await store.list()).toEqual(['docker.io', 'ghcr.io', 'localhost:5000']);

    await store.set('ghcr.io', { username: 'alice', password: 'pw3' });
    expect(await new FileCredentialStore(storePath()).get('ghcr.io')).toEqual({
      username: 'alice',
      password: 'pw3',
    });

    expect(await store.remove('ghcr.io')).toBe(true);
    expect(await store.remove('ghcr.io')).toBe(false);
    expect(await store.get('ghcr.io')).toBeUndefined();
    expect(await store.list()).toEqual(['docker.io', 'localhost:5000']);

    const onDisk = JSON.parse(await fs.readFile(storePath(), 'utf8')) as unknown;
    expect(onDisk).toEqual({
      version: 1,
      auths: {
        'docker.io': { identityToken: 'refresh' },
        'localhost:5000': { username: 'bob', password: 'pw2' },
      },
    });
    const leftovers = (await fs.readdir(path.dirname(storePath()))).filter(
      (name) => name !== 'credentials.json',
    );
    expect(leftovers).toEqual([]);
  });

  it('does not answer for prototype keys', async () => {
    const store = new FileCredentialStore(storePath());
    await store.set('ghcr.io', { username: 'a', password: 'b' });
    expect(await store.get('constructor')).toBeUndefined();
    expect(await store.get('__proto__')).toBeUndefined();
  });

  it.skipIf(posixOnly)(
    'writes the file 0600 in a 0700 directory, even under a permissive umask',
    async () => {
      const previous = process.umask(0);
      try {
        const store = new FileCredentialStore(storePath());
        await store.set('ghcr.io', { username: 'alice', password: 'pw' });
        expect((await fs.stat(storePath())).mode & 0o777).toBe(0o600);
        expect((await fs.stat(path.dirname(storePath()))).mode & 0o777).toBe(0o700);
        await store.set('quay.io', { username: 'bob', password: 'pw' });
        expect((await fs.stat(storePath())).mode & 0o777).toBe(0o600);
      } finally {
        process.umask(previous);
      }
    },
  );

  it('reports a corrupt file as STORE_CORRUPT and refuses to overwrite it', async () => {
    const file = storePath();
    await fs.mkdir(path.dirname(file), { recursive: true });
    const corrupt = '{"version": 1, "auths": {"ghcr.io": {"password": "keep-me-secret"';
    await fs.writeFile(file, corrupt);
    const store = new FileCredentialStore(file);

    const err = await expectCode(store.get('ghcr.io'), 'STORE_CORRUPT');
    expect(err.message).toContain(file);
    expect(err.message).not.toContain('keep-me-secret');
    await expectCode(store.list(), 'STORE_CORRUPT');
    await expectCode(store.set('quay.io', { username: 'x', password: 'y' }), 'STORE_CORRUPT');
    await expectCode(store.remove('ghcr.io'), 'STORE_CORRUPT');
    expect(await fs.readFile(file, 'utf8')).toBe(corrupt);
    await expect(fs.access(`${file}.lock`)).rejects.toThrow();

    await fs.writeFile(file, JSON.stringify({ version: 2, auths: {} }));
    await expectCode(store.set('quay.io', { username: 'x', password: 'y' }), 'STORE_CORRUPT');
    await fs.writeFile(file, JSON.stringify({ version: 1, auths: { 'ghcr.io': { username: 7 } } }));
    await expectCode(store.get('ghcr.io'), 'STORE_CORRUPT');
  });

  it('rejects invalid registries and credentials', async () => {
    const store = new FileCredentialStore(storePath());
    await expectCode(store.set('not a host', { username: 'a', password: 'b' }), 'INVALID_ARGUMENT');
    await expectCode(store.set('ghcr.io', {}), 'INVALID_ARGUMENT');
    await expectCode(store.set('ghcr.io', { password: 'only' }), 'INVALID_ARGUMENT');
    const err = await expectCode(
      store.set('ghcr.io', { username: 'a:b', password: 'pw-secret' }),
      'INVALID_ARGUMENT',
    );
    expect(err.message).not.toContain('pw-secret');
    expect(await store.list()).toEqual([]);
  });

  it('keeps every entry when sets run concurrently', async () => {
    const registries = Array.from({ length: 8 }, (_, i) => `r${i}.example`);
    await Promise.all(
      registries.map((registry) =>
        new FileCredentialStore(storePath()).set(registry, { username: registry, password: 'pw' }),
      ),
    );
    const store = new FileCredentialStore(storePath());
    expect(await store.list()).toEqual(registries);
    for (const registry of registries) {
      expect(await store.get(registry)).toEqual({ username: registry, password: 'pw' });
    }
  });

  it('serves as a CredentialProvider in a chain ahead of docker config', async () => {
    const store = new FileCredentialStore(storePath());
    await store.set('ghcr.io', { username: 'wtools', password: '1' });
    const configPath = await writeConfig({
      auths: { 'ghcr.io': { auth: b64('docker:2') }, 'quay.io': { auth: b64('docker:3') } },
    });
    const chain = chainCredentials(store, dockerConfigCredentials({ configPath, env: isolatedEnv() }));
    expect(await chain.get('ghcr.io')).toEqual({ username: 'wtools', password: '1' });
    expect(await chain.get('quay.io')).toEqual({ username: 'docker', password: '3' });
  });
});
