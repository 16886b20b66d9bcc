/**
 * `wtools inspect`: what a component is and what an agent would see of it, without running it —
 * its digest and signer, its world as WIT, what it may ask the host for, and its tools with the
 * exact schemas `serve` would list.
 */
import {
  type ComponentWorld,
  readComponentWorld,
  unsupportedImports,
  worldToWit,
} from '../component/index.js';
import { type DescribedTool, type SkippedFunction, describeTools } from '../mcp/tool-catalog.js';
import type { WtoolsContext } from './context.js';
import type { DeclaredPolicy } from './declared-policy.js';
import { type ComponentSource, loadComponentSource } from './call.js';
import type { PullOptions } from './pull.js';
import type { StoredTrust } from './trust-record.js';

export interface InspectResult {
  component: { name: string; origin: string; digest: string; size: number };
  /** Absent for a local file: nothing verified it. */
  trust?: StoredTrust;
  wit: string;
  world: ComponentWorld;
  /** What the imports let it ask for, in words, by WASI package. */
  asks: { interface: string; capability: string }[];
  /** What its artifact's policy layer asks for: shown to the human, never granted. */
  declaredPolicy?: DeclaredPolicy;
  /** Imports the runtime does not provide: loading it would be refused. */
  refusedImports: string[];
  tools: {
    name: string;
    function: string;
    interface?: string;
    description?: string;
    inputSchema: unknown;
    outputSchema?: unknown;
  }[];
  skipped: SkippedFunction[];
}

const ASKS: [RegExp, string][] = [
  [/^wasi:filesystem\//, 'files (only granted directories: fs:PATH[:ro|:rw])'],
  [/^wasi:http\/outgoing-handler/, 'outgoing HTTP (only granted origins: http:HOST[:PORT])'],
  [/^wasi:sockets\/(tcp|udp|ip-name-lookup)/, 'network sockets (only granted hosts: tcp:HOST:PORT)'],
  [/^wasi:cli\/environment/, 'environment variables (only granted keys: env:KEY)'],
  [/^wasi:cli\/(stdout|stderr)/, 'output streams (captured per call, never the host’s)'],
  [/^wasi:clocks\//, 'clocks (always allowed)'],
  [/^wasi:random\//, 'random numbers (always allowed)'],
  [
    /^wasi:config\/store/,
    'its configuration and secrets (only what was set for it: wtools config, wtools secret)',
  ],
  [/^wtools:mcp\/log/, 'log messages to the calling MCP client (always allowed)'],
  [/^wtools:mcp\/progress/, 'progress reports to the calling MCP client (always allowed)'],
  [/^wtools:mcp\/sampling/, 'completions from the MCP client’s model (only with the grant mcp:sampling)'],
  [/^wtools:mcp\/elicit/, 'questions to the MCP client’s user (only with the grant mcp:elicit)'],
];

export function describeAsks(imports: readonly string[]): { interface: string; capability: string }[] {
  return imports.flatMap((name) => {
    const match = ASKS.find(([pattern]) => pattern.test(name));
    return match ? [{ interface: name, capability: match[1] }] : [];
  });
}

export function inspectSource(source: ComponentSource): InspectResult {
  const world = readComponentWorld(source.bytes);
  const { tools, skipped } = describeTools([
    { name: source.name, digest: source.digest, origin: source.origin, world, grants: [] },
  ]);
  return {
    component: { name: source.name, origin: source.origin, digest: source.digest, size: source.bytes.length },
    ...(source.trust ? { trust: source.trust } : {}),
    wit: worldToWit(world, source.name),
    world,
    asks: describeAsks(world.imports),
    ...(source.declaredPolicy ? { declaredPolicy: source.declaredPolicy } : {}),
    refusedImports: unsupportedImports(world.imports),
    tools: tools.map(toolSummary),
    skipped,
  };
}

function toolSummary(tool: DescribedTool): InspectResult['tools'][number] {
  return {
    name: tool.def.name,
    function: tool.fn.name,
    ...(tool.interface ? { interface: tool.interface } : {}),
    ...(tool.def.description ? { description: tool.def.description } : {}),
    inputSchema: tool.def.inputSchema,
    ...(tool.def.outputSchema ? { outputSchema: tool.def.outputSchema } : {}),
  };
}

export async function inspectComponent(
  context: WtoolsContext,
  input: string,
  pullOptions: PullOptions = {},
): Promise<InspectResult> {
  return inspectSource(await loadComponentSource(context, input, pullOptions));
}
