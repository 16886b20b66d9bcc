import { select } from '@inquirer/prompts';
import { render } from '@inquirer/testing';
import { describe, expect, it } from 'vitest';
import { newPermissionRequest } from '../../../lib/grants/index.js';
import { permissionPrompt } from '../../../cli/prompts.js';

const request = newPermissionRequest({
  component: {
    name: 'fetch',
    identity: 'localhost:5000/tools/fetch',
    signer: 'key:SHA256:abc',
    digest: 'sha256:0',
  },
  capability: { kind: 'http', scheme: 'https', host: 'api.example.com', port: 443 },
  reason: 'to look up the weather',
  requestedBy: 'model',
});

describe('the permission prompt', () => {
  it('shows who asks, its signer, the capability and the reason; deny is the default', async () => {
    const { answer, events, getScreen } = await render(select, permissionPrompt(request));
    const screen = getScreen().replace(/\s+/g, ' ');
    expect(screen).toContain('fetch (localhost:5000/tools/fetch, signed key:SHA256:abc)');
    expect(screen).toContain('the AI model asks for http:https://api.example.com:443');
    expect(screen).toContain('to look up the weather');
    events.keypress('enter');
    await expect(answer).resolves.toBe('deny');
  });

  it.each([
    ['once', []],
    ['session', ['down']],
    ['always', ['down', 'down']],
    ['never', ['down', 'down', 'down', 'down']],
  ] as const)('answers %s', async (expected, moves) => {
    const { answer, events } = await render(select, { ...permissionPrompt(request), default: 'once' });
    for (const key of moves) events.keypress(key);
    events.keypress('enter');
    await expect(answer).resolves.toBe(expected);
  });

  it('leaves "allow once" out for an environment key, which an instance gets when it starts', async () => {
    const env = newPermissionRequest({ ...request, capability: { kind: 'env', key: 'API_TOKEN' } });
    const { answer, events, getScreen } = await render(select, permissionPrompt(env));
    expect(getScreen()).not.toContain('allow once');
    events.keypress('enter');
    await expect(answer).resolves.toBe('deny');
  });
});
