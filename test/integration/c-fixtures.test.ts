/**
 * The C fixtures build into components, and the hand-written canonical ABI in components/c is right:
 * basic is transpiled with jco and called through the WASI preview2 shim directly, with no wtools
 * runtime in between, so a failure here points at the fixture and not at the runtime under test.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readComponentNames, wasmKind } from '../../lib/component/binary.js';
import { cComponentNames, cComponentPath } from '../harness/c-fixtures.js';
import { errPayload, transpileTo, wasiShimFile } from '../harness/jco-direct.js';

interface BasicExports {
  add(a: number, b: number): number;
  greet(name: string): string;
  readFile(path: string): string;
  writeFile(path: string, contents: string): void;
  listDir(path: string): string[];
  getEnv(key: string): string | undefined;
}

interface WasiShimModule {
  WASIShim: new (config: {
    sandbox: { preopens: Record<string, string>; env: Record<string, string>; args: string[] };
  }) => { getImportObject(): object };
}

interface Transpiled {
  instantiate(
    getCoreModule: (file: string) => Promise<WebAssembly.Module>,
    imports: object,
  ): Promise<BasicExports>;
}

async function loadWasiShim(): Promise<WasiShimModule> {
  return (await import(pathToFileURL(wasiShimFile()).href)) as WasiShimModule;
}

describe('C fixtures', () => {
  it('lists basic and every attack', () => {
    expect(cComponentNames()).toEqual(
      expect.arrayContaining([
        'c/basic',
        'attacks/read-passwd',
        'attacks/dotdot-escape',
        'attacks/symlink-escape',
        'attacks/write-readonly',
        'attacks/env-dump',
        'attacks/stdout-flood',
        'attacks/exit-one',
        'attacks/infinite-loop',
        'attacks/memory-grow',
        'attacks/recursion',
        'attacks/big-return',
      ]),
    );
  });

  it('builds every fixture into a component with the exports of its world', async () => {
    const names = cComponentNames();
    const paths = await Promise.all(names.map((name) => cComponentPath(name)));
    for (const [i, file] of paths.entries()) {
      const bytes = new Uint8Array(await readFile(file));
      expect(wasmKind(bytes), names[i]).toBe('component');
      const expected: Record<string, string[]> = {
        'c/basic': ['add', 'greet', 'read-file', 'write-file', 'list-dir', 'get-env', 'print'],
        'starter/memory': ['set', 'get', 'delete', 'keys', 'clear'],
      };
      const exports = expected[names[i]!] ?? ['run'];
      expect(readComponentNames(bytes).exports.sort(), names[i]).toEqual(exports.sort());
    }
    // A second ask is served from the cache: same path, no rebuild.
    expect(await cComponentPath('c/basic')).toBe(paths[names.indexOf('c/basic')]);
  });

  describe('basic, transpiled and run on the WASI shim', () => {
    let work: string;
    let basic: BasicExports;

    beforeAll(async () => {
      work = await mkdtemp(path.join(tmpdir(), 'wtools-c-basic-'));
      const out = path.join(work, 'js');
      await transpileTo(await cComponentPath('c/basic'), out, 'basic', 'async');
      const data = path.join(work, 'data');
      await mkdir(data);
      await writeFile(path.join(data, 'b.txt'), 'second\n');
      await writeFile(path.join(data, 'a.txt'), 'first line\nsecond line\n');
      const { WASIShim } = await loadWasiShim();
      const shim = new WASIShim({
        sandbox: { preopens: { '/data': data }, env: { GREETING: 'hi there' }, args: ['basic'] },
      });
      const mod = (await import(pathToFileURL(path.join(out, 'basic.js')).href)) as Transpiled;
      basic = await mod.instantiate(
        (file) => readFile(path.join(out, file)).then((bytes) => WebAssembly.compile(bytes)),
        shim.getImportObject(),
      );
    });

    afterAll(async () => {
      if (work) await rm(work, { recursive: true, force: true });
    });

    it('adds u32s with wrap-around', () => {
      expect(basic.add(2, 40)).toBe(42);
      expect(basic.add(0xffffffff, 2)).toBe(1);
    });

    it('greets, with empty, non-ASCII and long names, many times over', () => {
      expect(basic.greet('world')).toBe('hello, world');
      expect(basic.greet('')).toBe('hello, ');
      expect(basic.greet('ünï 😀')).toBe('hello, ünï 😀');
      const long = 'x'.repeat(100_000);
      for (let i = 0; i < 500; i++) expect(basic.greet(long).length).toBe(long.length + 7);
    });

    it('reads, writes and lists files in the preopened folder', () => {
      expect(basic.readFile('/data/a.txt')).toBe('first line\nsecond line\n');
      expect(errPayload(() => basic.readFile('/data/missing.txt'))).toBe('No such file or directory');
      expect(errPayload(() => basic.readFile('/etc/passwd'))).toBe('Capabilities insufficient');
      basic.writeFile('/data/c.txt', 'written by the guest');
      expect(basic.readFile('/data/c.txt')).toBe('written by the guest');
      expect(basic.listDir('/data')).toEqual(['a.txt', 'b.txt', 'c.txt']);
      expect(errPayload(() => basic.listDir('/data/missing'))).toBe('No such file or directory');
    });

    it('sees only the environment it was given', () => {
      expect(basic.getEnv('GREETING')).toBe('hi there');
      expect(basic.getEnv('PATH')).toBeUndefined();
    });
  });
});
