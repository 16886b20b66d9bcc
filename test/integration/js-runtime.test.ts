/**
 * The 12 MB StarlingMonkey fixtures through the sandboxed runtime: the pure one round-trips every
 * WIT type family across the worker boundary, and the WASI one does its job with grants and gets
 * WASI errors (not crashes) without them.
 */
import { writeFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsComponentPath } from '../harness/js-fixtures.js';
import { grants, startComponent } from '../harness/runtime.js';
import { expectCode, tempDir } from '../harness/unit.js';

beforeAll(async () => {
  await jsComponentPath('types');
  await jsComponentPath('wasi');
}, 300_000);

describe('the pure JS fixture across the worker boundary', () => {
  it('round-trips numbers, strings, records, variants, enums, flags, options, results, lists and tuples', async () => {
    const { runtime } = await startComponent(await jsComponentPath('types'));
    const call = async (fn: string, ...args: unknown[]) => (await runtime.call(fn, args)).value;
    expect(await call('greet', 'wasm')).toBe('Hello, wasm!');
    expect(await call('u64-echo', 2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
    expect(Number.isNaN(await call('float-echo', Number.NaN))).toBe(true);
    expect(await call('char-next', 'a')).toBe('b');
    expect(await call('reverse-bytes', Uint8Array.from([1, 2, 3]))).toEqual(Uint8Array.from([3, 2, 1]));
    expect(await call('sum', Float64Array.from([1.5, 2.5]))).toBe(4);
    expect(await call('split-words', 'a b  c')).toEqual(['a', 'b', 'c']);
    expect(await call('shapes.classify', -3)).toEqual({ tag: 'negative', val: 3 });
    expect(await call('shapes.classify', 0)).toEqual({ tag: 'zero' });
    expect(await call('shapes.next-color', 'blue')).toBe('red');
    expect(await call('shapes.toggle', { read: true })).toEqual({ read: false, write: true, execute: true });
    expect(await call('shapes.maybe-double', 21)).toBe(42);
    expect(await call('shapes.maybe-double', undefined)).toBeUndefined();
    expect(await call('shapes.nested', { tag: 'some', val: 1 })).toEqual({ tag: 'some', val: 2 });
    expect(await call('shapes.nested', { tag: 'some', val: undefined })).toEqual({
      tag: 'some',
      val: undefined,
    });
    expect(await call('shapes.rotate', [1, 'ab', false])).toEqual([2, 'AB', true]);
    expect(await call('shapes.echo-record', { x: 1, y: -2, label: 'p' })).toEqual({
      x: 1,
      y: -2,
      label: 'p',
    });
    expect(await call('wtools:fixtures/shapes@0.1.0#divide', -7n, 2n)).toBe(-3n);
    const err = await expectCode(runtime.call('shapes.divide', [1n, 0n]), 'GUEST_ERROR');
    expect(err.details?.value).toBe('division by zero');
    // An error result is a value, not a crash: the instance keeps its state.
    await runtime.call('bump', [5]);
    expect(await call('counter')).toBe(5);
  });

  it('turns arguments the glue cannot lower into an error naming the problem', async () => {
    const { runtime } = await startComponent(await jsComponentPath('types'));
    const err = await expectCode(runtime.call('shapes.next-color', ['purple']), 'INVALID_ARGUMENT');
    expect(err.message).toMatch(/purple/);
    expect((await runtime.call('greet', ['again'])).value).toBe('Hello, again!');
  });
});

describe('the WASI JS fixture', () => {
  it('reads and writes granted files and sees granted variables', async () => {
    const dir = await tempDir();
    await writeFile(`${dir}/in.txt`, 'hello js');
    const { runtime } = await startComponent(await jsComponentPath('wasi'), {
      grants: grants(`fs:${dir}:rw`, 'env:GREETING'),
      env: { GREETING: 'hi', SECRET: 'no' },
    });
    expect((await runtime.call('read-file', [`${dir}/in.txt`])).value).toBe('hello js');
    await runtime.call('write-file', [`${dir}/out.txt`, 'from js']);
    expect((await runtime.call('read-file', [`${dir}/out.txt`])).value).toBe('from js');
    expect((await runtime.call('get-env', ['GREETING'])).value).toBe('hi');
    expect((await runtime.call('get-env', ['SECRET'])).value).toBeUndefined();
    expect((await runtime.call('env-keys', [])).value).toEqual(['GREETING']);
  });

  it('gets WASI errors without grants, and keeps answering', async () => {
    const dir = await tempDir();
    await writeFile(`${dir}/in.txt`, 'hello js');
    const { runtime } = await startComponent(await jsComponentPath('wasi'), { env: { GREETING: 'hi' } });
    const read = await expectCode(runtime.call('read-file', [`${dir}/in.txt`]), 'GUEST_ERROR');
    expect(String(read.details?.value)).toMatch(/no preopened directory/);
    expect((await runtime.call('env-keys', [])).value).toEqual([]);
    const fetched = await expectCode(runtime.call('fetch-text', ['https://example.invalid/']), 'GUEST_ERROR');
    expect(String(fetched.details?.value)).toMatch(/error|denied/i);
    const logged = await runtime.call('log', ['still here']);
    expect(new TextDecoder().decode(logged.stdout)).toBe('still here\n');
  });
});
