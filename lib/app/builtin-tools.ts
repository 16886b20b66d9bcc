/**
 * The tools `wtools serve` offers besides the components' own: loading and unloading components
 * (through the trust policy: nothing unsigned or untrusted gets in because a model asked), listing
 * and inspecting them, listing their permissions, asking a human for one, and searching a registry.
 * The model can ask; only a human grants. Built-in names have no dot, component tools always do.
 */
import { allowsAccess, formatCapability, GRANT_SYNTAX, parseCapability } from '../grants/index.js';
import { elicitationApprovers } from '../mcp/elicitation.js';
import type { ComponentTools, ToolCallContext, ToolDef, ToolProvider, ToolResult } from '../mcp/index.js';
import { parseReference } from '../oci/index.js';
import { appendAudit } from '../store/index.js';
import { describeSigner } from './verify.js';
import { getProfile, profileInputs } from './profiles.js';
import type { WtoolsContext } from './context.js';
import {
  type ServeOptions,
  type ServedComponent,
  restartToolComponent,
  startToolComponent,
  startToolComponents,
} from './serve.js';

const obj = (properties: Record<string, unknown>, required: string[] = []): Record<string, unknown> => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

/** A required string argument: empty is refused like missing. */
const text = { type: 'string', minLength: 1 };

const BUILTINS: ToolDef[] = [
  {
    name: 'load-component',
    description:
      'Load a WebAssembly component from an OCI reference and offer its exports as tools. It is verified against the trust policy first (unsigned or untrusted components are refused) and starts with no permissions.',
    inputSchema: obj({ ref: { ...text, description: 'REGISTRY/REPOSITORY[:TAG][@DIGEST]' } }, ['ref']),
  },
  {
    name: 'unload-component',
    description: 'Stop a loaded component and remove its tools.',
    inputSchema: obj({ name: text }, ['name']),
  },
  {
    name: 'list-components',
    description: 'The loaded components: name, origin, digest, signer and number of tools.',
    inputSchema: obj({}),
    annotations: { readOnlyHint: true },
  },
  {
    name: 'inspect-component',
    description: 'A loaded component’s WIT world, what it may ask for, and its tools.',
    inputSchema: obj({ name: text }, ['name']),
    annotations: { readOnlyHint: true },
  },
  {
    name: 'list-permissions',
    description:
      'What each loaded component is allowed to touch (files, HTTP origins, environment keys, sockets).',
    inputSchema: obj({ component: text }),
    annotations: { readOnlyHint: true },
  },
  {
    name: 'request-permission',
    description: `Ask the human for a permission a component needs. You cannot grant it yourself; the human decides. Capability syntax: ${GRANT_SYNTAX}`,
    inputSchema: obj({ component: text, capability: text, reason: text }, [
      'component',
      'capability',
      'reason',
    ]),
  },
  {
    name: 'switch-profile',
    description:
      'Replace the loaded components with those of a profile the human made (wtools profile create/add), with the grants and tool filters the profile sets. Only existing profiles; the tool list changes.',
    inputSchema: obj({ name: text }, ['name']),
  },
  {
    name: 'search-components',
    description:
      'List repositories of a registry (catalog API, where it is offered) matching a query, with their tags.',
    inputSchema: obj({ registry: text, query: { type: 'string' } }, ['registry']),
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
];

function ok(value: Record<string, unknown>): ToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value };
}

function failed(message: string): ToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

export class ServeTools implements ToolProvider {
  constructor(
    private readonly context: WtoolsContext,
    private readonly components: ComponentTools<ServedComponent>,
    private readonly options: ServeOptions & { builtins: boolean },
  ) {}

  listTools(_sessionId: string | undefined): ToolDef[] {
    return [...(this.options.builtins ? BUILTINS : []), ...this.components.listTools()];
  }

  onToolsChanged(listener: () => void): () => void {
    return this.components.onToolsChanged(listener);
  }

  async endSession(sessionId: string): Promise<void> {
    await this.components.endSession(sessionId);
  }

  async callTool(name: string, args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    if (!this.options.builtins || name.includes('.')) return this.components.callTool(name, args, context);
    // Checked like component arguments (ajv, same rules): an unknown key is refused, not ignored.
    // What the built-ins throw becomes an isError result in the server, as for any tool.
    const schema = BUILTINS.find((b) => b.name === name)?.inputSchema;
    if (!schema) return failed(`no tool named ${name}`);
    const problems = this.components.checkArguments(schema, args);
    if (problems) return failed(`INVALID_ARGUMENT: invalid arguments for ${name}: ${problems.join('; ')}`);
    return this.#builtin(name, args, context);
  }

  async #builtin(name: string, args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    const text = (key: string): string => args[key] as string; // validated against the schema

    const find = (component: string) => {
      const found = this.components.components().find((c) => c.name === component);
      if (!found) {
        const known =
          this.components
            .components()
            .map((c) => c.name)
            .join(', ') || 'none';
        throw new Error(`no component named ${component} is loaded (loaded: ${known})`);
      }
      return found;
    };
    switch (name) {
      case 'load-component': {
        const ref = text('ref');
        parseReference(ref);
        // The model never widens trust: the command line's trust flags, nothing from the arguments.
        const component = await startToolComponent(this.context, ref, {
          ...this.options,
          grants: [],
          forComponent: new Map(),
        });
        this.components.add(component);
        await appendAudit(this.context.paths, {
          event: 'load',
          subject: component.origin,
          digest: component.digest,
          detail: { by: 'model' },
        });
        return ok({
          name: component.name,
          origin: component.origin,
          tools: this.components.toolsOf(component).map((t) => t.name),
        });
      }
      case 'unload-component': {
        const removed = this.components.remove(find(text('name')).name);
        await removed?.runtime.close();
        return ok({ unloaded: removed?.name });
      }
      case 'list-components':
        return ok({
          components: this.components.components().map((c) => ({
            name: c.name,
            origin: c.origin,
            digest: c.digest,
            ...(c.trust?.signer ? { signer: describeSigner(c.trust.signer) } : {}),
            tools: this.components.toolsOf(c).length,
          })),
        });
      case 'inspect-component': {
        const { inspection } = find(text('name'));
        return ok({
          wit: inspection.wit,
          asks: inspection.asks,
          ...(inspection.declaredPolicy ? { declaredPolicy: inspection.declaredPolicy } : {}),
          refusedImports: inspection.refusedImports,
          tools: inspection.tools.map((t) => t.name),
          skipped: inspection.skipped,
        });
      }
      case 'list-permissions': {
        const only =
          typeof args.component === 'string' ? [find(args.component)] : this.components.components();
        return ok({
          permissions: Object.fromEntries(
            only.map((c) => [
              c.name,
              (c.permissions?.grants() ?? c.grants)
                .filter((g) => g.effect === 'allow')
                .map((g) => formatCapability(g.capability)),
            ]),
          ),
        });
      }
      case 'request-permission': {
        const component = find(text('component'));
        const capability = parseCapability(text('capability'));
        const reason = text('reason');
        if (!component.permissions) return failed(`${component.name} was loaded without a grant store`);
        // The model's request goes to a human through the same channels as a guest's own access;
        // nothing in the arguments can answer it.
        const decision = await component.permissions.ask(capability, {
          requestedBy: 'model',
          reason,
          approvers: elicitationApprovers(context),
        });
        const granted = allowsAccess(decision.answer);
        if (granted && decision.answer === 'once') component.runtime.allowOnce(capability);
        // Directories and environment keys are given to an instance when it starts: restart it.
        if (granted && (capability.kind === 'fs' || capability.kind === 'env'))
          await this.#restart(component);
        return ok({
          granted,
          answer: decision.answer,
          decidedBy: decision.by,
          ...(decision.message ? { message: decision.message } : {}),
        });
      }
      case 'switch-profile': {
        const profileName = text('name');
        const { inputs, perInput } = profileInputs(await getProfile(this.context, profileName));
        // Load the whole profile first: a component that fails to load leaves the tool set as it was.
        const fresh = await startToolComponents(this.context, {
          ...this.options,
          inputs,
          grants: [],
          forComponent: new Map(),
          perInput,
        });
        const old = this.components.replaceAll(fresh);
        await Promise.all(old.map((c) => c.runtime.close()));
        await appendAudit(this.context.paths, {
          event: 'profile-switched',
          subject: profileName,
          detail: { by: 'model', components: inputs },
        });
        return ok({
          profile: profileName,
          components: fresh.map((c) => ({
            name: c.name,
            origin: c.origin,
            tools: this.components.toolsOf(c).length,
          })),
        });
      }
      case 'search-components': {
        const registry = text('registry');
        const query = typeof args.query === 'string' ? args.query.toLowerCase() : '';
        const client = this.context.registry(registry);
        const repositories = (await client.catalog(1000))
          .filter((r) => r.toLowerCase().includes(query))
          .slice(0, 20);
        const results = await Promise.all(
          repositories.map(async (repository) => ({
            repository: `${registry}/${repository}`,
            tags: (await client.repository(repository).tags()).slice(0, 20),
          })),
        );
        return ok({ results });
      }
      default:
        return failed(`no tool named ${name}`);
    }
  }

  async #restart(component: ServedComponent): Promise<void> {
    const fresh = await restartToolComponent(this.context, component, this.options);
    // The human may have taken a while: the component can have been unloaded (or a profile
    // switched) meanwhile. Then the fresh runtime has nowhere to go.
    if (!this.components.components().includes(component)) {
      await fresh.runtime.close();
      return;
    }
    this.components.replace(component, fresh);
    await component.runtime.close();
  }
}
