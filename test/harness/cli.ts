/**
 * Runs the built CLI (dist/bundle/bin.js) as a child process, the way users and scripts do. Tests need
 * `npm run build` first (`make test` does it); the helper says so instead of running stale code.
 *
 * The child never sees the developer's environment: only PATH, NO_COLOR=1 and what the caller passes,
 * which must include WTOOLS_HOME and HOME (use `sandbox()` for a fresh pair of temp dirs).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

export const CLI_PATH = fileURLToPath(new URL('../../dist/bundle/bin.js', import.meta.url));

export interface CliResult {
  /** Exit code; -1 when the process was killed by a signal (e.g. the timeout). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Must include WTOOLS_HOME and HOME; merged over { PATH, NO_COLOR: '1' }. */
  env: Record<string, string | undefined>;
  /** Written to stdin, which is then closed (stdin is always closed, so nothing waits on a prompt). */
  input?: string | Buffer;
  cwd?: string;
  timeoutMs?: number;
}

export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  if (!existsSync(CLI_PATH)) {
    throw new Error(`${CLI_PATH} does not exist: run \`npm run build\` before the e2e tests`);
  }
  if (!options.env.WTOOLS_HOME || !options.env.HOME) {
    throw new Error('runCli needs WTOOLS_HOME and HOME in env, so that no test touches real state');
  }
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1' };
  for (const [key, value] of Object.entries(options.env)) if (value !== undefined) env[key] = value;
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [CLI_PATH, ...args],
      {
        env,
        cwd: options.cwd ?? (options.env.HOME as string),
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        // A non-zero exit is a result, not an error; only a failure to run at all rejects.
        if (error && child.exitCode === null && child.signalCode === null) reject(error);
        else resolve({ code: child.exitCode ?? -1, stdout, stderr });
      },
    );
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

/** stdout of a `--json` run, parsed; fails with the whole output when it is not JSON. */
export function jsonOf<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `expected JSON on stdout (exit ${result.code})\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
    );
  }
}

/** Exit code plus output, for assertion messages. */
export function describeRun(result: CliResult): string {
  return `exit ${result.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

export interface Sandbox {
  /** The temp dir holding everything below; removed when the test finishes. */
  root: string;
  /** WTOOLS_HOME */
  wtoolsHome: string;
  /** HOME (empty: no ~/.docker/config.json unless a test writes one) */
  home: string;
  /** { WTOOLS_HOME, HOME } for runCli; spread and extend for more variables. */
  env: Record<string, string>;
  /** A path inside root. */
  path(...parts: string[]): string;
  /** runCli with this sandbox's env (plus `extraEnv`). */
  run(
    args: readonly string[],
    options?: Omit<CliOptions, 'env'> & { extraEnv?: Record<string, string> },
  ): Promise<CliResult>;
  /** The store's OCI layout directory inside WTOOLS_HOME. */
  storeDir: string;
}

/**
 * A fresh WTOOLS_HOME and HOME in a temp dir, removed after the current test (so call it inside a
 * test, or in beforeAll with `keep: true` and remove `root` yourself).
 */
/**
 * The trust policy a sandbox starts with: unsigned content from the test registries on loopback
 * and from OCI layouts is accepted, so tests about transport and storage need no signing. Tests
 * about trust pass `trustPolicy: false` and get the shipped deny-by-default policy only.
 */
export const LOOPBACK_UNSIGNED_POLICY = `version: 1
rules:
  - name: test registries on loopback
    match: ["127.0.0.1:*/**", "localhost:*/**", "oci:**"]
    unsigned: allow
`;

export async function sandbox(
  options: { keep?: boolean; trustPolicy?: string | false } = {},
): Promise<Sandbox> {
  const root = await mkdtemp(path.join(tmpdir(), 'wtools-test-'));
  const wtoolsHome = path.join(root, 'wtools-home');
  const home = path.join(root, 'home');
  await mkdir(home, { recursive: true });
  const policy = options.trustPolicy ?? LOOPBACK_UNSIGNED_POLICY;
  if (policy !== false) {
    await mkdir(path.join(wtoolsHome, 'config'), { recursive: true, mode: 0o700 });
    await writeFile(path.join(wtoolsHome, 'config', 'trust-policy.yaml'), policy);
  }
  const env = { WTOOLS_HOME: wtoolsHome, HOME: home };
  if (!options.keep) onTestFinished(() => rm(root, { recursive: true, force: true }));
  return {
    root,
    wtoolsHome,
    home,
    env,
    storeDir: path.join(wtoolsHome, 'data', 'store'),
    path: (...parts) => path.join(root, ...parts),
    run: (args, { extraEnv, ...rest } = {}) => runCli(args, { ...rest, env: { ...env, ...extraEnv } }),
  };
}

/** A repository name no other test (or earlier run against the same registry) uses. */
export function uniqueRepo(prefix: string): string {
  return `wtools-test/${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
