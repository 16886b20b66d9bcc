/**
 * Profiles from the built CLI: components pinned by digest with tool filters and grants, exported
 * without secrets and imported elsewhere, served with `serve --profile`, and switched by the
 * `switch-profile` tool, which changes tools/list and emits tools/list_changed.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { CLI_PATH, type Sandbox, describeRun, jsonOf, sandbox } from '../harness/cli.js';
import { jsComponentPath } from '../harness/js-fixtures.js';

let types: string;
let wasi: string;

beforeAll(async () => {
  [types, wasi] = await Promise.all([jsComponentPath('types'), jsComponentPath('wasi')]);
}, 300_000);

async function ok(sb: Sandbox, args: string[], input?: string) {
  const run = await sb.run(args, input === undefined ? {} : { input });
  expect(run.code, describeRun(run)).toBe(0);
  return run;
}

/** Two layouts (oci:…, which the test trust policy accepts unsigned) and two profiles over them. */
async function twoProfiles(sb: Sandbox) {
  const data = sb.path('data');
  await mkdir(data);
  await writeFile(`${data}/note.txt`, 'from the profile grant');
  await ok(sb, ['push', types, `oci:${sb.path('types')}:1`]);
  const wasiFile = sb.path('wasi.wasm');
  await copyFile(wasi, wasiFile);
  await ok(sb, ['push', wasiFile, `oci:${sb.path('files')}:1`]);
  await ok(sb, ['profile', 'create', 'maths']);
  await ok(sb, ['profile', 'add', 'maths', `oci:${sb.path('types')}:1`, '--tools', '*.greet', '*.u64-echo']);
  await ok(sb, ['profile', 'create', 'files']);
  await ok(sb, ['profile', 'add', 'files', `oci:${sb.path('files')}:1`, '--grant', `fs:${data}:ro`]);
  return { data };
}

describe('profiles', () => {
  it('pin components by digest, and export without secrets; an import reproduces them', async () => {
    const sb = await sandbox();
    await twoProfiles(sb);
    await ok(sb, ['secret', 'set', `oci:${sb.path('files')}`, 'API_KEY', '--stdin'], 'sk-never-exported');
    const listed = jsonOf<
      Record<string, { components: { ref: string; tools?: string[]; grants?: string[] }[] }>
    >(await ok(sb, ['profile', 'ls', '--json']));
    expect(Object.keys(listed).sort()).toEqual(['files', 'maths']);
    expect(listed.maths!.components[0]).toMatchObject({
      ref: expect.stringMatching(/^oci:.*types@sha256:[0-9a-f]{64}$/),
      tools: ['*.greet', '*.u64-echo'],
    });
    expect(listed.files!.components[0]!.grants).toEqual([`fs:${sb.path('data')}:ro`]);

    const exported = (await ok(sb, ['profile', 'export', 'files'])).stdout;
    expect(exported).toContain('wtools-profile: 1');
    expect(exported).not.toContain('sk-never-exported');
    const file = sb.path('files.yaml');
    await writeFile(file, exported);
    const elsewhere = await sandbox();
    await ok(elsewhere, ['profile', 'import', file, '--as', 'shared']);
    const imported = jsonOf<Record<string, unknown>>(
      await ok(elsewhere, ['profile', 'ls', 'shared', '--json']),
    );
    expect(imported.shared).toEqual(listed.files);

    // Paths in a shared file are relative to the file: `fs:.` is its folder, never `/`.
    const digest = /@(sha256:[0-9a-f]{64})/.exec(listed.files!.components[0]!.ref)![1];
    await mkdir(sb.path('shared'));
    const relative = sb.path('shared', 'relative.yaml');
    await writeFile(
      relative,
      `wtools-profile: 1\nname: rel\ncomponents:\n  - ref: oci:../files@${digest}\n    grants: ["fs:.:rw"]\n`,
    );
    await ok(sb, ['profile', 'import', relative]);
    const rel = jsonOf<Record<string, { components: { ref: string; grants: string[] }[] }>>(
      await ok(sb, ['profile', 'ls', 'rel', '--json']),
    );
    expect(rel.rel!.components[0]).toEqual({
      ref: `oci:${sb.path('files')}@${digest}`,
      grants: [`fs:${sb.path('shared')}:rw`],
    });
    // Names are profiles only when a human made them.
    const inherited = await sb.run(['profile', 'ls', 'constructor']);
    expect(inherited.code).toBe(3);

    const unpinned = sb.path('unpinned.yaml');
    await writeFile(unpinned, 'wtools-profile: 1\nname: x\ncomponents:\n  - ref: ghcr.io/org/tool:1.0\n');
    const refused = await sb.run(['profile', 'import', unpinned]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('must be pinned to a digest');
    expect(await readFile(file, 'utf8')).toBe(exported);
  }, 180_000);

  it('serve --profile serves its filtered tools; switch-profile changes the tool list and says so', async () => {
    const sb = await sandbox();
    await twoProfiles(sb);
    const client = new Client({ name: 'wtools-e2e', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI_PATH, 'serve', '--profile', 'maths', '--quiet', '--no-prompt'],
        env: { PATH: process.env.PATH ?? '', ...sb.env },
        stderr: 'pipe',
      }),
    );
    onTestFinished(() => client.close());
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    const componentTools = async () =>
      (await client.listTools()).tools
        .map((t) => t.name)
        .filter((n) => n.includes('.'))
        .sort();
    expect(await componentTools()).toEqual(['types.greet', 'types.u64-echo']);

    const switched = await client.callTool({ name: 'switch-profile', arguments: { name: 'files' } });
    expect(switched.isError, JSON.stringify(switched)).toBeFalsy();
    await expect.poll(() => changed).toBeGreaterThan(0);
    const tools = await componentTools();
    expect(tools).toContain('files.read-file');
    expect(tools.some((t) => t.startsWith('types.'))).toBe(false);
    // The profile's grant came along: the granted folder is readable.
    const read = await client.callTool({
      name: 'files.read-file',
      arguments: { path: `${sb.path('data')}/note.txt` },
    });
    expect(read.structuredContent).toEqual({ result: 'from the profile grant' });

    const unknown = await client.callTool({ name: 'switch-profile', arguments: { name: 'nope' } });
    expect(unknown.isError).toBe(true);
    expect(JSON.stringify(unknown.content)).toContain('the profiles are files, maths');
    expect(await componentTools()).toEqual(tools);
  }, 180_000);
});
