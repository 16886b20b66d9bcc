/**
 * `wtools call` from the built CLI: one export, once, as JSON — from a file and from a reference
 * pulled through the trust policy — with grants, limits and failures turned into exit codes.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { describeRun, jsonOf, sandbox, uniqueRepo } from '../harness/cli.js';
import { cComponentPath } from '../harness/c-fixtures.js';
import { fixturePath } from '../harness/fixtures.js';

const registry = inject('registryHost');

interface CallJson {
  ok: boolean;
  exitCode?: number;
  result?: unknown;
  stdout?: string;
  stderr?: string;
  outputTruncated?: boolean;
  denied?: { capability: string; reason: string }[];
  component?: { name: string; origin: string; digest: string };
  error?: { code: string; message: string; guestExitCode?: number; value?: unknown; refused?: string[] };
}

describe('wtools call', () => {
  it('runs a pure export of a file and prints the result as JSON', async () => {
    const sb = await sandbox();
    const result = await sb.run(['call', await fixturePath('hello'), 'add', '--args', '[40, 2]']);
    expect(result.code, describeRun(result)).toBe(0);
    const json = jsonOf<CallJson>(result);
    expect(json).toMatchObject({ ok: true, result: 42 });
    expect(json.component?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('gives the C fixture exactly the granted folder, access and variables', async () => {
    const sb = await sandbox();
    const data = sb.path('data');
    await mkdir(data);
    await writeFile(`${data}/note.txt`, 'granted content');
    const basic = await cComponentPath('c/basic');

    const read = await sb.run([
      'call',
      basic,
      'read-file',
      '--args',
      JSON.stringify([`${data}/note.txt`]),
      '--grant',
      `fs:${data}:ro`,
    ]);
    expect(jsonOf<CallJson>(read)).toMatchObject({ ok: true, result: 'granted content' });

    const write = await sb.run([
      'call',
      basic,
      'write-file',
      '--args',
      JSON.stringify([`${data}/new.txt`, 'x']),
      '--grant',
      `fs:${data}:ro`,
    ]);
    expect(write.code, describeRun(write)).toBe(9);
    expect(jsonOf<CallJson>(write)).toMatchObject({
      ok: false,
      error: { code: 'GUEST_ERROR', value: 'Read-only file system' },
      denied: [{ capability: `fs:${data}/new.txt:rw`, reason: 'the grant is read-only' }],
    });

    const written = await sb.run([
      'call',
      basic,
      'write-file',
      '--args',
      JSON.stringify([`${data}/new.txt`, 'x']),
      '--grant',
      `fs:${data}:rw`,
    ]);
    expect(written.code, describeRun(written)).toBe(0);
    expect(await readFile(`${data}/new.txt`, 'utf8')).toBe('x');

    const env = await sb.run(['call', basic, 'get-env', '--args', '["GIVEN"]', '--grant', 'env:GIVEN'], {
      extraEnv: { GIVEN: 'yes', OTHER: 'no' },
    });
    expect(jsonOf<CallJson>(env).result).toBe('yes');
    const other = await sb.run(['call', basic, 'get-env', '--args', '["OTHER"]', '--grant', 'env:GIVEN'], {
      extraEnv: { GIVEN: 'yes', OTHER: 'no' },
    });
    expect(jsonOf<CallJson>(other).result).toBeNull();

    const printed = await sb.run(['call', basic, 'print', '--args', '["to the guest stdout"]']);
    expect(jsonOf<CallJson>(printed)).toMatchObject({
      stdout: 'to the guest stdout',
      stderr: 'err:to the guest stdout',
    });
  });

  it('runs a component pulled by reference through the trust policy', async () => {
    const sb = await sandbox();
    const ref = `${registry}/${uniqueRepo('call')}:1.0`;
    const pushed = await sb.run(['push', await fixturePath('hello'), ref]);
    expect(pushed.code, describeRun(pushed)).toBe(0);
    const result = await sb.run(['call', ref, 'add', '--args', '[1, 2]']);
    expect(result.code, describeRun(result)).toBe(0);
    const json = jsonOf<CallJson>(result);
    expect(json.result).toBe(3);
    expect(json.component?.origin.startsWith(ref.replace(/:1\.0$/, '@sha256:'))).toBe(true);

    // Without a rule that accepts it, the unsigned reference is refused before anything runs.
    const strict = await sandbox({ trustPolicy: false });
    const refused = await strict.run(['call', ref, 'add', '--args', '[1, 2]']);
    expect(refused.code, describeRun(refused)).toBe(8);
    expect(jsonOf<CallJson>(refused).error?.code).toBe('UNSIGNED');
  });

  it('stops an endless loop at --timeout and reports it with exit code 9', async () => {
    const sb = await sandbox();
    const started = Date.now();
    const result = await sb.run([
      'call',
      await cComponentPath('attacks/infinite-loop'),
      'run',
      '--args',
      '[""]',
      '--timeout',
      '300ms',
    ]);
    expect(result.code, describeRun(result)).toBe(9);
    expect(jsonOf<CallJson>(result).error?.code).toBe('CALL_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('caps memory with --memory and ends exit(1) without ending wtools early', async () => {
    const sb = await sandbox();
    const grown = await sb.run([
      'call',
      await cComponentPath('attacks/memory-grow'),
      'run',
      '--args',
      '[""]',
      '--memory',
      '64MiB',
    ]);
    expect(grown.code, describeRun(grown)).toBe(0);
    expect(jsonOf<CallJson>(grown).result).toMatch(/memory is (\d|[1-5]\d|6[0-4]) MiB$/);

    const exited = await sb.run(['call', await cComponentPath('attacks/exit-one'), 'run', '--args', '[""]']);
    expect(exited.code, describeRun(exited)).toBe(9);
    expect(jsonOf<CallJson>(exited)).toMatchObject({
      ok: false,
      error: { code: 'GUEST_EXIT', guestExitCode: 1 },
    });
  });

  it('explains bad input: args that are not JSON, a malformed grant, a missing export, a missing file', async () => {
    const sb = await sandbox();
    const hello = await fixturePath('hello');

    const badArgs = await sb.run(['call', hello, 'add', '--args', '[1,']);
    expect(badArgs.code).toBe(2);
    expect(jsonOf<CallJson>(badArgs).error?.message).toMatch(/--args must be JSON/);

    const badGrant = await sb.run(['call', hello, 'add', '--grant', 'http:example.com/path']);
    expect(badGrant.code).toBe(2);
    expect(jsonOf<CallJson>(badGrant).error?.code).toBe('INVALID_ARGUMENT');
    expect(badGrant.stderr).toMatch(/invalid grant "http:example.com\/path": an HTTP grant names an origin/);

    const missing = await sb.run(['call', hello, 'subtract', '--args', '[1, 2]']);
    expect(missing.code).toBe(2);
    expect(jsonOf<CallJson>(missing).error).toMatchObject({
      code: 'NO_SUCH_EXPORT',
      message: expect.stringContaining('exports add'),
    });

    const noFile = await sb.run(['call', sb.path('nope.wasm'), 'add']);
    expect(noFile.code).toBe(3);

    const refused = await sb.run(['call', await fixturePath('foreign-import'), 'x']);
    expect(refused.code).toBe(5);
    expect(jsonOf<CallJson>(refused).error?.refused).toEqual(['acme:secret/door', 'wasi:cli/exit@0.3.0']);
  });
});
