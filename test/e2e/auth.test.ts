import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, describeRun, jsonOf, sandbox, uniqueRepo } from '../harness/cli.js';
import { fixturePath } from '../harness/fixtures.js';
import {
  type RunningRegistry,
  type TokenAuthRegistry,
  startBasicAuthRegistry,
  startTokenAuthRegistry,
} from '../harness/registry.js';

const PASSWORD = 'secret-Pa55word-alice';

function credentialsFile(sb: Sandbox): string {
  return path.join(sb.wtoolsHome, 'config', 'credentials.json');
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

function dockerAuth(user: string, password: string): string {
  return Buffer.from(`${user}:${password}`).toString('base64');
}

describe('e2e: token auth registry', () => {
  let registry: TokenAuthRegistry;
  let publisher: Sandbox;
  let ref: string;
  let digest: string;

  beforeAll(async () => {
    registry = await startTokenAuthRegistry({ alice: PASSWORD });
    publisher = await sandbox({ keep: true });
    const login = await publisher.run(['login', registry.host, '-u', 'alice', '--password-stdin'], {
      input: `${PASSWORD}\n`,
    });
    expect(login.code, describeRun(login)).toBe(0);
    ref = `${registry.host}/${uniqueRepo('private')}:1`;
    const pushed = await publisher.run(['push', await fixturePath('hello'), ref, '--json']);
    expect(pushed.code, describeRun(pushed)).toBe(0);
    digest = jsonOf<{ digest: string }>(pushed).digest;
  });

  afterAll(async () => {
    await registry?.stop();
    if (publisher) await rm(publisher.root, { recursive: true, force: true });
  });

  it('pull without credentials: exit 4, and stderr says how to log in', async () => {
    const sb = await sandbox();
    const result = await sb.run(['pull', ref]);
    expect(result.code, describeRun(result)).toBe(4);
    expect(result.stderr).toContain(`wtools login ${registry.host}`);
    expect(result.stdout).toBe('');

    const json = await sb.run(['pull', ref, '--json']);
    expect(json.code).toBe(4);
    expect(jsonOf(json)).toMatchObject({ ok: false, exitCode: 4, error: { code: 'UNAUTHORIZED' } });
  });

  it('login with a wrong password: exit 4, nothing stored', async () => {
    const sb = await sandbox();
    const result = await sb.run(['login', registry.host, '-u', 'alice', '--password-stdin'], {
      input: 'not-the-password\n',
    });
    expect(result.code, describeRun(result)).toBe(4);
    expect(result.stderr).toContain('refused the credentials of user "alice"; nothing was stored');
    expect(result.stdout + result.stderr).not.toContain('not-the-password');
    expect(await exists(credentialsFile(sb))).toBe(false);
    expect((await sb.run(['pull', ref])).code).toBe(4);
  });

  it('login stores 0600 credentials without echoing the password; push and pull work; logout forgets', async () => {
    const sb = await sandbox();
    const login = await sb.run(['login', registry.host, '-u', 'alice', '--password-stdin', '--debug'], {
      input: `${PASSWORD}\n`,
    });
    expect(login.code, describeRun(login)).toBe(0);
    expect(login.stdout).toContain(`logged in to ${registry.host} as alice`);
    expect(login.stdout + login.stderr).not.toContain(PASSWORD);

    const file = credentialsFile(sb);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o077).toBe(0);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, unknown> };
    // The trailing newline from stdin is not part of the password.
    expect(saved.auths[registry.host]).toEqual({ username: 'alice', password: PASSWORD });

    const pulled = await sb.run(['pull', ref, '--json']);
    expect(pulled.code, describeRun(pulled)).toBe(0);
    expect(jsonOf(pulled)).toMatchObject({ digest, cached: false });

    const ownRef = `${registry.host}/${uniqueRepo('alice-own')}:2`;
    const pushed = await sb.run(['push', await fixturePath('imports'), ownRef, '-q']);
    expect(pushed.code, describeRun(pushed)).toBe(0);
    const pulledOwn = await sb.run(['pull', ownRef, '-q']);
    expect(pulledOwn.code, describeRun(pulledOwn)).toBe(0);
    expect(pulledOwn.stdout).toBe(pushed.stdout);

    const logout = await sb.run(['logout', registry.host, '--json']);
    expect(logout.code, describeRun(logout)).toBe(0);
    expect(jsonOf(logout)).toEqual({ registry: registry.host, removed: true });
    const saved2 = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, unknown> };
    expect(saved2.auths).toEqual({});
    const afterLogout = await sb.run(['pull', `${registry.host}/${uniqueRepo('gone')}:1`]);
    expect(afterLogout.code, describeRun(afterLogout)).toBe(4);

    const again = await sb.run(['logout', registry.host, '--json']);
    expect(jsonOf(again)).toEqual({ registry: registry.host, removed: false });
  });

  it('uses an auths entry of $DOCKER_CONFIG/config.json without any login', async () => {
    const sb = await sandbox();
    const dockerDir = sb.path('docker-config');
    await mkdir(dockerDir, { recursive: true });
    await writeFile(
      path.join(dockerDir, 'config.json'),
      JSON.stringify({ auths: { [`http://${registry.host}`]: { auth: dockerAuth('alice', PASSWORD) } } }),
    );
    const result = await sb.run(['pull', ref, '--json'], { extraEnv: { DOCKER_CONFIG: dockerDir } });
    expect(result.code, describeRun(result)).toBe(0);
    expect(jsonOf(result)).toMatchObject({ digest });
    expect(await exists(credentialsFile(sb))).toBe(false);
    // Without DOCKER_CONFIG the same sandbox has no credentials.
    expect((await sb.run(['pull', `${registry.host}/${uniqueRepo('x')}:1`])).code).toBe(4);
  });

  it('uses ~/.docker/config.json when DOCKER_CONFIG is not set', async () => {
    const sb = await sandbox();
    await mkdir(path.join(sb.home, '.docker'), { recursive: true });
    await writeFile(
      path.join(sb.home, '.docker', 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { username: 'alice', password: PASSWORD } } }),
    );
    const result = await sb.run(['pull', ref, '-q']);
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout).toContain(digest);
  });

  it('a wrong password in docker config: exit 4 and a hint to log in again', async () => {
    const sb = await sandbox();
    await mkdir(path.join(sb.home, '.docker'), { recursive: true });
    await writeFile(
      path.join(sb.home, '.docker', 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { auth: dockerAuth('alice', 'stale') } } }),
    );
    const result = await sb.run(['pull', ref]);
    expect(result.code, describeRun(result)).toBe(4);
    expect(result.stderr).toContain(`wtools login ${registry.host}`);
    expect(result.stderr).not.toContain('stale');
  });
});

describe('e2e: basic auth registry (htpasswd)', () => {
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startBasicAuthRegistry({ bob: 'b0b-password' });
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('refuses anonymous and wrong credentials, works after login', async () => {
    const sb = await sandbox();
    const ref = `${registry.host}/${uniqueRepo('basic')}:1`;
    const anonymous = await sb.run(['push', await fixturePath('hello'), ref]);
    expect(anonymous.code, describeRun(anonymous)).toBe(4);
    expect(anonymous.stderr).toContain(`wtools login ${registry.host}`);

    const wrong = await sb.run(['login', registry.host, '-u', 'bob', '--password-stdin'], { input: 'nope' });
    expect(wrong.code, describeRun(wrong)).toBe(4);
    expect(await exists(credentialsFile(sb))).toBe(false);

    const login = await sb.run(['login', registry.host, '-u', 'bob', '--password-stdin', '--json'], {
      input: 'b0b-password',
    });
    expect(login.code, describeRun(login)).toBe(0);
    expect(jsonOf(login)).toEqual({ registry: registry.host, username: 'bob', stored: true });
    expect(login.stdout + login.stderr).not.toContain('b0b-password');
    expect((await stat(credentialsFile(sb))).mode & 0o777).toBe(0o600);

    const pushed = await sb.run(['push', await fixturePath('hello'), ref, '-q']);
    expect(pushed.code, describeRun(pushed)).toBe(0);
    const pulled = await sb.run(['pull', ref, '-q']);
    expect(pulled.code, describeRun(pulled)).toBe(0);
    expect(pulled.stdout).toBe(pushed.stdout);
  });
});
