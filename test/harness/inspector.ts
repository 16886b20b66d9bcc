/**
 * @modelcontextprotocol/inspector-cli as a third-party MCP client. It reads ../package.json relative
 * to its cwd and crashes without one, so it runs in a temp dir that has one above it.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './unit.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INSPECTOR_CLI = path.join(ROOT, 'node_modules/@modelcontextprotocol/inspector-cli/build/cli.js');

export interface InspectorRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A function running the inspector against a stdio server started as `server` (argv), with one
 * `--method …` request. The target comes first and the method options last: the inspector's wrapper
 * re-spawns its CLI without a `--`, and a variadic option such as --tool-arg would swallow a target
 * that followed it.
 */
export async function inspectorFor(
  server: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<(...method: string[]) => Promise<InspectorRun>> {
  const dir = await tempDir('wtools-inspector-');
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'inspector-scratch', version: '0.0.0' }),
  );
  const cwd = path.join(dir, 'cwd');
  await mkdir(cwd);
  return (...method) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [INSPECTOR_CLI, '--cli', ...server, ...method], { cwd, env });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('error', reject);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
}
