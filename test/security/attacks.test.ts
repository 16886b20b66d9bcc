/**
 * One hostile component per test. Each attack must be contained — no host file, variable, stdout
 * byte or exit leaks — and the host must answer the next call correctly afterwards: the attacked
 * runtime with a fresh instance, and a well-behaved component running beside it.
 */
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { isWtoolsError } from '../../lib/core/index.js';
import type { ComponentRuntime } from '../../lib/runtime/index.js';
import { cComponentPath } from '../harness/c-fixtures.js';
import { grants, startComponent } from '../harness/runtime.js';
import { tempDir } from '../harness/unit.js';

type RunResult = { ok: true; value: string } | { ok: false; code: string; message: string; value?: unknown };

async function run(runtime: ComponentRuntime, arg: string, timeoutMs?: number): Promise<RunResult> {
  try {
    const result = await runtime.call('run', [arg], timeoutMs ? { timeoutMs } : {});
    return { ok: true, value: result.value as string };
  } catch (err) {
    if (!isWtoolsError(err)) throw err;
    return { ok: false, code: err.code, message: err.message, value: err.details?.value };
  }
}

async function attack(name: string, options: Parameters<typeof startComponent>[1] = {}) {
  return startComponent(await cComponentPath(`attacks/${name}`), options);
}

/** The bystander: a well-behaved component that must keep answering whatever its neighbour did. */
async function expectBystanderAnswers(): Promise<void> {
  const { runtime } = await startComponent(await cComponentPath('c/basic'));
  expect((await runtime.call('add', [2, 3])).value).toBe(5);
  expect((await runtime.call('greet', ['next'])).value).toBe('hello, next');
}

describe('attacks are contained and the host keeps serving', () => {
  beforeAll(async () => {
    // Build every fixture up front so no single test pays for the compiler.
    for (const name of ['c/basic', 'attacks/read-passwd', 'attacks/infinite-loop'])
      await cComponentPath(name);
  }, 300_000);

  it('read /etc/passwd with no grant: nothing to read it through', async () => {
    const { runtime } = await attack('read-passwd');
    const result = await run(runtime, '');
    expect(result).toMatchObject({ ok: false, code: 'GUEST_ERROR' });
    expect(String((result as { value?: unknown }).value)).toMatch(/\/etc\/passwd: /);
    expect(JSON.stringify(result)).not.toContain('root:');
    expect(await run(runtime, '')).toMatchObject({ ok: false, code: 'GUEST_ERROR' });
    await expectBystanderAnswers();
  });

  it('`..` out of a granted directory is refused and reported', async () => {
    const dir = await tempDir();
    await mkdir(`${dir}/sub`);
    const { runtime, denied } = await attack('dotdot-escape', { grants: grants(`fs:${dir}`) });
    const result = await run(runtime, `${dir}/sub`);
    expect(result).toMatchObject({
      ok: false,
      code: 'GUEST_ERROR',
      value: expect.stringContaining('Operation not permitted'),
    });
    expect(denied.map((d) => d.reason)).toContain('a path escaped its grant with ..');
    await expectBystanderAnswers();
  });

  it('a symlink inside a grant that points outside leads nowhere', async () => {
    const dir = await tempDir();
    await symlink('/etc', `${dir}/link`);
    const { runtime, denied } = await attack('symlink-escape', { grants: grants(`fs:${dir}`) });
    const result = await run(runtime, `${dir}/link/passwd`);
    expect(result).toMatchObject({ ok: false, code: 'GUEST_ERROR' });
    expect(JSON.stringify(result)).not.toContain('root:');
    expect(denied[0]).toMatchObject({ capability: { kind: 'fs', path: '/etc/passwd' } });
    expect(denied[0]!.reason).toMatch(/leads outside its grant/);
    await expectBystanderAnswers();
  });

  it('every mutation through a read-only grant fails and the directory is untouched', async () => {
    const dir = await tempDir();
    await writeFile(`${dir}/victim.txt`, 'original');
    const { runtime, denied } = await attack('write-readonly', { grants: grants(`fs:${dir}:ro`) });
    const result = await run(runtime, dir);
    expect(result.ok).toBe(false);
    expect(
      String((result as { value?: unknown }).value)
        .trim()
        .split('\n'),
    ).toEqual([
      'create pwned.txt: Read-only file system',
      'append victim.txt: Read-only file system',
      'mkdir pwned-dir: Read-only file system',
      'rename victim.txt: Read-only file system',
      'unlink victim.txt: Read-only file system',
    ]);
    expect(await readdir(dir)).toEqual(['victim.txt']);
    expect(denied.length).toBe(5);
    expect(denied.every((d) => d.capability.kind === 'fs' && d.capability.access === 'rw')).toBe(true);
    await expectBystanderAnswers();
  });

  it('the same directory granted rw can be written', async () => {
    const dir = await tempDir();
    await writeFile(`${dir}/victim.txt`, 'original');
    const { runtime } = await attack('write-readonly', { grants: grants(`fs:${dir}:rw`) });
    const result = await run(runtime, dir);
    expect(result).toMatchObject({ ok: true });
    expect((await readdir(dir)).sort()).toEqual(['pwned-dir', 'pwned.txt']);
  });

  it('the environment holds only granted keys', async () => {
    const env = { SECRET_TOKEN: 'hunter2', PATH: '/usr/bin', GRANTED: 'yes' };
    const { runtime } = await attack('env-dump', { env, grants: grants('env:GRANTED', 'env:ABSENT') });
    expect(await run(runtime, '')).toEqual({ ok: true, value: 'GRANTED=yes' });
    const { runtime: bare } = await attack('env-dump', { env });
    expect(await run(bare, '')).toEqual({ ok: true, value: '' });
  });

  it('a stdout flood is captured, capped and never reaches the host stdout', async () => {
    const written: unknown[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
      written.push(chunk);
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      const { runtime } = await attack('stdout-flood');
      const result = await runtime.call('run', ['']);
      expect(result.value).toBe('wrote 67108864 bytes');
      expect(result.outputTruncated).toBe(true);
      expect(result.stdout.length).toBe(1024 * 1024);
    } finally {
      process.stdout.write = original;
    }
    expect(written.join('')).not.toContain('abcdefghijklmnop');
    await expectBystanderAnswers();
  });

  it('exit(1) ends the call with its code, not the host; the next call gets a fresh instance', async () => {
    const { runtime } = await attack('exit-one');
    for (let i = 0; i < 2; i++) {
      const result = await run(runtime, '');
      expect(result).toMatchObject({ ok: false, code: 'GUEST_EXIT' });
    }
    await expectBystanderAnswers();
  });

  it('an endless loop is stopped at the timeout and the worker replaced', async () => {
    const { runtime } = await attack('infinite-loop');
    const started = Date.now();
    expect(await run(runtime, '', 300)).toMatchObject({ ok: false, code: 'CALL_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await run(runtime, '', 300)).toMatchObject({ ok: false, code: 'CALL_TIMEOUT' });
    await expectBystanderAnswers();
  });

  it('memory growth stops at the cap inside the guest', async () => {
    const { runtime } = await attack('memory-grow', { limits: { memoryMiB: 128 } });
    const result = await run(runtime, '');
    expect(result.ok).toBe(true);
    const [, grew, total] =
      /grew (\d+) MiB; memory is (\d+) MiB/.exec((result as { value: string }).value) ?? [];
    expect(Number(total)).toBeLessThanOrEqual(128);
    expect(Number(grew)).toBeLessThan(128);
    await expectBystanderAnswers();
  });

  it.each([
    ['', /Maximum call stack size exceeded/],
    ['shadow', /out of bounds|unreachable/],
  ])('unbounded recursion (%s) traps, and the next call runs on a fresh instance', async (arg, message) => {
    const { runtime } = await attack('recursion');
    const first = await run(runtime, arg);
    expect(first).toMatchObject({ ok: false, code: 'GUEST_TRAP' });
    expect((first as { message: string }).message).toMatch(message);
    expect(await run(runtime, arg)).toMatchObject({ ok: false, code: 'GUEST_TRAP' });
    await expectBystanderAnswers();
  });

  it('a 50 MB result is refused at the output limit; a small one still passes', async () => {
    const { runtime } = await attack('big-return');
    expect(await run(runtime, '')).toMatchObject({ ok: false, code: 'OUTPUT_LIMIT' });
    const small = await run(runtime, '1000');
    expect(small).toMatchObject({ ok: true });
    expect((small as { value: string }).value.length).toBe(1000);
    await expectBystanderAnswers();
  });
});
