import type { Argv } from 'yargs';
import {
  type DenialEvent,
  INSTANCE_LIFETIMES,
  type InstanceLifetime,
  CODE_LIMIT_SYNTAX,
  ServeTools,
  type StarterSet,
  codeLimitsFrom,
  withCodeMode,
  WtoolsError,
  closeTools,
  formatCapability,
  PermissionCenter,
  loadTools,
  parseDurationMs,
  serveToolsOverHttp,
  serveToolsOverStdio,
  type WtoolsContext,
  getProfile,
  profileInputs,
  starterSet,
} from '../../lib/index.js';
import { type GlobalFlags, contextFor } from '../common.js';
import { openTerminal, terminalApprover, terminalLoadPrompts } from '../prompts.js';
import { MCP_CLIENTS, SNIPPET_PLACE, httpSnippet, snippetText } from '../snippets.js';
import { GRANT_HELP, type LimitFlags, limitsFrom, splitComponentGrants } from './grants-flags.js';
import { type TrustFlags, trustOptions, trustOptionsFrom } from './verify.js';

interface ServeArgs extends GlobalFlags, TrustFlags, LimitFlags {
  components: string[];
  http?: string;
  stdio?: boolean;
  grant: string[];
  tools: string[];
  instance?: InstanceLifetime;
  demo: boolean;
  profile?: string;
  pool: number;
  auth: boolean;
  stateless: boolean;
  builtinTools: boolean;
  codeMode: boolean;
  codeLimit: string[];
  prompt: boolean;
  promptTimeout: string;
}

function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:(\[[0-9a-fA-F:]+\]|[^:]+):)?(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port > 65535) {
    throw new WtoolsError('USAGE', `--http takes HOST:PORT or PORT (e.g. 127.0.0.1:8800), found "${text}"`);
  }
  return { host: (match[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1'), port };
}

/** The starter set, trusted by its build key only; `--demo` serves nothing else. */
async function demoSet(argv: ServeArgs): Promise<StarterSet> {
  if (argv.components.length > 0) {
    throw new WtoolsError('USAGE', '--demo serves the starter components: give no other components with it');
  }
  return starterSet();
}

/** A profile's components, each with its grants and tool filters. */
async function profileSet(
  context: WtoolsContext,
  argv: ServeArgs,
): Promise<ReturnType<typeof profileInputs>> {
  if (argv.components.length > 0 || argv.demo) {
    throw new WtoolsError(
      'USAGE',
      "--profile serves the profile's components: give no other components or --demo",
    );
  }
  return profileInputs(await getProfile(context, argv.profile!));
}

/** How to connect each MCP client to this server, for the terminal that started it. */
function clientSnippets(url: string, token: string | null): string {
  const blocks = MCP_CLIENTS.map(
    (client) =>
      `# ${client} (${SNIPPET_PLACE[client]})\n${snippetText(httpSnippet(client, 'wtools', url, token))}`,
  );
  return `\nConnect an MCP client:\n\n${blocks.join('\n\n')}\n\nCtrl-C stops the server.\n`;
}

export const serveCommand = {
  command: 'serve [components..]',
  describe: 'Offer the exports of components as MCP tools, over stdio (default) or Streamable HTTP',
  builder: (yargs: Argv<GlobalFlags>) =>
    trustOptions(
      yargs
        .positional('components', {
          type: 'string',
          array: true,
          default: [],
          describe: '.wasm files, or references pulled through the trust policy',
        })
        .option('stdio', { type: 'boolean', describe: 'serve over stdin/stdout (the default)' })
        .option('profile', {
          type: 'string',
          describe: 'serve a profile (wtools profile): its components, tool filters and grants',
        })
        .option('demo', {
          type: 'boolean',
          default: false,
          describe:
            'serve the starter components that ship with wtools (signed at build time), over HTTP on 127.0.0.1 unless --stdio',
        })
        .option('http', {
          type: 'string',
          describe: 'serve Streamable HTTP at HOST:PORT (loopback; port 0 picks one)',
        })
        .option('grant', {
          type: 'string',
          array: true,
          default: [],
          describe: `${GRANT_HELP}; NAME=CAP for one component`,
        })
        .option('tools', {
          type: 'string',
          array: true,
          default: [],
          describe: 'only tools matching these globs (!glob excludes)',
        })
        .option('instance', {
          choices: INSTANCE_LIFETIMES,
          describe:
            'instance lifetime: one for all calls, one per MCP session, or a fresh one per call (default: what the component asks for, else shared)',
        })
        .option('pool', { type: 'number', default: 1, describe: 'worker threads per component' })
        .option('timeout', { type: 'string', describe: 'per-call time limit (default 30s)' })
        .option('memory', { type: 'string', describe: 'linear memory cap per instance (default 256MiB)' })
        .option('output-limit', { type: 'string', describe: 'largest result (default 16MiB)' })
        .option('auth', {
          type: 'boolean',
          default: true,
          describe: 'require the bearer token (--no-auth: loopback only)',
        })
        .option('builtin-tools', {
          type: 'boolean',
          default: true,
          describe:
            'offer load/unload/list/inspect/permission/search tools (--no-builtin-tools: only the components’)',
        })
        .option('code-mode', {
          type: 'boolean',
          default: true,
          describe:
            'offer run-code: a sandboxed script that calls the tools, when two or more are loaded (--no-code-mode: not)',
        })
        .option('code-limit', {
          type: 'string',
          array: true,
          default: [],
          describe: `a limit of run-code scripts: ${CODE_LIMIT_SYNTAX}`,
        })
        .option('stateless', { type: 'boolean', default: false, describe: 'HTTP without sessions' })
        .option('prompt', {
          type: 'boolean',
          default: true,
          describe:
            'ask at this terminal (/dev/tty) at load and when a component reaches for something ungranted (--no-prompt: never here)',
        })
        .option('prompt-timeout', {
          type: 'string',
          default: '60s',
          describe: 'an unanswered permission question is a denial after this long',
        })
        .conflicts('stdio', 'http'),
    )
      .example(
        '$0 serve ghcr.io/org/files:1.0 --grant fs:/data:ro',
        'for an MCP client that starts wtools itself',
      )
      .example(
        '$0 serve ./tool.wasm --http 127.0.0.1:8800',
        'Streamable HTTP; the token is printed on stderr',
      )
      .example('$0 serve --demo', 'the starter components over HTTP, with snippets for MCP clients'),
  handler: async (argv: ServeArgs): Promise<void> => {
    const context = contextFor(argv);
    const demo = argv.demo ? await demoSet(argv) : undefined;
    const profile = argv.profile ? await profileSet(context, argv) : undefined;
    const { all, byComponent } = splitComponentGrants(argv.grant);
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const say = (line: string): void => {
      if (!argv.quiet) process.stderr.write(`${line}\n`);
    };
    const terminal = argv.prompt ? openTerminal() : undefined;
    const permissions = new PermissionCenter(context, {
      ...(terminal ? { terminal: terminalApprover(terminal) } : {}),
      promptTimeoutMs: parseDurationMs(argv.promptTimeout),
    });
    const serveOptions = {
      inputs: demo?.inputs ?? profile?.inputs ?? argv.components,
      ...(profile ? { perInput: profile.perInput } : {}),
      permissions,
      ...(terminal ? { loadPrompts: terminalLoadPrompts(terminal) } : {}),
      grants: all,
      forComponent: byComponent,
      limits: limitsFrom(argv),
      ...(argv.instance ? { lifetime: argv.instance } : {}),
      poolSize: argv.pool,
      tools: argv.tools,
      pull: { trustOptions: demo?.trust ?? (await trustOptionsFrom(argv)) },
      onLoaded: (component: { name: string; origin: string }, count: number) =>
        say(`wtools: loaded ${component.name} (${component.origin}): ${count} tools`),
      onDenied: (event: DenialEvent) =>
        say(`wtools: denied ${event.component} ${formatCapability(event.capability)} (${event.reason})`),
    };
    // Checked before anything loads: a typo in a limit should not cost a pull.
    const codeLimits = argv.codeMode ? codeLimitsFrom(argv.codeLimit) : undefined;
    const components = await loadTools(context, serveOptions);
    const served = new ServeTools(context, components, { ...serveOptions, builtins: argv.builtinTools });
    const codeMode = codeLimits ? withCodeMode(context, served, components, codeLimits) : undefined;
    const provider = codeMode ?? served;
    try {
      const listen = argv.http ?? (demo && !argv.stdio ? '127.0.0.1:0' : undefined);
      if (listen) {
        const { host, port } = parseListen(listen);
        const handle = await serveToolsOverHttp(provider, {
          host,
          port,
          ...(argv.auth ? {} : { token: null }),
          stateless: argv.stateless,
          signal: abort.signal,
        });
        // Printed even with --quiet: without the address and token no client can connect.
        process.stderr.write(`wtools: serving MCP at ${handle.url}\n`);
        if (handle.token) process.stderr.write(`wtools: bearer token ${handle.token}\n`);
        if (demo && !argv.quiet) process.stderr.write(clientSnippets(handle.url, handle.token ?? null));
        await new Promise<void>((resolve) =>
          abort.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        await handle.close();
      } else {
        await serveToolsOverStdio(provider, abort.signal);
      }
    } finally {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      await codeMode?.close();
      await closeTools(components);
      terminal?.close();
    }
  },
};
