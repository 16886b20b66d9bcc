/**
 * The wtools:mcp WIT package end to end: `wtools serve` over stdio with the real SDK client, and a
 * JavaScript component that uses every interface — images, audio and resources as content; log
 * messages and progress in order before the result; sampling and elicitation with a client that
 * declares them and a grant, and their clean failures without either.
 */
import { copyFile } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, describeRun, jsonOf, sandbox } from '../harness/cli.js';
import { connectStdioServe } from '../harness/serve.js';
import { jsComponentPath, templateComponentPath } from '../harness/js-fixtures.js';

let fixture: string;
let template: string;

beforeAll(async () => {
  [fixture, template] = await Promise.all([jsComponentPath('mcp'), templateComponentPath()]);
}, 300_000);

interface ClientFeatures {
  sampling?: (params: Record<string, unknown>) => { text: string } | 'refuse';
  elicit?: (message: string, schema: Record<string, unknown>) => Record<string, unknown> | 'decline';
}

/** `wtools serve mcp.wasm` with `args`, connected to an SDK client declaring `features`. */
async function serve(sb: Sandbox, features: ClientFeatures, args: string[] = [], component = fixture) {
  const file = sb.path(component === fixture ? 'mcp.wasm' : 'my-tool.wasm');
  await copyFile(component, file);
  const client = new Client(
    { name: 'mcp-package-e2e', version: '1.0.0' },
    {
      capabilities: {
        ...(features.sampling ? { sampling: {} } : {}),
        ...(features.elicit ? { elicitation: { form: {} } } : {}),
      },
    },
  );
  const { sampling, elicit } = features;
  if (sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, (request) => {
      const answer = sampling(request.params as Record<string, unknown>);
      if (answer === 'refuse') throw new Error('the user refused the prompt');
      return { model: 'test-model', role: 'assistant', content: { type: 'text', text: answer.text } };
    });
  }
  if (elicit) {
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      const params = request.params as { message: string; requestedSchema: Record<string, unknown> };
      const answer = elicit(params.message, params.requestedSchema);
      return answer === 'decline' ? { action: 'decline' } : { action: 'accept', content: answer };
    });
  }
  return connectStdioServe(sb, client, [file, '--no-prompt', '--no-builtin-tools', ...args]);
}

function structured(result: object): unknown {
  return (result as { structuredContent?: unknown }).structuredContent;
}

describe('e2e: the wtools:mcp package', () => {
  it('serves images, audio, embedded resources and links as MCP content, byte for byte', async () => {
    const sb = await sandbox();
    const { client } = await serve(sb, {});
    const tools = (await client.listTools()).tools;
    const picture = tools.find((t) => t.name === 'mcp.picture');
    // Content tools carry no outputSchema: their structured value is the component's own JSON.
    expect(picture?.outputSchema).toBeUndefined();
    expect(tools.find((t) => t.name === 'mcp.work')?.outputSchema).toBeDefined();

    const result = await client.callTool({ name: 'mcp.picture', arguments: { shade: 200 } });
    expect(result.isError).toBeFalsy();
    const [image, caption] = result.content as {
      type: string;
      data?: string;
      mimeType?: string;
      text?: string;
    }[];
    expect(image?.type).toBe('image');
    expect(image?.mimeType).toBe('image/png');
    const png = Buffer.from(image!.data!, 'base64');
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBe(2); // IHDR width
    expect(png.readUInt32BE(20)).toBe(1); // IHDR height
    expect(caption).toEqual({ type: 'text', text: 'a red pixel and a grey one (200)' });
    expect(structured(result)).toEqual({ width: 2, height: 1, shade: 200 });

    const resources = await client.callTool({ name: 'mcp.resources', arguments: { uri: 'memo://note' } });
    const blocks = resources.content as Record<string, unknown>[];
    expect(blocks[0]).toEqual({
      type: 'resource',
      resource: { uri: 'memo://note', mimeType: 'text/plain', text: 'hello from a resource' },
    });
    const blob = blocks[1] as { type: string; resource: { uri: string; blob: string; mimeType?: string } };
    expect(blob.type).toBe('resource');
    expect(blob.resource.mimeType).toBeUndefined();
    expect([...Buffer.from(blob.resource.blob, 'base64')]).toEqual([0, 1, 2, 254, 255]);
    expect(blocks[2]).toEqual({
      type: 'resource_link',
      uri: 'memo://note/more',
      name: 'more',
      description: 'the rest of it',
      mimeType: 'text/markdown',
    });
    const audio = blocks[3] as { type: string; data: string; mimeType: string };
    expect(audio.type).toBe('audio');
    expect(audio.mimeType).toBe('audio/wav');
    expect(Buffer.from(audio.data, 'base64').subarray(0, 4).toString('latin1')).toBe('RIFF');
  });

  it('gives the err case of result<tool-result, E> as an isError result with the error value', async () => {
    const sb = await sandbox();
    const { client } = await serve(sb, {});
    const failed = await client.callTool({ name: 'mcp.maybe-picture', arguments: { fail: true } });
    expect(failed.isError).toBe(true);
    expect(structured(failed)).toEqual({ error: 'asked to fail' });
    const ok = await client.callTool({ name: 'mcp.maybe-picture', arguments: { fail: false } });
    expect(ok.isError).toBeFalsy();
    expect((ok.content as { type: string }[]).map((c) => c.type)).toEqual(['image', 'text']);
  });

  it('sends log messages and progress in order before the result, honouring the log level', async () => {
    const sb = await sandbox();
    const { client } = await serve(sb, {});
    const events: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      events.push(`log ${n.params.level} ${n.params.logger ?? ''}: ${String(n.params.data)}`);
    });
    await client.setLoggingLevel('info');
    const result = await client.callTool({ name: 'mcp.work', arguments: { steps: 3 } }, undefined, {
      onprogress: (p) => events.push(`progress ${p.progress}/${p.total ?? '?'} ${p.message ?? ''}`),
    });
    events.push('result');
    expect(structured(result)).toEqual({ result: 3 });
    // The debug message is below the level the client set: it never arrives.
    expect(events).toEqual([
      'log info mcp: step 1 of 3',
      'progress 1/3 step 1',
      'log info mcp: step 2 of 3',
      'progress 2/3 step 2',
      'log info mcp: step 3 of 3',
      'progress 3/3 step 3',
      'result',
    ]);
  });

  it('asks the client’s model with the mcp:sampling grant, and fails cleanly without it', async () => {
    const sb = await sandbox();
    const prompts: Record<string, unknown>[] = [];
    const sampling = (params: Record<string, unknown>) => {
      prompts.push(params);
      return { text: 'Paris' };
    };
    const granted = await serve(sb, { sampling }, ['--grant', 'mcp:sampling']);
    const answer = await granted.client.callTool({
      name: 'mcp.ask-model',
      arguments: { question: 'The capital of France?' },
    });
    expect(structured(answer)).toEqual({ result: 'test-model: Paris' });
    expect(prompts).toEqual([
      {
        messages: [{ role: 'user', content: { type: 'text', text: 'The capital of France?' } }],
        systemPrompt: 'Answer in one word.',
        maxTokens: 50,
        modelPreferences: { hints: [{ name: 'small' }] },
      },
    ]);

    // No grant: the client is never asked, the guest gets not-granted, and the denial is audited.
    const sb2 = await sandbox();
    const ungranted = await serve(sb2, { sampling });
    const denied = await ungranted.client.callTool({ name: 'mcp.ask-model', arguments: { question: 'x' } });
    expect(structured(denied)).toEqual({ error: 'not-granted' });
    expect(prompts).toHaveLength(1);
    await ungranted.client.close();
    const audit = jsonOf<{ entries: { event: string; capability?: string }[] }>(
      await sb2.run(['audit', '--json']),
    );
    expect(audit.entries.some((e) => JSON.stringify(e).includes('mcp:sampling'))).toBe(true);

    // A grant, but a client that declared no sampling: not-supported.
    const sb3 = await sandbox();
    const unsupported = await serve(sb3, {}, ['--grant', 'mcp:sampling']);
    const none = await unsupported.client.callTool({ name: 'mcp.ask-model', arguments: { question: 'x' } });
    expect(structured(none)).toEqual({ error: 'not-supported' });

    // The client (or its user) refuses: the reason reaches the guest.
    const sb4 = await sandbox();
    const refusing = await serve(sb4, { sampling: () => 'refuse' }, ['--grant', 'mcp:sampling']);
    const refused = await refusing.client.callTool({ name: 'mcp.ask-model', arguments: { question: 'x' } });
    expect(refused.isError).toBe(true);
    expect(String((structured(refused) as { error: string }).error)).toMatch(/^failed: .*refused the prompt/);
  });

  it('asks the client’s user a form naming the component with mcp:elicit, and fails cleanly without it', async () => {
    const sb = await sandbox();
    const forms: { message: string; schema: Record<string, unknown> }[] = [];
    let reply: Record<string, unknown> | 'decline' = { name: 'Ada', age: 36, subscribe: true, extra: 'x' };
    const elicit = (message: string, schema: Record<string, unknown>) => {
      forms.push({ message, schema });
      return reply;
    };
    const granted = await serve(sb, { elicit }, ['--grant', 'mcp:elicit']);
    const answer = await granted.client.callTool({
      name: 'mcp.ask-user',
      arguments: { question: 'Who are you?' },
    });
    // What the user typed and the form has a field for; nothing else.
    expect(JSON.parse((structured(answer) as { result: string }).result)).toEqual({
      name: 'Ada',
      age: 36,
      subscribe: true,
    });
    expect(forms[0]?.message).toBe('The component mcp asks: Who are you?');
    expect(forms[0]?.schema).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string', title: 'Name' },
        age: { type: 'integer', description: 'Whole years', minimum: 0, maximum: 150 },
        colour: { type: 'string', enum: ['red', 'green'] },
        subscribe: { type: 'boolean' },
      },
      required: ['name'],
    });
    reply = 'decline';
    const declined = await granted.client.callTool({
      name: 'mcp.ask-user',
      arguments: { question: 'Again?' },
    });
    expect(structured(declined)).toEqual({ result: 'decline' });

    const sb2 = await sandbox();
    const ungranted = await serve(sb2, {}, []);
    const denied = await ungranted.client.callTool({ name: 'mcp.ask-user', arguments: { question: 'x' } });
    expect(structured(denied)).toEqual({ error: 'not-granted' });
    const sb3 = await sandbox();
    const unsupported = await serve(sb3, {}, ['--grant', 'mcp:elicit']);
    const none = await unsupported.client.callTool({ name: 'mcp.ask-user', arguments: { question: 'x' } });
    expect(structured(none)).toEqual({ error: 'not-supported' });
  });

  it('the JavaScript template for component authors builds, and its tools work as its README says', async () => {
    const sb = await sandbox();
    const { client } = await serve(
      sb,
      { sampling: () => ({ text: 'It is short.' }) },
      ['--grant', 'mcp:sampling'],
      template,
    );
    const greeting = await client.callTool({ name: 'my-tool.greet', arguments: { name: 'Ada' } });
    expect(greeting.content).toEqual([{ type: 'text', text: 'Hello, Ada!' }]);
    expect(structured(greeting)).toEqual({ name: 'Ada', greeting: 'Hello, Ada!' });
    const summary = await client.callTool({ name: 'my-tool.summarize', arguments: { text: 'A long text.' } });
    expect(structured(summary)).toEqual({ result: 'It is short.' });
  });

  it('wtools call keeps the log messages in its result, and tells sampling it has no client', async () => {
    const sb = await sandbox();
    const worked = await sb.run(['call', fixture, 'work', '--args', '[2]']);
    expect(worked.code, describeRun(worked)).toBe(0);
    expect(jsonOf<{ result: number; logs: unknown[] }>(worked)).toMatchObject({
      result: 2,
      logs: [
        { level: 'info', message: 'step 1 of 2' },
        { level: 'info', message: 'step 2 of 2' },
        { level: 'debug', message: 'all steps done' },
      ],
    });
    const asked = await sb.run(['call', fixture, 'ask-model', '--args', '["?"]', '--grant', 'mcp:sampling']);
    expect(asked.code).toBe(9);
    expect(asked.stdout).toContain('"value": "not-supported"');
  });

  it('inspect names the wtools:mcp imports and what each may do', async () => {
    const sb = await sandbox();
    const result = await sb.run(['inspect', fixture, '--json']);
    expect(result.code, describeRun(result)).toBe(0);
    const inspected = jsonOf<{ asks: { interface: string; capability: string }[]; refusedImports: string[] }>(
      result,
    );
    expect(inspected.refusedImports).toEqual([]);
    const asks = Object.fromEntries(
      inspected.asks.map((a) => [a.interface.replace(/@.*/, ''), a.capability]),
    );
    expect(asks['wtools:mcp/sampling']).toMatch(/mcp:sampling/);
    expect(asks['wtools:mcp/elicit']).toMatch(/mcp:elicit/);
    expect(asks['wtools:mcp/log']).toMatch(/log messages/);
    expect(asks['wtools:mcp/progress']).toMatch(/progress/);
  });
});
