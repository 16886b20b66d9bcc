/**
 * TypeScript declarations of the tools a code-mode script may call: one namespace per component,
 * one async function per tool, input and output types from the WIT-derived JSON schemas (never
 * `unknown` for a typed result), and the tool's description as JSDoc. Names are sanitised to
 * identifiers; `bindings` maps each `namespace.function` back to its MCP tool name.
 */
import type { ToolDef } from '../provider.js';

export interface CodeModeApi {
  /** The `declare namespace` blocks, as the model reads them. */
  declarations: string;
  /** Namespace → function → tool name. */
  bindings: Record<string, Record<string, string>>;
}

type Schema = Record<string, unknown>;

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally ' +
    'for function if import in instanceof new null return super switch this throw true try typeof var void ' +
    'while with yield let static implements interface package private protected public await async'
  ).split(' '),
);

/** Globals of the sandbox that a namespace must not shadow (a component named `console`, `JSON`). */
const GLOBALS = new Set(
  (
    'console JSON Math Object Array String Number Boolean Symbol Promise Error Date RegExp Map Set WeakMap ' +
    'WeakSet Reflect Proxy BigInt Intl globalThis undefined NaN Infinity eval'
  ).split(' '),
);

/** `read-file` → `readFile`, `2d` → `_2d`, `delete` → `delete_`: a valid, readable identifier. */
export function toIdentifier(name: string): string {
  const camel = name
    .replace(/[^A-Za-z0-9_$]+(.)?/g, (_m, next: string | undefined) => (next ? next.toUpperCase() : ''))
    .replace(/^[^A-Za-z_$]/, (c) => `_${c}`);
  const id = camel || '_';
  return RESERVED.has(id) ? `${id}_` : id;
}

/** A property key as TypeScript writes it: bare when it is an identifier, quoted otherwise. */
function key(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

function indent(text: string, by: string): string {
  return text.replace(/\n/g, `\n${by}`);
}

/** The TypeScript type of a JSON Schema made by the WIT mapping (and of simple hand-written ones). */
export function schemaToType(schema: unknown, depth = 0): string {
  if (schema === true || schema === undefined) return 'unknown';
  if (schema === false) return 'never';
  if (!schema || typeof schema !== 'object') return 'unknown';
  const s = schema as Schema;
  if (depth > 32) return 'unknown';
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ') || 'never';
  for (const combinator of ['oneOf', 'anyOf'] as const) {
    const options = s[combinator];
    if (Array.isArray(options)) {
      const types = [...new Set(options.map((o) => schemaToType(o, depth + 1)))];
      return types.length ? types.map((t) => (t.includes('=>') ? `(${t})` : t)).join(' | ') : 'never';
    }
  }
  const type = s.type;
  if (Array.isArray(type)) {
    return [...new Set(type.map((t) => schemaToType({ ...s, type: t }, depth + 1)))].join(' | ');
  }
  switch (type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      if (Array.isArray(s.prefixItems)) {
        return `[${s.prefixItems.map((item) => schemaToType(item, depth + 1)).join(', ')}]`;
      }
      const element = schemaToType(s.items, depth + 1);
      return /[|&]/.test(element) ? `Array<${element}>` : `${element}[]`;
    }
    case 'object':
      return objectType(s, depth);
    default:
      if (s.properties) return objectType(s, depth);
      return 'unknown';
  }
}

function objectType(s: Schema, depth: number): string {
  const properties = (s.properties ?? {}) as Record<string, unknown>;
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  const lines = Object.entries(properties).map(([name, property]) => {
    const doc = (property as Schema | undefined)?.description;
    const comment = typeof doc === 'string' && doc ? `/** ${doc.replace(/\*\//g, '* /')} */\n` : '';
    return `${comment}${key(name)}${required.has(name) ? '' : '?'}: ${schemaToType(property, depth + 1)};`;
  });
  const extra = s.additionalProperties;
  if (extra !== undefined && extra !== false) lines.push(`[key: string]: ${schemaToType(extra, depth + 1)};`);
  if (lines.length === 0) return extra === false ? 'Record<string, never>' : 'Record<string, unknown>';
  return `{\n  ${lines.map((l) => indent(l, '  ')).join('\n  ')}\n}`;
}

/**
 * What a tool's function resolves to: the `result` of its structuredContent when its output schema
 * has one (the WIT mapping; the `error` of a result<T, E> is thrown instead), its structuredContent
 * when it has another output schema, and for tools without one (content results) what MCP sent:
 * `{ content, structuredContent? }`. The one rule for both the declared type and the value.
 */
export function resolvesTo(tool: ToolDef | undefined): 'result' | 'structured' | 'content' {
  const output = tool?.outputSchema as Schema | undefined;
  if (!output) return 'content';
  return (output.properties as Record<string, unknown> | undefined)?.result === undefined
    ? 'structured'
    : 'result';
}

export function resultType(tool: ToolDef): string {
  switch (resolvesTo(tool)) {
    case 'content':
      return '{ content: Array<{ type: string; text?: string; data?: string; mimeType?: string }>; structuredContent?: Record<string, unknown> }';
    case 'structured':
      return schemaToType(tool.outputSchema);
    case 'result':
      return schemaToType((tool.outputSchema!.properties as Record<string, unknown>).result);
  }
}

/** The namespace (component) and function of a tool name `component.function` or `component.iface.fn`. */
function split(name: string): [string, string] {
  const dot = name.indexOf('.');
  return dot < 0 ? ['tools', name] : [name.slice(0, dot), name.slice(dot + 1)];
}

/**
 * The tool's own documentation: component tools' descriptions are the WIT docs, then a paragraph
 * naming the component and the sandbox, which every declaration would only repeat.
 */
function docText(tool: ToolDef): string {
  const own = (tool.description ?? '')
    .replace(/(^|\n)\S+ of the WebAssembly component .*?, run in the wtools sandbox\.\s*/, '$1')
    .trim();
  return own || (tool.title ?? '').trim();
}

function docComment(tool: ToolDef): string {
  const text = docText(tool);
  const lines = [...(text ? text.split('\n') : []), `@tool ${tool.name}`];
  return `/**\n${lines.map((l) => ` * ${l.replace(/\*\//g, '* /')}`).join('\n')}\n */`;
}

/** One tool's declaration, as `describe-tool` shows it. */
export function declareTool(tool: ToolDef, fn: string): string {
  const input = schemaToType(tool.inputSchema);
  const params = input === 'Record<string, never>' ? 'args?: Record<string, never>' : `args: ${input}`;
  return `${docComment(tool)}\nfunction ${fn}(${params}): Promise<${resultType(tool)}>;`;
}

/** Declarations and bindings of a set of tools; same-named functions in a namespace get a suffix. */
export function codeModeApi(tools: readonly ToolDef[]): CodeModeApi {
  const bindings: Record<string, Record<string, string>> = {};
  const blocks = new Map<string, string[]>();
  for (const tool of tools) {
    const [component, rest] = split(tool.name);
    const namespace = GLOBALS.has(toIdentifier(component))
      ? `${toIdentifier(component)}_`
      : toIdentifier(component);
    const functions = (bindings[namespace] ??= {});
    let fn = toIdentifier(rest);
    for (let i = 2; fn in functions; i++) fn = `${toIdentifier(rest)}${i}`;
    functions[fn] = tool.name;
    const block = blocks.get(namespace) ?? [];
    block.push(declareTool(tool, fn));
    blocks.set(namespace, block);
  }
  const declarations = [...blocks]
    .map(
      ([namespace, decls]) =>
        `declare namespace ${namespace} {\n  ${decls.map((d) => indent(d, '  ')).join('\n  ')}\n}`,
    )
    .join('\n\n');
  return { declarations, bindings };
}
