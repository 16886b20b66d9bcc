/**
 * Loading a component to run: from a file or from a reference (pulled through the trust policy),
 * refused when it imports what the runtime cannot provide, transpiled once per digest, and started
 * in the sandboxed runtime with exactly the grants given.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ComponentError, type Digest, WtoolsError, sha256 } from '../core/index.js';
import {
  type TranspiledComponent,
  checkImports,
  describeNotComponent,
  readComponentNames,
  transpileCached,
  wasmKind,
} from '../component/index.js';
import type { Grant, Limits } from '../grants/index.js';
import {
  type CallResult,
  ComponentRuntime,
  type DenialEvent,
  INSTANCE_LIFETIMES,
  type InstanceLifetime,
} from '../runtime/index.js';
import type { WtoolsContext } from './context.js';
import type { DeclaredPolicy } from './declared-policy.js';
import { type PullOptions, type PullResult, pull, readPulledComponent } from './pull.js';
import type { StoredTrust } from './trust-record.js';
import { isComponentFile } from './component-input.js';
import type { ComponentPermissions, PermissionCenter } from './permissions.js';
import { injectedSettings } from './secret-commands.js';

export interface ComponentSource {
  /** A short name: the file's base name or the repository's last segment. */
  name: string;
  /** What was asked for, pinned by digest when it came from a registry. */
  origin: string;
  digest: Digest;
  bytes: Uint8Array;
  /** Who signed it and which rule accepted it; absent for a local file, which nothing verified. */
  trust?: StoredTrust;
  /** What its artifact's policy layer asks for (a request, never a grant). */
  declaredPolicy?: DeclaredPolicy;
  /** The instance lifetime its publisher asks for (annotation dev.wtools.instance). */
  instanceHint?: InstanceLifetime;
}

/** The manifest annotation by which a publisher asks for an instance lifetime (state per session, say). */
export const INSTANCE_ANNOTATION = 'dev.wtools.instance';

export async function loadComponentSource(
  context: WtoolsContext,
  input: string,
  pullOptions: PullOptions = {},
): Promise<ComponentSource> {
  if (await isComponentFile(input)) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(input));
    } catch (err) {
      throw new WtoolsError(
        'NOT_FOUND',
        `cannot read the component file ${input}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    if (wasmKind(bytes) !== 'component') {
      throw new ComponentError('NOT_A_COMPONENT', `${input} ${describeNotComponent(bytes)}`);
    }
    const digest = sha256(bytes);
    return { name: componentName(path.basename(input, '.wasm')), origin: path.resolve(input), digest, bytes };
  }
  return sourceOfPull(context, await pull(context, input, pullOptions));
}

/** A pulled component as something to load: its bytes read back from the store and checked. */
export async function sourceOfPull(context: WtoolsContext, pulled: PullResult): Promise<ComponentSource> {
  const bytes = await readPulledComponent(context, pulled);
  const hint = pulled.annotations[INSTANCE_ANNOTATION];
  const repository =
    pulled.reference
      .replace(/[@:][^/]*$/, '')
      .split('/')
      .pop() ?? 'component';
  return {
    name: componentName(repository),
    origin: pulled.pinned,
    digest: pulled.component.digest,
    bytes,
    trust: pulled.trust,
    ...(pulled.declaredPolicy ? { declaredPolicy: pulled.declaredPolicy } : {}),
    ...((INSTANCE_LIFETIMES as readonly string[]).includes(hint ?? '')
      ? { instanceHint: hint as InstanceLifetime }
      : {}),
  };
}

function componentName(raw: string): string {
  return (
    raw
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'component'
  );
}

/** Import check first (cheap, and clearer than a link error), then the cached transpile. */
export async function prepareComponent(
  context: WtoolsContext,
  source: ComponentSource,
  /** The imports, when the caller has read them already (serve's inspection has). */
  imports: readonly string[] = readComponentNames(source.bytes).imports,
): Promise<TranspiledComponent> {
  checkImports(imports, source.origin);
  return transpileCached(source.bytes, source.digest, context.paths.cache, source.origin);
}

export interface StartOptions {
  grants: readonly Grant[];
  /** Stored grants and limits, and a human to ask about the rest; without it, the rest is denied. */
  permissions?: ComponentPermissions;
  limits?: Partial<Limits>;
  poolSize?: number;
  lifetime?: InstanceLifetime;
  onDenied?(event: DenialEvent): void;
}

export async function startComponent(
  context: WtoolsContext,
  source: ComponentSource,
  options: StartOptions,
): Promise<ComponentRuntime> {
  return startRuntime(context, source.name, await prepareComponent(context, source), options);
}

/**
 * Starts a runtime of an already prepared (checked and transpiled) component, with its grants and,
 * when its identity is known (its permissions), the secrets and configuration set for it.
 */
export async function startRuntime(
  context: WtoolsContext,
  name: string,
  transpiled: TranspiledComponent,
  options: StartOptions,
): Promise<ComponentRuntime> {
  const permissions = options.permissions;
  const limits = { ...permissions?.limits(), ...options.limits };
  // A component whose grants are suspended by a signer change gets none of its secrets either.
  const settings =
    permissions && !permissions.suspended ? await injectedSettings(context, permissions.identity) : undefined;
  return ComponentRuntime.load({
    name,
    transpiled,
    grants: [...(permissions?.grants() ?? []), ...options.grants],
    env: context.options.env ?? process.env,
    ...(settings ? { injected: settings.injected, redact: settings.redact } : {}),
    limits,
    ...(permissions
      ? {
          ask: async (_name, capability, { approvers }) =>
            (
              await permissions.ask(capability, {
                requestedBy: 'guest',
                reason: 'requested at run time',
                approvers,
              })
            ).answer,
        }
      : {}),
    ...(options.poolSize ? { poolSize: options.poolSize } : {}),
    ...(options.lifetime ? { lifetime: options.lifetime } : {}),
    ...(options.onDenied ? { onDenied: options.onDenied } : {}),
  });
}

export interface CallOnceOptions extends StartOptions {
  /** The grant store and the humans to ask (replaces StartOptions.permissions, which is per component). */
  center?: PermissionCenter;
  pull?: PullOptions;
  signal?: AbortSignal;
}

export interface CallOnceResult extends CallResult {
  component: { name: string; origin: string; digest: Digest };
  denied: DenialEvent[];
  /** What it logged through wtools:mcp/log (no MCP client here: progress is dropped). */
  logs: { level: string; message: string }[];
}

/** `wtools call`: load, call one export once, unload. */
export async function callOnce(
  context: WtoolsContext,
  input: string,
  fn: string,
  args: unknown[],
  options: CallOnceOptions,
): Promise<CallOnceResult> {
  const source = await loadComponentSource(context, input, options.pull);
  const denied: DenialEvent[] = [];
  const permissions = await options.center?.open(source, options.grants);
  const runtime = await startComponent(context, source, {
    ...options,
    ...(permissions ? { permissions, grants: [] } : {}),
    onDenied: (event) => {
      denied.push(event);
      options.onDenied?.(event);
    },
  });
  // No MCP client makes this call: logs are kept for the result, sampling and elicitation are
  // not-supported (the guest is told so).
  const logs: CallOnceResult['logs'] = [];
  const mcp = {
    log: (level: string, message: string) => void logs.push({ level, message }),
    progress: () => {},
  };
  try {
    const result = await runtime.call(fn, args, {
      mcp,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return {
      ...result,
      component: { name: source.name, origin: source.origin, digest: source.digest },
      denied,
      logs,
    };
  } catch (err) {
    if (err instanceof WtoolsError && err.details) err.details.denied = denied;
    throw err;
  } finally {
    await runtime.close();
  }
}
