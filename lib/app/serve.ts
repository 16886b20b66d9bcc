/**
 * `wtools serve`: load components (pulled through the trust policy, or from files), start each in
 * its sandbox with the grants given, and offer their exports as MCP tools over stdio or Streamable
 * HTTP until the signal aborts.
 */
import type { Grant, Limits } from '../grants/index.js';
// The MCP SDK and the schema validator are loaded only when serving: every other command would
// pay ~150 ms of start-up for them.
import type { ComponentTools, HttpServerHandle, ToolComponent, ToolProvider } from '../mcp/index.js';
import { type DenialEvent, type InstanceLifetime, keepSpareWorker } from '../runtime/index.js';
import { loadComponentSource, startComponent } from './call.js';
import { type InspectResult, inspectSource } from './inspect.js';
import type { StoredTrust } from './trust-record.js';
import type { WtoolsContext } from './context.js';
import type { PullOptions } from './pull.js';
import { packageVersion } from '../core/index.js';

export interface ServeOptions {
  inputs: readonly string[];
  /** Grants for every component; `forComponent` adds per-component ones by component name. */
  grants: readonly Grant[];
  forComponent?: ReadonlyMap<string, readonly Grant[]>;
  limits?: Partial<Limits>;
  lifetime?: InstanceLifetime;
  poolSize?: number;
  /** `--tools` globs, for every component. */
  tools?: readonly string[];
  pull?: PullOptions;
  onDenied?(event: DenialEvent): void;
  /** Reports each component once it is loaded (for the terminal). */
  onLoaded?(component: ToolComponent, toolCount: number): void;
}

/** A served component: its runtime, and what `inspect` says of it, computed once at load. */
export interface ServedComponent extends ToolComponent {
  trust?: StoredTrust;
  inspection: InspectResult;
}

/** Loads one input through the trust policy and starts it with its grants. */
export async function startToolComponent(
  context: WtoolsContext,
  input: string,
  options: ServeOptions,
): Promise<ServedComponent> {
  const source = await loadComponentSource(context, input, options.pull);
  const inspection = inspectSource(source);
  const grants = [...options.grants, ...(options.forComponent?.get(source.name) ?? [])];
  const runtime = await startComponent(context, source, {
    grants,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.lifetime ? { lifetime: options.lifetime } : {}),
    ...(options.poolSize ? { poolSize: options.poolSize } : {}),
    ...(options.onDenied ? { onDenied: options.onDenied } : {}),
  });
  return {
    name: source.name,
    digest: source.digest,
    origin: source.origin,
    world: inspection.world,
    grants,
    runtime,
    inspection,
    ...(source.trust ? { trust: source.trust } : {}),
    ...(options.tools ? { filter: options.tools } : {}),
  };
}

/** Loads every input; on any failure, what was started is closed and the error stands. */
export async function loadTools(
  context: WtoolsContext,
  options: ServeOptions,
): Promise<ComponentTools<ServedComponent>> {
  keepSpareWorker(true);
  const { ComponentTools } = await import('../mcp/component-tools.js');
  const provider = new ComponentTools<ServedComponent>();
  try {
    for (const input of options.inputs) {
      const component = await startToolComponent(context, input, options);
      provider.add(component);
      options.onLoaded?.(
        component,
        provider.listTools().filter((t) => t.name.startsWith(`${component.name}.`)).length,
      );
    }
  } catch (err) {
    await closeTools(provider);
    throw err;
  }
  return provider;
}

export async function closeTools(provider: ComponentTools<ServedComponent>): Promise<void> {
  await Promise.all(provider.components().map((c) => c.runtime.close()));
  keepSpareWorker(false);
}

const SERVER_INFO = { name: 'wtools', version: packageVersion() };

export async function serveToolsOverStdio(provider: ToolProvider, signal: AbortSignal): Promise<void> {
  const { serveStdio } = await import('../mcp/stdio.js');
  await serveStdio(provider, SERVER_INFO, { signal });
}

export interface HttpServeOptions {
  host: string;
  port: number;
  /** undefined: generate one; null: no authentication (loopback only). */
  token?: string | null;
  stateless?: boolean;
  signal?: AbortSignal;
}

export async function serveToolsOverHttp(
  provider: ToolProvider,
  options: HttpServeOptions,
): Promise<HttpServerHandle> {
  const { serveHttp } = await import('../mcp/http.js');
  return serveHttp(provider, SERVER_INFO, {
    host: options.host,
    port: options.port,
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.stateless ? { stateless: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
