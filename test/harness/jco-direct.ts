/**
 * Running a fixture through jco and its own WASI shim, without wtools' runtime: integration tests
 * use it to show a fixture is a well-formed component that works on the reference host.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { transpile } from '@bytecodealliance/jco';

/** preview2-shim is jco's dependency, not ours: resolve it from jco's own folder. */
export function wasiShimFile(): string {
  const fromJco = createRequire(createRequire(import.meta.url).resolve('@bytecodealliance/jco'));
  return fromJco.resolve('@bytecodealliance/preview2-shim/instantiation');
}

/**
 * Transpiles a component into `out` as an ES module package. The output has no package.json of its
 * own and would otherwise be read as CommonJS.
 */
export async function transpileTo(
  wasm: string,
  out: string,
  name: string,
  instantiation?: 'async',
): Promise<{ exports: [string, string][]; entry: string }> {
  const { files, exports } = await transpile(new Uint8Array(await readFile(wasm)), {
    name,
    importBindings: 'hybrid',
    noTypescript: true,
    ...(instantiation ? { instantiation } : {}),
  });
  for (const [file, bytes] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(out, file)), { recursive: true });
    await writeFile(path.join(out, file), bytes);
  }
  await writeFile(path.join(out, 'package.json'), '{"type":"module"}');
  return { exports, entry: path.join(out, `${name}.js`) };
}

/** jco's error for a result's err case carries the payload. */
export function errPayload(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return (err as { payload?: unknown }).payload;
  }
  throw new Error('expected the call to return err');
}
