import type { Argv } from 'yargs';
import {
  type Grant,
  type Limits,
  parseCapability,
  parseDurationMs,
  parseMemoryMiB,
  parseSizeBytes,
} from '../../lib/index.js';

export interface LimitFlags {
  timeout?: string;
  memory?: string;
  outputLimit?: string;
}

export function grantsFrom(texts: readonly string[]): Grant[] {
  return texts.map((text) => ({ capability: parseCapability(text), effect: 'allow' }));
}

/** `--grant NAME=CAP` targets one component of `serve`; a plain `--grant CAP` applies to all. */
export function splitComponentGrants(texts: readonly string[]): {
  all: Grant[];
  byComponent: Map<string, Grant[]>;
} {
  const all: Grant[] = [];
  const byComponent = new Map<string, Grant[]>();
  for (const text of texts) {
    const match = /^([a-z0-9][a-z0-9_-]*)=(.+)$/.exec(text);
    if (!match) {
      all.push(...grantsFrom([text]));
      continue;
    }
    const list = byComponent.get(match[1]!) ?? [];
    list.push(...grantsFrom([match[2]!]));
    byComponent.set(match[1]!, list);
  }
  return { all, byComponent };
}

export function limitsFrom(flags: LimitFlags): Partial<Limits> {
  return {
    ...(flags.timeout ? { timeoutMs: parseDurationMs(flags.timeout) } : {}),
    ...(flags.memory ? { memoryMiB: parseMemoryMiB(flags.memory) } : {}),
    ...(flags.outputLimit ? { outputBytes: parseSizeBytes(flags.outputLimit) } : {}),
  };
}

export const GRANT_HELP =
  'a capability: fs:/path[:ro|:rw], http:[scheme://]host[:port], env:KEY, tcp:host:port; repeatable';

/** The `<component>` positional of call and inspect: a file or a reference. */
export function componentPositional<T>(yargs: Argv<T>) {
  return yargs.positional('component', {
    type: 'string',
    demandOption: true,
    describe: 'a .wasm file, or a reference pulled through the trust policy',
  });
}
