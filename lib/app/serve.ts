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
import { type StartOptions, loadComponentSource, prepareComponent, startRuntime } from './call.js';
import { type InspectResult, inspectSource } from './inspect.js';
import type { StoredTrust } from './trust-record.js';
import { type ComponentWorld, type TranspiledComponent, functionUsesHandles } from '../component/index.js';
import type { WtoolsContext } from './context.js';
import { type LoadPrompts, askAtLoad } from './load-prompts.js';
import type { PullOptions } from './pull.js';
import type { ComponentPermissions, PermissionCenter } from './permissions.js';
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
  /** Grants and tool filters of one input (a profile's entries), besides those above. */
  perInput?: ReadonlyMap<string, { grants: readonly Grant[]; tools?: readonly string[] }>;
  pull?: PullOptions;
  onDenied?(event: DenialEvent): void;
  /** The grant store and the humans to ask; without it only the grants given here apply. */
  permissions?: PermissionCenter;
  /** Questions at load time, for a human at this terminal. */
  loadPrompts?: LoadPrompts;
  /** Reports each component once it is loaded (for the terminal). */
  onLoaded?(component: ToolComponent, toolCount: number): void;
}

/** A served component: its runtime, and what `inspect` says of it, computed once at load. */
export interface ServedComponent extends ToolComponent {
  trust?: StoredTrust;
  /** The checked, transpiled component: what a restart starts again. */
  transpiled: TranspiledComponent;
  permissions?: ComponentPermissions;
  inspection: InspectResult;
}

/**
 * How long a component's instances live: what `--instance` chose, else what its publisher asked
 * for (state kept per session, say), else shared. Resource handles name objects inside an instance,
 * so a component whose tools pass handles gets one instance per session unless per-call was chosen:
 * shared instances would mix sessions' objects, and per-call ones forget them (its handle tools are
 * then left out, with the reason).
 */
function lifetimeFor(
  world: ComponentWorld,
  chosen: InstanceLifetime | undefined,
  hint: InstanceLifetime | undefined,
): InstanceLifetime {
  const fns = [...world.functions, ...world.interfaces.flatMap((i) => i.functions)];
  const lifetime = chosen ?? hint ?? 'shared';
  if (lifetime === 'shared' && fns.some(functionUsesHandles)) return 'per-session';
  return lifetime;
}

/** The runtime settings of `serve` that every component of it starts with. */
function runtimeSettings(
  options: ServeOptions,
  lifetime: InstanceLifetime,
): Omit<StartOptions, 'grants' | 'permissions'> {
  return {
    ...(options.limits ? { limits: options.limits } : {}),
    lifetime,
    ...(options.poolSize ? { poolSize: options.poolSize } : {}),
    ...(options.onDenied ? { onDenied: options.onDenied } : {}),
  };
}

/** Loads one input through the trust policy and starts it with its grants. */
export async function startToolComponent(
  context: WtoolsContext,
  input: string,
  options: ServeOptions,
): Promise<ServedComponent> {
  const source = await loadComponentSource(context, input, options.pull);
  const inspection = inspectSource(source);
  // Refused imports end here, before anyone is asked anything about the component.
  const transpiled = await prepareComponent(context, source, inspection.world.imports);
  const own = options.perInput?.get(input);
  const given = [
    ...options.grants,
    ...(options.forComponent?.get(source.name) ?? []),
    ...(own?.grants ?? []),
  ];
  const filter = own?.tools ?? options.tools;
  let permissions = await options.permissions?.open(source, given);
  if (permissions && options.loadPrompts) {
    const center = options.permissions!;
    ({ permissions } = await askAtLoad(
      context,
      { source, inspection, permissions, given, center },
      options.loadPrompts,
    ));
  }
  const lifetime = lifetimeFor(inspection.world, options.lifetime, source.instanceHint);
  const runtime = await startRuntime(context, source.name, transpiled, {
    grants: permissions ? [] : given,
    ...(permissions ? { permissions } : {}),
    ...runtimeSettings(options, lifetime),
  });
  return {
    name: source.name,
    digest: source.digest,
    origin: source.origin,
    world: inspection.world,
    grants: permissions?.grants() ?? given,
    runtime,
    lifetime,
    inspection,
    transpiled,
    ...(source.trust ? { trust: source.trust } : {}),
    ...(permissions ? { permissions } : {}),
    ...(filter ? { filter } : {}),
  };
}

/**
 * A fresh runtime of a served component with its grants as they are now (a human just allowed a
 * directory or an environment key, which an instance gets only when it starts). Nothing is loaded,
 * checked or asked again: the component is the one already verified and transpiled.
 */
export async function restartToolComponent(
  context: WtoolsContext,
  component: ServedComponent,
  options: ServeOptions,
): Promise<ServedComponent> {
  const permissions = component.permissions;
  const runtime = await startRuntime(context, component.name, component.transpiled, {
    grants: permissions ? [] : component.grants,
    ...(permissions ? { permissions } : {}),
    ...runtimeSettings(options, component.runtime.lifetime),
  });
  return { ...component, runtime, grants: permissions?.grants() ?? component.grants };
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
    // Each is offered as soon as it runs, so the terminal reports them one by one.
    await startToolComponents(context, options, (component) => {
      provider.add(component);
      options.onLoaded?.(component, provider.toolsOf(component).length);
    });
  } catch (err) {
    keepSpareWorker(false);
    throw err;
  }
  return provider;
}

/** Starts every input in order; on any failure, what was started is closed and the error stands. */
export async function startToolComponents(
  context: WtoolsContext,
  options: ServeOptions,
  onStarted?: (component: ServedComponent) => void,
): Promise<ServedComponent[]> {
  const started: ServedComponent[] = [];
  try {
    for (const input of options.inputs) {
      const component = await startToolComponent(context, input, options);
      started.push(component);
      onStarted?.(component);
    }
  } catch (err) {
    await Promise.all(started.map((c) => c.runtime.close()));
    throw err;
  }
  return started;
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
