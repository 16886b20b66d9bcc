import { describe, expect, it } from 'vitest';
import { extractWasmFromTar, readTar } from '../../../lib/oci/index.js';
import { expectCode, gzip, text, ustar } from '../../harness/unit.js';

describe('readTar', () => {
  it('lists regular files of a plain and a gzipped archive', () => {
    const archive = ustar([
      { name: 'etc/hello.txt', data: 'hello' },
      { name: 'plugin.wasm', data: new Uint8Array(700).fill(7) },
    ]);
    for (const [bytes, gzipped] of [
      [archive, false],
      [gzip(archive), true],
    ] as const) {
      const files = readTar(bytes, gzipped, 'layer');
      expect(files.map((f) => [f.name, f.bytes.byteLength])).toEqual([
        ['etc/hello.txt', 5],
        ['plugin.wasm', 700],
      ]);
      expect(files[1]?.bytes.every((b) => b === 7)).toBe(true);
    }
  });

  it('refuses an entry that runs past the end of the archive', async () => {
    const archive = ustar([{ name: 'a.wasm', data: new Uint8Array(1000) }]).subarray(0, 1024);
    const err = await expectCode(() => readTar(archive, false, 'layer L'), 'NOT_A_COMPONENT');
    expect(err.message).toContain('layer L');
    expect(err.message).toContain('runs past the end');
  });

  it('refuses a header whose size is not octal', async () => {
    const archive = ustar([{ name: 'a.wasm', data: 'x' }]);
    archive.set(text('9z9\0'), 124);
    await expectCode(() => readTar(archive, false, 'layer'), 'NOT_A_COMPONENT');
  });
});

describe('extractWasmFromTar', () => {
  it('returns the one .wasm file', () => {
    const archive = ustar([
      { name: 'README', data: 'docs' },
      { name: 'bin/tool.wasm', data: 'wasm bytes' },
    ]);
    const file = extractWasmFromTar(gzip(archive), true, 'layer');
    expect(file.name).toBe('bin/tool.wasm');
    expect(Buffer.from(file.bytes).toString()).toBe('wasm bytes');
  });

  it('refuses a layer without a .wasm file', async () => {
    const err = await expectCode(
      () => extractWasmFromTar(ustar([{ name: 'README', data: 'x' }]), false, 'img'),
      'NO_WASM_LAYER',
    );
    expect(err.message).toContain('holds no .wasm file');
  });

  it('refuses a layer with two .wasm files, naming both', async () => {
    const archive = ustar([
      { name: 'a.wasm', data: 'a' },
      { name: 'b.wasm', data: 'b' },
    ]);
    const err = await expectCode(() => extractWasmFromTar(archive, false, 'img'), 'NO_WASM_LAYER');
    expect(err.message).toContain('2 .wasm files (a.wasm, b.wasm)');
  });
});

describe('gzip layers', () => {
  it('reports data that is not gzip as NOT_A_COMPONENT, not a raw zlib error', async () => {
    const err = await expectCode(
      () => readTar(text('plain text, not gzip'), true, 'layer L'),
      'NOT_A_COMPONENT',
    );
    expect(err.message).toMatch(/^layer L: expected a gzip tar of at most \d+ bytes unpacked/);
    expect(err.message).toContain('Z_DATA_ERROR');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('reports a gzip stream cut short as NOT_A_COMPONENT', async () => {
    const whole = gzip(ustar([{ name: 'a.wasm', data: new Uint8Array(4096).fill(3) }]));
    const err = await expectCode(
      () => extractWasmFromTar(whole.subarray(0, whole.byteLength - 12), true, 'image layer'),
      'NOT_A_COMPONENT',
    );
    expect(err.message).toContain('image layer: expected a gzip tar');
  });
});
