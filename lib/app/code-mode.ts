/**
 * Code mode as `wtools serve` offers it: the run-code tool over the served components, each run's
 * tool calls written to the audit log, and `wtools codemode-types` (the declarations a model reads).
 */
import { readComponentWorld } from '../component/index.js';
import { WtoolsError, createLogger, describeError } from '../core/index.js';
import { parseDurationMs, parseSizeBytes } from '../grants/index.js';
import {
  CodeModeTools,
  DEFAULT_SANDBOX_LIMITS,
  type SandboxLimits,
  type ScriptableTools,
  type ToolProvider,
  codeModeApi,
  describeTools,
} from '../mcp/index.js';
import { appendAudit } from '../store/index.js';
import { loadComponentSource } from './call.js';
import type { WtoolsContext } from './context.js';
import type { PullOptions } from './pull.js';

/** What `--code-limit` accepts, with the unit of each value. */
export const CODE_LIMIT_SYNTAX =
  'cpu=DURATION · wall=DURATION · memory=SIZE (16MiB to 1GiB) · stack=SIZE · calls=N · in-flight=N · logs=SIZE · result=N (characters)';

/** `cpu=2s`, `memory=32MiB`, `calls=50` … → limits for the sandbox. */
export function parseCodeLimit(text: string): Partial<SandboxLimits> {
  const match = /^([a-z-]+)=(.+)$/.exec(text.trim());
  const fail = (why: string) =>
    new WtoolsError(
      'INVALID_ARGUMENT',
      `invalid code-mode limit "${text}": ${why}; expected ${CODE_LIMIT_SYNTAX}`,
    );
  if (!match) throw fail('not KEY=VALUE');
  const [, key, value] = match as unknown as [string, string, string];
  const count = () => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw fail('expected a whole number above 0');
    return Number(value);
  };
  switch (key) {
    case 'cpu':
      return { cpuMs: parseDurationMs(value) };
    case 'wall':
      return { wallMs: parseDurationMs(value) };
    case 'memory': {
      const mib = Math.floor(parseSizeBytes(value) / (1024 * 1024));
      if (mib < 16 || mib > 1024) throw fail('the engine needs 16MiB at least, and 1GiB is the most');
      return { memoryMiB: mib };
    }
    case 'stack':
      return { stackKiB: Math.max(64, Math.floor(parseSizeBytes(value) / 1024)) };
    case 'calls':
      return { calls: count() };
    case 'in-flight':
      return { inFlight: count() };
    case 'logs':
      return { logChars: parseSizeBytes(value) };
    case 'result':
      return { resultChars: count() };
    default:
      throw fail(`unknown limit "${key}"`);
  }
}

export function codeLimitsFrom(texts: readonly string[]): SandboxLimits {
  return Object.assign({ ...DEFAULT_SANDBOX_LIMITS }, ...texts.map(parseCodeLimit)) as SandboxLimits;
}

/** run-code over `provider`, scripting the tools of `components`; each run is audited. */
export function withCodeMode(
  context: WtoolsContext,
  provider: ToolProvider,
  components: ScriptableTools,
  limits: SandboxLimits,
): CodeModeTools {
  const codeMode = new CodeModeTools(provider, components, {
    limits,
    onRun: async (record) => {
      try {
        await appendAudit(context.paths, {
          event: 'code-mode-run',
          subject: 'run-code',
          detail: { ...record },
        });
      } catch (err) {
        // The audit log is evidence, not a gate: a full disk must not fail the agent's run.
        createLogger('code-mode').warn(`could not audit a run-code call: ${describeError(err)}`);
      }
    },
  });
  codeMode.warm();
  return codeMode;
}

/** The TypeScript declarations run-code would show for these components, without running them. */
export async function codeModeTypes(
  context: WtoolsContext,
  inputs: readonly string[],
  pullOptions: PullOptions = {},
): Promise<string> {
  const sources = await Promise.all(inputs.map((input) => loadComponentSource(context, input, pullOptions)));
  const { tools } = describeTools(
    sources.map((source) => ({
      name: source.name,
      digest: source.digest,
      origin: source.origin,
      world: readComponentWorld(source.bytes),
      grants: [],
    })),
  );
  return codeModeApi(tools.map((t) => t.def)).declarations;
}
