/**
 * The runtime with real worker threads and real jco output: instance lifetimes, cancellation,
 * pools, the transpile cache, import refusal, and the C fixture doing its job with grants and
 * getting WASI errors without them.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../lib/core/index.js';
import { transpileCached } from '../../lib/component/index.js';
import { capMemory } from '../../lib/runtime/index.js';
import { cComponentPath } from '../harness/c-fixtures.js';
import { fixturePath, fixtureWasm } from '../harness/fixtures.js';
import { grants, startComponent } from '../harness/runtime.js';
import { expectCode, tempDir } from '../harness/unit.js';

describe('the C fixture through the runtime', () => {
  it('reads, writes and lists files only where granted, with the access granted', async () => {
    const dir = await tempDir();
    await writeFile(`${dir}/in.txt`, 'from the host');
    const basic = await cComponentPath('c/basic');
    const { runtime } = await startComponent(basic, { grants: grants(`fs:${dir}:rw`) });
    expect((await runtime.call('read-file', [`${dir}/in.txt`])).value).toBe('from the host');
    await runtime.call('write-file', [`${dir}/out.txt`, 'from the guest']);
    expect(await readFile(`${dir}/out.txt`, 'utf8')).toBe('from the guest');
    expect(((await runtime.call('list-dir', [dir])).value as string[]).sort()).toEqual(['in.txt', 'out.txt']);

    const { runtime: bare } = await startComponent(basic);
    const err = await expectCode(bare.call('read-file', [`${dir}/in.txt`]), 'GUEST_ERROR');
    expect(err.details?.value).toBe('Capabilities insufficient');
  });

  it('sees granted environment keys only, and prints to captured streams', async () => {
    const basic = await cComponentPath('c/basic');
    const { runtime } = await startComponent(basic, { env: { A: '1', B: '2' }, grants: grants('env:A') });
    expect((await runtime.call('get-env', ['A'])).value).toBe('1');
    expect((await runtime.call('get-env', ['B'])).value).toBeUndefined();
    const printed = await runtime.call('print', ['hello']);
    expect(new TextDecoder().decode(printed.stdout)).toBe('hello');
    expect(new TextDecoder().decode(printed.stderr)).toBe('err:hello');
    // Captures are per call: the next call starts empty.
    expect((await runtime.call('add', [1, 1])).stdout.length).toBe(0);
  });

  it('names an unknown export and lists the real ones', async () => {
    const { runtime } = await startComponent(await cComponentPath('c/basic'));
    const err = await expectCode(runtime.call('nope', []), 'NO_SUCH_EXPORT');
    expect(err.message).toMatch(/no export named "nope"; the component exports .*add.*greet/);
  });
});

describe('instance lifetimes', () => {
  it('shared keeps one instance across calls; a trap replaces it', async () => {
    const { runtime } = await startComponent(await fixturePath('counter'));
    expect((await runtime.call('next', [])).value).toBe(1);
    expect((await runtime.call('next', [])).value).toBe(2);
    await expectCode(runtime.call('crash', []), 'GUEST_TRAP');
    expect((await runtime.call('next', [])).value).toBe(1);
  });

  it('per-call starts every call from a fresh instance', async () => {
    const { runtime } = await startComponent(await fixturePath('counter'), { lifetime: 'per-call' });
    expect((await runtime.call('next', [])).value).toBe(1);
    expect((await runtime.call('next', [])).value).toBe(1);
  });

  it('per-session gives each session its own instance, dropped when the session ends', async () => {
    const { runtime } = await startComponent(await fixturePath('counter'), { lifetime: 'per-session' });
    const next = async (sessionId: string) => (await runtime.call('next', [], { sessionId })).value;
    expect(await next('a')).toBe(1);
    expect(await next('a')).toBe(2);
    expect(await next('b')).toBe(1);
    await runtime.endSession('a');
    expect(await next('a')).toBe(1);
    expect(await next('b')).toBe(2);
    // Calls of one session queue behind each other, in order.
    expect(await Promise.all([next('c'), next('c'), next('c')])).toEqual([1, 2, 3]);
  });

  it('a timeout in one session leaves the other sessions and the pool alone', async () => {
    const { runtime } = await startComponent(await fixturePath('counter'), { lifetime: 'per-session' });
    expect((await runtime.call('next', [], { sessionId: 'calm' })).value).toBe(1);
    await expectCode(runtime.call('spin', [], { sessionId: 'stuck', timeoutMs: 200 }), 'CALL_TIMEOUT');
    expect((await runtime.call('next', [], { sessionId: 'calm' })).value).toBe(2);
    expect((await runtime.call('next', [], { sessionId: 'stuck' })).value).toBe(1);
  });
});

describe('isolation', () => {
  it('an AbortSignal ends a running call; the runtime answers the next one', async () => {
    const { runtime } = await startComponent(await cComponentPath('attacks/infinite-loop'));
    const controller = new AbortController();
    const call = runtime.call('run', [''], { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expectCode(call, 'CALL_CANCELLED');
    await expectCode(runtime.call('run', [''], { signal: AbortSignal.abort() }), 'CALL_CANCELLED');
    await expectCode(runtime.call('run', [''], { timeoutMs: 200 }), 'CALL_TIMEOUT');
  });

  it('a pool shares calls among its workers, each with its own instance', async () => {
    const { runtime } = await startComponent(await fixturePath('counter'), { poolSize: 2 });
    const values = await Promise.all(Array.from({ length: 10 }, () => runtime.call('next', [])));
    // Two instances shared the ten calls between them.
    const counts = values.map((r) => r.value as number);
    expect(Math.max(...counts)).toBeLessThan(10);
    expect(counts.length).toBe(10);
  });

  it('refuses a component importing what the runtime does not provide, listing the imports', async () => {
    const err = await expectCode(startComponent(await fixturePath('foreign-import')), 'IMPORTS_REFUSED');
    expect(err.message).toContain('acme:secret/door, wasi:cli/exit@0.3.0');
    expect(err.message).not.toContain('wall-clock');
  });
});

describe('transpile cache', () => {
  it('transpiles once per digest and reuses the result', async () => {
    const cache = await tempDir();
    const bytes = await fixtureWasm('counter');
    const first = await transpileCached(bytes, sha256(bytes), cache, 'counter');
    const second = await transpileCached(bytes, sha256(bytes), cache, 'counter');
    expect([first.cached, second.cached]).toEqual([false, true]);
    expect(second.entry).toBe(first.entry);
    const glue = await readFile(first.entry, 'utf8');
    // jco's per-step debug logger is patched out of the cached glue.
    expect(glue).toContain('_debugLog=()=>{}');
    expect(glue).not.toContain('JCO_DEBUG');
  });

  it('names the component and jco’s message when transpiling fails', async () => {
    const cache = await tempDir();
    const bytes = new Uint8Array(await fixtureWasm('counter'));
    // Break the core module's code inside an otherwise well-framed component.
    const at = Buffer.from(bytes).indexOf(Buffer.from([0x23, 0x00, 0x41, 0x01, 0x6a])); // global.get 0; i32.const 1; i32.add
    expect(at).toBeGreaterThan(0);
    bytes[at + 4] = 0xff;
    const err = await expectCode(
      transpileCached(bytes, sha256(bytes), cache, 'broken-counter'),
      'TRANSPILE_FAILED',
    );
    expect(err.message).toMatch(/^jco could not transpile broken-counter: /);
  });

  it('caps memory in the module itself and refuses a module that starts above the cap', () => {
    // (module (memory 4 100))
    const module = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 4, 1, 1, 4, 100]);
    const capped = capMemory(module, 2 * 65536 * 4, 'm');
    expect([...capped.subarray(8)]).toEqual([5, 4, 1, 1, 4, 8]);
    expect(() => capMemory(module, 65536, 'm')).toThrow(/starts at 0.25 MiB, above the memory limit/);
  });
});
