/**
 * WIT text of a component's exports, for `wtools inspect`: named types are declared once, before the
 * functions that use them, so what a person reads is what the schemas were made from.
 */
import type { ComponentWorld, WitFunction, WitType } from './wit-model.js';

type Named = Extract<WitType, { name?: string }>;

/** WIT's keywords: a name that is one is written with a leading `%` (`%resource`). */
const KEYWORDS = new Set(
  (
    'as async bool borrow char constructor enum export f32 f64 flags from func future import include interface ' +
    'list option own package record resource result s8 s16 s32 s64 static stream string tuple type u8 u16 u32 ' +
    'u64 use variant with world'
  ).split(' '),
);

function ident(name: string | undefined): string {
  return name !== undefined && KEYWORDS.has(name) ? `%${name}` : String(name);
}

function typeRef(type: WitType, declare: (t: Named) => void): string {
  switch (type.kind) {
    case 'list':
      return `list<${typeRef(type.element, declare)}>`;
    case 'tuple':
      return `tuple<${type.types.map((t) => typeRef(t, declare)).join(', ')}>`;
    case 'option':
      return `option<${typeRef(type.type, declare)}>`;
    case 'result': {
      const ok = type.ok ? typeRef(type.ok, declare) : '_';
      if (!type.err) return type.ok ? `result<${ok}>` : 'result';
      return `result<${ok}, ${typeRef(type.err, declare)}>`;
    }
    case 'own':
      return type.resource;
    case 'borrow':
      return `borrow<${type.resource}>`;
    case 'future':
    case 'stream':
      return type.type ? `${type.kind}<${typeRef(type.type, declare)}>` : type.kind;
    case 'record':
    case 'variant':
    case 'enum':
    case 'flags':
      if (type.name) {
        declare(type);
        return ident(type.name);
      }
      return `/* anonymous ${type.kind} */ ${inlineBody(type, declare)}`;
    default:
      return type.kind;
  }
}

function inlineBody(type: Named, declare: (t: Named) => void): string {
  switch (type.kind) {
    case 'record':
      return `{ ${type.fields.map((f) => `${ident(f.name)}: ${typeRef(f.type, declare)}`).join(', ')} }`;
    case 'variant':
      return `{ ${type.cases.map((c) => (c.type ? `${ident(c.name)}(${typeRef(c.type, declare)})` : ident(c.name))).join(', ')} }`;
    case 'enum':
      return `{ ${type.cases.map((c) => ident(c)).join(', ')} }`;
    case 'flags':
      return `{ ${type.flags.map((f) => ident(f)).join(', ')} }`;
  }
}

function declaration(type: Named, declare: (t: Named) => void, indent: string): string {
  const lines = (items: string[]) => items.map((item) => `${indent}  ${item},`).join('\n');
  switch (type.kind) {
    case 'record':
      return `${indent}record ${ident(type.name)} {\n${lines(type.fields.map((f) => `${ident(f.name)}: ${typeRef(f.type, declare)}`))}\n${indent}}`;
    case 'variant':
      return `${indent}variant ${ident(type.name)} {\n${lines(type.cases.map((c) => (c.type ? `${ident(c.name)}(${typeRef(c.type, declare)})` : ident(c.name))))}\n${indent}}`;
    case 'enum':
      return `${indent}enum ${ident(type.name)} {\n${lines(type.cases.map((c) => ident(c)))}\n${indent}}`;
    case 'flags':
      return `${indent}flags ${ident(type.name)} {\n${lines(type.flags.map((f) => ident(f)))}\n${indent}}`;
  }
}

function docs(text: string | undefined, indent: string): string {
  return text
    ? `${text
        .split('\n')
        .map((line) => `${indent}/// ${line}`.trimEnd())
        .join('\n')}\n`
    : '';
}

function signature(fn: WitFunction, declare: (t: Named) => void): string {
  const params = fn.params.map((p) => `${ident(p.name)}: ${typeRef(p.type, declare)}`).join(', ');
  return `func(${params})${fn.result ? ` -> ${typeRef(fn.result, declare)}` : ''}`;
}

const MANGLED = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/;

/**
 * Declarations of the named types `fns` use, then resources (their constructor, methods and static
 * functions gathered from WIT's mangled names), then the plain functions, at `indent`.
 */
function block(fns: readonly WitFunction[], indent: string, prefix: string): string {
  const declared = new Map<string, string>();
  const declare = (type: Named): void => {
    const name = type.name!;
    if (declared.has(name)) return;
    declared.set(name, '');
    declared.set(name, declaration(type, declare, indent));
  };
  const resources = new Map<string, string[]>();
  const functions: string[] = [];
  for (const fn of fns) {
    const mangled = MANGLED.exec(fn.name);
    if (!mangled) {
      functions.push(`${docs(fn.docs, indent)}${indent}${prefix}${fn.name}: ${signature(fn, declare)};`);
      continue;
    }
    const [, kind, resource, method] = mangled;
    const members = resources.get(resource!) ?? [];
    const inner = `${indent}  `;
    if (kind === 'constructor') {
      const params = fn.params.map((p) => `${ident(p.name)}: ${typeRef(p.type, declare)}`).join(', ');
      members.push(`${docs(fn.docs, inner)}${inner}constructor(${params});`);
    } else {
      // A method's first parameter is the implicit `self`.
      const shown = kind === 'method' ? { ...fn, params: fn.params.slice(1) } : fn;
      members.push(
        `${docs(fn.docs, inner)}${inner}${method}: ${kind === 'static' ? 'static ' : ''}${signature(shown, declare)};`,
      );
    }
    resources.set(resource!, members);
  }
  const resourceBlocks = [...resources].map(
    ([name, members]) => `${indent}resource ${name} {\n${members.join('\n')}\n${indent}}`,
  );
  return [...[...declared.values()].filter(Boolean), ...resourceBlocks, ...functions].join('\n');
}

export function worldToWit(world: ComponentWorld, name = 'component'): string {
  const out: string[] = [];
  for (const iface of world.interfaces) {
    out.push(
      `${docs(iface.docs, '')}/// exported as ${iface.name}\ninterface ${shortName(iface.name)} {\n${block(iface.functions, '  ', '')}\n}\n`,
    );
  }
  const body = [
    ...world.imports.map((i) => `  import ${i};`),
    ...world.interfaces.map((i) => `  export ${i.name};`),
    block(world.functions, '  ', 'export '),
  ].filter(Boolean);
  out.push(`world ${name} {\n${body.join('\n')}\n}\n`);
  return out.join('\n');
}

/** `wtools:fixtures/shapes@0.1.0` → `shapes`. */
export function shortName(interfaceName: string): string {
  return interfaceName.replace(/@.*$/, '').split('/').pop()!.split(':').pop()!;
}
