/**
 * What a set of components offers as MCP tools: names, schemas and descriptions from their WIT
 * worlds, and the functions left out with the reason. Pure and light (no validator, no SDK), so
 * `inspect` shows exactly what `serve` would list without loading either.
 */
import {
  type ComponentWorld,
  type WitFunction,
  functionUsesHandles,
  inputSchemaOf,
  outputSchemaOf,
  unsupportedIn,
} from '../component/index.js';
import type { Grant } from '../grants/index.js';
import type { ComponentRuntime, InstanceLifetime } from '../runtime/index.js';
import { type ContentShape, contentShapeOf } from './content.js';
import type { ToolDef } from './provider.js';
import { assignToolNames, toolFilter } from './tool-names.js';

/** What tools are made from: a component's identity, its WIT world, its grants and filters. */
export interface DescribedComponent {
  name: string;
  digest: string;
  /** Where it came from: a pinned reference or a file path. */
  origin: string;
  world: ComponentWorld;
  grants: readonly Grant[];
  /** `--tools` globs for this component. */
  filter?: readonly string[];
  /** How long its instances live, when it runs: resource handles need more than one call. */
  lifetime?: InstanceLifetime;
}

/** A described component with a runtime to call. */
export interface ToolComponent extends DescribedComponent {
  runtime: ComponentRuntime;
}

export interface DescribedTool<C extends DescribedComponent = DescribedComponent> {
  def: ToolDef;
  component: C;
  fn: WitFunction;
  /** The interface's full name, for interface functions. */
  interface?: string;
  /** The key the runtime knows the export by. */
  exportName: string;
  /** It takes or returns resource handles: calls need the session's handle table. */
  handles: boolean;
  /** It returns wtools:mcp content: served as content blocks, with no outputSchema. */
  content?: ContentShape;
}

/** A function the tool list leaves out, and why (shown by `inspect`). */
export interface SkippedFunction {
  component: string;
  function: string;
  reason: string;
}

function describeFunction(component: DescribedComponent, fn: WitFunction, iface?: string): string {
  const where = iface ? `${iface}#${fn.name}` : fn.name;
  const summary = fn.docs ? `${fn.docs.trim()}\n\n` : '';
  const handles = functionUsesHandles(fn)
    ? ' Resource handles are strings returned by its tools; they stay valid in this MCP session only.'
    : '';
  return `${summary}${where} of the WebAssembly component ${component.origin}, run in the wtools sandbox.${handles}`;
}

/**
 * The tools a set of components offers, named as `assignToolNames` decides, and the functions left
 * out with the reason. Pure: `inspect` shows exactly what `serve` would list.
 */
export function describeTools<C extends DescribedComponent>(
  components: readonly C[],
): { tools: DescribedTool<C>[]; skipped: SkippedFunction[] } {
  const entries: { component: C; fn: WitFunction; iface?: string }[] = [];
  const skipped: SkippedFunction[] = [];
  for (const component of components) {
    const add = (fn: WitFunction, iface?: string): void => {
      const reason = whyNotATool(fn, component.lifetime);
      if (reason)
        skipped.push({
          component: component.name,
          function: iface ? `${iface}#${fn.name}` : fn.name,
          reason,
        });
      else entries.push({ component, fn, ...(iface ? { iface } : {}) });
    };
    for (const fn of component.world.functions) add(fn);
    for (const iface of component.world.interfaces) for (const fn of iface.functions) add(fn, iface.name);
  }
  const names = assignToolNames(
    entries.map((e) => ({
      component: e.component.name,
      digest: e.component.digest,
      function: e.fn.name,
      ...(e.iface ? { interface: e.iface } : {}),
    })),
  );
  const tools: DescribedTool<C>[] = [];
  entries.forEach((entry, i) => {
    const name = names[i]!;
    if (!toolFilter(entry.component.filter ?? [])(name)) return;
    const content = contentShapeOf(entry.fn.result);
    const outputSchema = content ? undefined : outputSchemaOf(entry.fn);
    const networked = entry.component.grants.some(
      (g) =>
        g.effect === 'allow' &&
        (g.capability.kind === 'http' || g.capability.kind === 'tcp' || g.capability.kind === 'udp'),
    );
    tools.push({
      def: {
        name,
        title: `${entry.component.name}: ${entry.iface ? `${entry.iface}#` : ''}${entry.fn.name}`,
        description: describeFunction(entry.component, entry.fn, entry.iface),
        inputSchema: inputSchemaOf(entry.fn),
        ...(outputSchema ? { outputSchema } : {}),
        annotations: { openWorldHint: networked },
      },
      component: entry.component,
      fn: entry.fn,
      ...(entry.iface ? { interface: entry.iface } : {}),
      exportName: entry.iface ? exportKey(entry.iface, entry.fn.name) : entry.fn.name,
      handles: functionUsesHandles(entry.fn),
      ...(content ? { content } : {}),
    });
  });
  return { tools, skipped };
}

function whyNotATool(fn: WitFunction, lifetime: InstanceLifetime | undefined): string | undefined {
  const types = [...fn.params.map((p) => p.type), ...(fn.result ? [fn.result] : [])];
  const unsupported = types.map(unsupportedIn).find(Boolean);
  if (unsupported) return `uses ${unsupported}, which has no JSON form`;
  if (lifetime === 'per-call' && functionUsesHandles(fn)) {
    return 'uses resource handles, which need an instance that outlives a call (--instance per-session)';
  }
  return undefined;
}

/** How the runtime's worker names an interface's function. */
export function exportKey(iface: string, fn: string): string {
  return iface.includes(':') ? `${iface}#${fn}` : `${iface}.${fn}`;
}
