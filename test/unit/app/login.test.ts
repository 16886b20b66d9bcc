import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { login, logout, normalizeRegistry } from '../../../lib/app/login.js';
import { appSetup } from '../../harness/app.js';
import { expectCode } from '../../harness/unit.js';

describe('login', () => {
  it('checks the credentials against the registry before saving them', async () => {
    const { registry, context } = await appSetup();
    registry.requireAuth({ scheme: 'basic', users: { alice: 'pw' } });
    const err = await expectCode(
      login(context, 'https://registry.test/', { username: 'alice', password: 'wrong' }),
      'UNAUTHORIZED',
    );
    expect(err.message).toContain('refused');
    expect(await context.savedCredentials.get('registry.test')).toBeUndefined();

    expect(await login(context, 'registry.test', { username: 'alice', password: 'pw' })).toBe(
      'registry.test',
    );
    expect(await context.savedCredentials.get('registry.test')).toEqual({
      username: 'alice',
      password: 'pw',
    });
    const file = await readFile(path.join(context.paths.config, 'credentials.json'), 'utf8');
    expect(file).toContain('registry.test');

    expect(await logout(context, 'registry.test')).toEqual({ registry: 'registry.test', removed: true });
    expect(await logout(context, 'registry.test')).toEqual({ registry: 'registry.test', removed: false });
  });

  it('normalises registry names and refuses what is not a host', async () => {
    expect(normalizeRegistry('https://GHCR.io/v2/')).toBe('ghcr.io');
    expect(normalizeRegistry('index.docker.io')).toBe('docker.io');
    expect(normalizeRegistry('localhost:5000')).toBe('localhost:5000');
    await expectCode(() => normalizeRegistry(''), 'INVALID_ARGUMENT');
    const err = await expectCode(() => normalizeRegistry('not a host'), 'INVALID_ARGUMENT');
    expect(err.message).toContain('expected a registry host[:port]');
    expect(err.message).not.toContain('probe');
  });
});
