import { describe, expect, it } from 'vitest';
import {
  type Answer,
  type Approver,
  PermissionBroker,
  newPermissionRequest,
} from '../../../lib/grants/index.js';

const request = newPermissionRequest({
  component: {
    name: 'fetch',
    identity: 'localhost:5000/tools/fetch',
    signer: 'key:SHA256:x',
    digest: 'sha256:0',
  },
  capability: { kind: 'http', scheme: 'https', host: 'api.example.com', port: 443 },
  reason: 'requested at run time',
  requestedBy: 'guest',
});

function approver(name: string, answer: Answer | undefined | 'never-answers', available = true) {
  const asked: string[] = [];
  const a: Approver & { asked: string[] } = {
    name,
    asked,
    available: () => available,
    ask: (r, signal) => {
      asked.push(r.id);
      if (answer === 'never-answers') {
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve(undefined)));
      }
      return Promise.resolve(answer);
    },
  };
  return a;
}

describe('the permission broker', () => {
  it('asks the first available channel only', async () => {
    const terminal = approver('terminal', 'once', false);
    const approvals = approver('approvals', 'always');
    const elicitation = approver('elicitation', 'deny');
    const broker = new PermissionBroker([terminal, approvals]);
    expect(await broker.ask(request, [elicitation])).toEqual({ answer: 'always', by: 'approvals' });
    expect(terminal.asked).toEqual([]);
    expect(elicitation.asked).toEqual([]);
  });

  it('moves on when a channel could not ask after all, and per-call channels come last', async () => {
    const closed = approver('approvals', undefined);
    const elicitation = approver('elicitation', 'session');
    expect(await new PermissionBroker([closed]).ask(request, [elicitation])).toEqual({
      answer: 'session',
      by: 'elicitation',
    });
  });

  it('denies at once, saying how to grant, when nobody can be asked', async () => {
    const decision = await new PermissionBroker([approver('terminal', 'once', false)]).ask(request);
    expect(decision.answer).toBe('deny');
    expect(decision.by).toBe('no-approver');
    expect(decision.message).toContain(
      'wtools grant localhost:5000/tools/fetch http:https://api.example.com:443',
    );
    expect(decision.message).toContain('wtools approvals');
  });

  it('denies when nobody answers in time, and withdraws the question', async () => {
    const slow = approver('terminal', 'never-answers');
    const decision = await new PermissionBroker([slow], { timeoutMs: 30 }).ask(request);
    expect(decision).toMatchObject({ answer: 'deny', by: 'timeout' });
  });

  it('offers "once" only where it can be kept: not for a directory or an environment key', async () => {
    const directory = newPermissionRequest({
      ...request,
      capability: { kind: 'fs', path: '/data', access: 'ro' },
    });
    expect(directory.answers).toEqual(['session', 'always', 'deny', 'never']);
    expect(request.answers).toContain('once');
    // A channel that answers "once" anyway gets a denial that says why, not a grant it cannot keep.
    const decision = await new PermissionBroker([approver('approvals', 'once')]).ask(directory);
    expect(decision).toMatchObject({ answer: 'deny', by: 'approvals' });
    expect(decision.message).toContain('"once" cannot be kept for fs:/data:ro');
  });
});
