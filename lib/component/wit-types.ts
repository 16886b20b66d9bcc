/**
 * The exported functions of a component with their complete WIT types, read from the binary's
 * sections (jco has no API for structured types, and `jco wit` prints only the root package).
 *
 * The reader follows the Component Model's Binary.md; where the spec and wasm-tools differ,
 * wasm-tools wins because it writes the binaries we read. It tracks the component-level index
 * spaces (types, funcs, instances, components) of the root component and of every nested
 * component and type declaration; core modules, core instances, core types and custom sections are
 * skipped by their size, so a 12 MB component costs a pass over its few component-level sections.
 *
 * How wit-component shapes an exported interface: the root component lifts each function with
 * types defined at the root, then a nested "shim" component imports those functions and types
 * (`import-func-*`, `import-type-*`, resources as `(sub resource)`), declares fresh copies of the
 * types, exports them under their WIT names and re-exports every function with an ascribed type
 * that uses the exported names. The root instantiates the shim with the lifted functions and root
 * types as arguments and exports that instance. So the function types of an exported interface are
 * the shim's export types with the shim's imported types replaced by the instantiation arguments.
 * Imported types are kept symbolic (`var` nodes) inside a component definition and substituted on
 * instantiation; whatever stays unsubstituted falls back to its bound (an `eq` import) or is a
 * resource named after its import.
 *
 * Names: exporting or importing a record, variant, enum, flags or resource type names it; the first
 * name a type gets sticks, so `type location = point` keeps the name `point` (WIT aliases are
 * transparent). Handles (`own`/`borrow`) name the resource they point to.
 *
 * Defensive limits keep hostile input from hanging or exhausting the stack: nesting of components
 * and type declarations, type depth and type size (as wasm-tools' 1 000 000), and a budget of work
 * steps for the substitutions.
 */
import { ComponentError } from '../core/index.js';
import { describeNotComponent, wasmKind } from './binary.js';
import { MAGIC, PREAMBLE_SIZE, Reader, hex, isPrimitiveValTypeByte } from './reader.js';
import type {
  ComponentWorld,
  PrimitiveKind,
  WitFunction,
  WitInterfaceExport,
  WitParam,
  WitType,
} from './wit-model.js';

/** Nested components plus component and instance type declarations inside each other. */
const MAX_NESTING = 100;
/** WIT types nest a few levels deep; this is far beyond anything a real interface declares. */
const MAX_TYPE_DEPTH = 100;
/** The tree size of one type, as wasm-tools limits it (MAX_WASM_TYPE_SIZE). */
const MAX_TYPE_SIZE = 1_000_000;
/** Steps spent building and substituting types; linear in real components, capped for hostile ones. */
const WORK_BUDGET = 2_000_000;

const SECTION = {
  custom: 0,
  coreModule: 1,
  coreInstance: 2,
  coreType: 3,
  component: 4,
  instance: 5,
  alias: 6,
  type: 7,
  canon: 8,
  start: 9,
  import: 10,
  export: 11,
  value: 12,
} as const;

const PACKAGE_DOCS_SECTION = 'package-docs';

// ---------------------------------------------------------------------------------------------
// Internal type representation. Value types are a DAG (a type index used twice is one node); `d`
// and `s` are the node's depth and tree size, checked against the limits when a node is made.

interface Measured {
  d: number;
  s: number;
}

/** The identity of a resource type, shared by every named copy of it. */
interface ResourceIdentity {
  /** The first name the resource got anywhere: the fallback for handles to an unnamed copy. */
  label?: string;
}

type Val = Measured &
  (
    | { k: 'prim'; p: PrimitiveKind }
    | { k: 'list'; element: Val }
    | { k: 'tuple'; types: Val[] }
    | { k: 'record'; name?: string; fields: { name: string; type: Val }[] }
    | { k: 'variant'; name?: string; cases: { name: string; type?: Val }[] }
    | { k: 'enum'; name?: string; cases: string[] }
    | { k: 'flags'; name?: string; flags: string[] }
    | { k: 'option'; type: Val }
    | { k: 'result'; ok?: Val; err?: Val }
    | { k: 'own' | 'borrow'; target: Val }
    | { k: 'future' | 'stream'; type?: Val }
    | { k: 'error-context' }
    | { k: 'resource'; name?: string; id: ResourceIdentity }
    /**
     * An imported type (or a type exported from an instance or component type): symbolic until the
     * component that imports it is instantiated. `bound` is the `eq` bound; none is `(sub resource)`.
     * `name` is a real WIT name (an export, or a name given by exporting it); `importName` may be a
     * wit-component artefact such as `import-type-point` and only names what stays unsubstituted.
     */
    | { k: 'var'; id: number; name?: string; importName: string; bound?: Val }
  );

type ValOf<K extends Val['k']> = Extract<Val, { k: K }>;

interface FuncTy {
  k: 'func';
  params: { name: string; type: Val }[];
  result?: Val;
}

interface InstTy {
  k: 'instance';
  exports: Map<string, Ext>;
}

interface CompTy {
  k: 'component';
  imports: [string, Ext][];
  exports: Map<string, Ext>;
}

type TypeEntry = Val | FuncTy | InstTy | CompTy;

/** What an import, an export or an alias refers to, by sort. Core sorts other than modules are not tracked. */
type Ext =
  | { s: 'func'; t: FuncTy }
  | { s: 'type'; t: TypeEntry }
  | { s: 'instance'; t: InstTy }
  | { s: 'component'; t: CompTy }
  | { s: 'value' }
  | { s: 'module' };

/** The index spaces of one component or one component/instance type declaration. */
class Scope {
  readonly types: TypeEntry[] = [];
  readonly funcs: FuncTy[] = [];
  readonly instances: InstTy[] = [];
  readonly components: CompTy[] = [];
  readonly imports: [string, Ext][] = [];
  readonly exports = new Map<string, Ext>();

  constructor(
    readonly parent: Scope | undefined,
    readonly depth: number,
  ) {}

  push(ext: Ext): void {
    switch (ext.s) {
      case 'func':
        this.funcs.push(ext.t);
        return;
      case 'type':
        this.types.push(ext.t);
        return;
      case 'instance':
        this.instances.push(ext.t);
        return;
      case 'component':
        this.components.push(ext.t);
        return;
      default:
      // values and core modules: nothing here reads them back
    }
  }
}

function isVal(entry: TypeEntry): entry is Val {
  return entry.k !== 'func' && entry.k !== 'instance' && entry.k !== 'component';
}

function isResourceLike(v: Val): boolean {
  if (v.k === 'resource') return true;
  if (v.k === 'var') return v.bound === undefined || isResourceLike(v.bound);
  return false;
}

const PRIMITIVES: Record<number, PrimitiveKind> = {
  0x7f: 'bool',
  0x7e: 's8',
  0x7d: 'u8',
  0x7c: 's16',
  0x7b: 'u16',
  0x7a: 's32',
  0x79: 'u32',
  0x78: 's64',
  0x77: 'u64',
  0x76: 'f32',
  0x75: 'f64',
  0x74: 'char',
  0x73: 'string',
};

const PRIM_NODES = new Map<number, Val>(
  Object.entries(PRIMITIVES).map(([code, p]) => [Number(code), { k: 'prim', p, d: 1, s: 1 }]),
);
const ERROR_CONTEXT: Val = { k: 'error-context', d: 1, s: 1 };

/**
 * Every exported function of a component with complete WIT types: the world's top-level functions
 * and the functions of each exported interface, plus the names of all imports. Docs come from a
 * `package-docs` custom section when the component has one. Throws ComponentError('NOT_A_COMPONENT')
 * with a byte offset when the binary is malformed or uses what this reader does not support.
 */
export function readComponentWorld(bytes: Uint8Array): ComponentWorld {
  if (wasmKind(bytes) !== 'component') {
    throw new ComponentError('NOT_A_COMPONENT', `the binary ${describeNotComponent(bytes)}`);
  }
  return new WorldReader(bytes).read();
}

class WorldReader {
  private readonly r: Reader;
  private fuel = WORK_BUDGET;
  private nextVarId = 0;
  private readonly docSections: Uint8Array[] = [];

  constructor(private readonly bytes: Uint8Array) {
    this.r = new Reader(bytes, PREAMBLE_SIZE);
  }

  read(): ComponentWorld {
    const root = new Scope(undefined, 0);
    this.sections(root, this.bytes.length, true);
    const out = new Output(this);
    const functions: WitFunction[] = [];
    const interfaces: WitInterfaceExport[] = [];
    for (const [name, ext] of root.exports) {
      if (ext.s === 'func') functions.push(out.func(name, ext.t));
      if (ext.s === 'instance') {
        const fns: WitFunction[] = [];
        for (const [fnName, item] of ext.t.exports) if (item.s === 'func') fns.push(out.func(fnName, item.t));
        interfaces.push({ name, functions: fns });
      }
    }
    // Type imports (a world's own records and enums) are shapes, not something the host provides.
    const imports = root.imports.filter(([, ext]) => ext.s !== 'type').map(([name]) => name);
    const world: ComponentWorld = { functions, interfaces, imports };
    for (const section of this.docSections) applyPackageDocs(world, section);
    return world;
  }

  /** A structural error found after reading (instantiation), reported at the current position. */
  invalid(message: string): never {
    return this.r.invalid(this.r.offset, message);
  }

  /** Spends work steps; throws once the budget is gone, so no input can keep the reader busy for long. */
  spend(steps = 1): void {
    this.fuel -= steps;
    if (this.fuel < 0) {
      this.r.unsupported(this.r.offset, `its types take more than ${WORK_BUDGET} steps to resolve`);
    }
  }

  /** Sets depth and size of a new node from its children and checks the limits. */
  measure<V extends Val>(v: V, children: readonly (Val | undefined)[]): V {
    this.spend();
    let d = 0;
    let s = 1;
    for (const child of children) {
      if (!child) continue;
      if (child.d > d) d = child.d;
      s += child.s;
    }
    v.d = d + 1;
    v.s = s;
    if (v.d > MAX_TYPE_DEPTH)
      this.r.unsupported(this.r.offset, `a type nests deeper than ${MAX_TYPE_DEPTH} levels`);
    if (v.s > MAX_TYPE_SIZE) this.r.unsupported(this.r.offset, `a type has more than ${MAX_TYPE_SIZE} parts`);
    return v;
  }

  private make<K extends Val['k']>(
    v: Omit<ValOf<K>, 'd' | 's'> & { k: K },
    children: readonly (Val | undefined)[],
  ): ValOf<K> {
    return this.measure({ ...v, d: 0, s: 0 } as unknown as ValOf<K>, children);
  }

  // -------------------------------------------------------------------------------------------
  // Sections

  /** The sections of a component whose preamble has been read, up to `end`. */
  private sections(scope: Scope, end: number, root: boolean): void {
    const r: Reader = this.r;
    const endName = root ? undefined : 'the nested component';
    while (r.offset < end) {
      r.limit = end;
      r.limitName = endName;
      const sectionStart = r.offset;
      const id = r.byte('a section id');
      const size = r.u32(`the size of section ${id}`);
      const contents = r.offset;
      const sectionEnd = contents + size;
      if (sectionEnd > end) {
        const where = end === this.bytes.length ? 'the binary ends' : 'the enclosing component ends';
        r.fail(
          sectionStart,
          `section ${id} with ${size} bytes of content`,
          `only ${end - contents} bytes before ${where} at byte offset ${end}`,
        );
      }
      r.limit = sectionEnd;
      r.limitName = `section ${id}`;
      switch (id) {
        case SECTION.custom: {
          const name = r.string('a custom section name');
          if (root && name === PACKAGE_DOCS_SECTION)
            this.docSections.push(this.bytes.subarray(r.offset, sectionEnd));
          r.offset = sectionEnd;
          break;
        }
        case SECTION.coreModule:
        case SECTION.coreInstance:
        case SECTION.coreType:
        case SECTION.start:
        case SECTION.value:
          r.offset = sectionEnd;
          break;
        case SECTION.component:
          scope.components.push(this.nestedComponent(scope, sectionEnd));
          break;
        case SECTION.instance:
          this.vec('an instance count', () => this.instance(scope));
          break;
        case SECTION.alias:
          this.vec('an alias count', () => this.alias(scope));
          break;
        case SECTION.type:
          this.vec('a type count', () => scope.types.push(this.defType(scope)));
          break;
        case SECTION.canon:
          this.vec('a canonical function count', () => this.canon(scope));
          break;
        case SECTION.import:
          this.vec('an import count', () => this.import(scope));
          break;
        case SECTION.export:
          this.vec('an export count', () => this.export(scope));
          break;
        default:
          r.fail(sectionStart, 'a section id (0 to 12)', `${id}`);
      }
      if (r.offset !== sectionEnd) {
        r.fail(
          r.offset,
          `the end of section ${id} at byte offset ${sectionEnd}`,
          `${sectionEnd - r.offset} more bytes`,
        );
      }
    }
    r.limit = end;
    r.limitName = endName;
  }

  private vec(what: string, item: () => void): void {
    const count = this.r.u32(what);
    // Each item reads at least one byte, so a bogus count ends at the section's end.
    for (let i = 0; i < count; i++) item();
  }

  private nestedComponent(parent: Scope, end: number): CompTy {
    const r: Reader = this.r;
    const at = r.offset;
    const preamble = this.bytes.subarray(at, Math.min(at + PREAMBLE_SIZE, end));
    const ok =
      preamble.length === PREAMBLE_SIZE &&
      MAGIC.every((b, i) => preamble[i] === b) &&
      preamble[6] === 0x01 &&
      preamble[7] === 0x00;
    if (!ok) r.fail(at, 'a nested component preamble (00 61 73 6d xx 00 01 00)', hex(preamble));
    r.offset += PREAMBLE_SIZE;
    const scope = this.child(parent, at);
    this.sections(scope, end, false);
    return { k: 'component', imports: scope.imports, exports: scope.exports };
  }

  private child(parent: Scope, at: number): Scope {
    if (parent.depth >= MAX_NESTING) {
      this.r.unsupported(at, `components and type declarations nest deeper than ${MAX_NESTING} levels`);
    }
    return new Scope(parent, parent.depth + 1);
  }

  // -------------------------------------------------------------------------------------------
  // Index spaces

  private get<T>(list: readonly T[], index: number, at: number, what: string): T {
    const item = list[index];
    if (item === undefined) {
      this.r.invalid(at, `${what} index ${index} is out of range (${list.length} defined at that point)`);
    }
    return item;
  }

  private typeEntry(scope: Scope, index: number, at: number): TypeEntry {
    return this.get(scope.types, index, at, 'type');
  }

  private funcType(scope: Scope, index: number, at: number): FuncTy {
    const t = this.typeEntry(scope, index, at);
    if (t.k !== 'func') this.r.invalid(at, `type index ${index} is ${describeEntry(t)}, not a function type`);
    return t;
  }

  private instanceType(scope: Scope, index: number, at: number): InstTy {
    const t = this.typeEntry(scope, index, at);
    if (t.k !== 'instance')
      this.r.invalid(at, `type index ${index} is ${describeEntry(t)}, not an instance type`);
    return t;
  }

  private componentType(scope: Scope, index: number, at: number): CompTy {
    const t = this.typeEntry(scope, index, at);
    if (t.k !== 'component')
      this.r.invalid(at, `type index ${index} is ${describeEntry(t)}, not a component type`);
    return t;
  }

  /** The item a `sortidx` refers to. */
  private lookup(scope: Scope): Ext {
    const r: Reader = this.r;
    const sortAt = r.offset;
    const { sort, coreSort, index, at } = r.sortIdx();
    switch (sort) {
      case 'func':
        return { s: 'func', t: this.get(scope.funcs, index, at, 'function') };
      case 'type':
        return { s: 'type', t: this.typeEntry(scope, index, at) };
      case 'instance':
        return { s: 'instance', t: this.get(scope.instances, index, at, 'instance') };
      case 'component':
        return { s: 'component', t: this.get(scope.components, index, at, 'component') };
      case 'value':
        return { s: 'value' };
      default:
        if (coreSort !== 0x11) r.fail(sortAt + 1, 'the core module sort 0x11', `0x${hex([coreSort ?? 0])}`);
        return { s: 'module' };
    }
  }

  // -------------------------------------------------------------------------------------------
  // Types

  private defType(scope: Scope): TypeEntry {
    const r: Reader = this.r;
    const at = r.offset;
    const code = r.byte('a type');
    switch (code) {
      case 0x3f: {
        r.byte('a resource representation (0x7f, i32)', [0x7f]);
        if (r.byte('an optional destructor (00 or 01)', [0x00, 0x01]) === 0x01) r.u32('a destructor index');
        return this.make({ k: 'resource', id: {} }, []);
      }
      case 0x40:
      case 0x43: // `async func`: read as a plain function, the model has no flag for it
        return this.funcTypeDef(scope);
      case 0x41:
        return this.componentTypeDef(scope, at);
      case 0x42:
        return this.instanceTypeDef(scope, at);
      default:
        return this.defValType(scope, code, at);
    }
  }

  private defValType(scope: Scope, code: number, at: number): Val {
    const r: Reader = this.r;
    const prim = PRIM_NODES.get(code);
    if (prim) return prim;
    switch (code) {
      case 0x64:
        return ERROR_CONTEXT;
      case 0x72: {
        const fields: { name: string; type: Val }[] = [];
        this.vec('a record field count', () => {
          const name = r.string('a field name');
          fields.push({ name, type: this.valType(scope, 'a field type') });
        });
        return this.make(
          { k: 'record', fields },
          fields.map((f) => f.type),
        );
      }
      case 0x71: {
        const cases: { name: string; type?: Val }[] = [];
        this.vec('a variant case count', () => {
          const name = r.string('a case name');
          const type = this.optionalValType(scope, 'a case type');
          r.byte('the end of a variant case (00)', [0x00]);
          cases.push(type ? { name, type } : { name });
        });
        return this.make(
          { k: 'variant', cases },
          cases.map((c) => c.type),
        );
      }
      case 0x70: {
        const element = this.valType(scope, 'a list element type');
        return this.make({ k: 'list', element }, [element]);
      }
      case 0x6f: {
        const types: Val[] = [];
        this.vec('a tuple length', () => types.push(this.valType(scope, 'a tuple element type')));
        return this.make({ k: 'tuple', types }, types);
      }
      case 0x6e: {
        const flags: string[] = [];
        this.vec('a flag count', () => flags.push(r.string('a flag name')));
        return this.make({ k: 'flags', flags }, []);
      }
      case 0x6d: {
        const cases: string[] = [];
        this.vec('an enum case count', () => cases.push(r.string('an enum case name')));
        return this.make({ k: 'enum', cases }, []);
      }
      case 0x6b: {
        const type = this.valType(scope, 'an option type');
        return this.make({ k: 'option', type }, [type]);
      }
      case 0x6a: {
        const ok = this.optionalValType(scope, 'a result ok type');
        const err = this.optionalValType(scope, 'a result error type');
        return this.make({ k: 'result', ...(ok && { ok }), ...(err && { err }) }, [ok, err]);
      }
      case 0x69:
      case 0x68: {
        const idxAt = r.offset;
        const index = r.u32('a resource type index');
        const target = this.typeEntry(scope, index, idxAt);
        if (!isVal(target) || !isResourceLike(target)) {
          r.invalid(
            idxAt,
            `a handle refers to type index ${index}, which is ${describeEntry(target)}, not a resource`,
          );
        }
        return this.make({ k: code === 0x69 ? 'own' : 'borrow', target }, []);
      }
      case 0x66:
      case 0x65: {
        const type = this.optionalValType(scope, `a ${code === 0x66 ? 'stream' : 'future'} element type`);
        return this.make({ k: code === 0x66 ? 'stream' : 'future', ...(type && { type }) }, [type]);
      }
      case 0x67:
        return r.unsupported(at, 'fixed-length list types are not supported');
      case 0x63:
        return r.unsupported(at, 'map types are not supported');
      default:
        return r.fail(
          at,
          'a type (a value type, or a function, component, instance or resource type)',
          `0x${hex([code])}`,
        );
    }
  }

  /** `valtype ::= i:<typeidx> | pvt:<primvaltype>`, the index an s33. */
  private valType(scope: Scope, what: string): Val {
    const r: Reader = this.r;
    const b = r.peek();
    if (b !== undefined && isPrimitiveValTypeByte(b)) {
      r.offset++;
      return b === 0x64 ? ERROR_CONTEXT : PRIM_NODES.get(b)!;
    }
    const at = r.offset;
    const index = r.s33(what);
    if (index < 0) r.fail(at, what, `0x${hex([this.bytes[at] ?? 0])}`);
    const t = this.typeEntry(scope, index, at);
    if (!isVal(t)) r.invalid(at, `type index ${index} is ${describeEntry(t)}, not a value type`);
    if (isResourceLike(t))
      r.invalid(at, `type index ${index} is a resource, usable only through own or borrow`);
    return t;
  }

  private optionalValType(scope: Scope, what: string): Val | undefined {
    const present = this.r.byte(`an optional ${what} (00 or 01)`, [0x00, 0x01]);
    return present === 0x01 ? this.valType(scope, what) : undefined;
  }

  private funcTypeDef(scope: Scope): FuncTy {
    const r: Reader = this.r;
    const params: { name: string; type: Val }[] = [];
    this.vec('a parameter count', () => {
      const name = r.string('a parameter name');
      params.push({ name, type: this.valType(scope, 'a parameter type') });
    });
    const tag = r.byte('a function result (00 or 01)', [0x00, 0x01]);
    if (tag === 0x00) return { k: 'func', params, result: this.valType(scope, 'a result type') };
    // 01 00 is no result; 01 followed by a count of named results is a format wasm-tools dropped.
    r.byte('no results (00)', [0x00]);
    return { k: 'func', params };
  }

  private componentTypeDef(scope: Scope, at: number): CompTy {
    const inner = this.child(scope, at);
    this.vec('a component type declaration count', () => this.declaration(inner, true));
    return { k: 'component', imports: inner.imports, exports: inner.exports };
  }

  private instanceTypeDef(scope: Scope, at: number): InstTy {
    const inner = this.child(scope, at);
    this.vec('an instance type declaration count', () => this.declaration(inner, false));
    return { k: 'instance', exports: inner.exports };
  }

  /** `componentdecl` (with imports) or `instancedecl`. */
  private declaration(scope: Scope, imports: boolean): void {
    const r: Reader = this.r;
    const tags = imports ? [0x00, 0x01, 0x02, 0x03, 0x04] : [0x00, 0x01, 0x02, 0x04];
    const tag = r.byte(
      imports ? 'a component type declaration (00 to 04)' : 'an instance type declaration (00, 01, 02 or 04)',
      tags,
    );
    switch (tag) {
      case 0x00:
        this.skipCoreType();
        return;
      case 0x01:
        scope.types.push(this.defType(scope));
        return;
      case 0x02:
        this.alias(scope);
        return;
      case 0x03:
        this.import(scope);
        return;
      default: {
        const nameAt = r.offset;
        const name = r.externName();
        const ext = this.externDesc(scope, name, true);
        this.addExport(scope, name, ext, nameAt);
        return;
      }
    }
  }

  /**
   * An `externdesc`, as the item it declares. Type bounds make symbolic types (`var`): declared
   * exports carry their name as a real WIT name, imports only as a fallback.
   */
  private externDesc(scope: Scope, name: string, exported: boolean): Ext {
    const r: Reader = this.r;
    const kind = r.byte('an extern type (00 to 05)', [0x00, 0x01, 0x02, 0x03, 0x04, 0x05]);
    const at = r.offset;
    switch (kind) {
      case 0x00:
        r.byte('the core module sort 0x11', [0x11]);
        r.u32('a core type index');
        return { s: 'module' };
      case 0x01:
        return { s: 'func', t: this.funcType(scope, r.u32('a function type index'), at) };
      case 0x02:
        this.valType(scope, 'a value type');
        return { s: 'value' };
      case 0x03: {
        const bound = r.byte('a type bound (00 or 01)', [0x00, 0x01]);
        const names = exported ? { name, importName: name } : { importName: name };
        if (bound === 0x01) return { s: 'type', t: this.newVar(names, undefined) };
        const indexAt = r.offset;
        const target = this.typeEntry(scope, r.u32('a type index'), indexAt);
        return { s: 'type', t: isVal(target) ? this.newVar(names, target) : target };
      }
      case 0x04:
        return { s: 'component', t: this.componentType(scope, r.u32('a component type index'), at) };
      default:
        return { s: 'instance', t: this.instanceType(scope, r.u32('an instance type index'), at) };
    }
  }

  private newVar(names: { name?: string; importName: string }, bound: Val | undefined): Val {
    return this.make({ k: 'var', id: this.nextVarId++, ...names, ...(bound && { bound }) }, [bound]);
  }

  private addExport(scope: Scope, name: string, ext: Ext, at: number): void {
    if (scope.exports.has(name)) this.r.invalid(at, `the export name "${name}" is used twice`);
    scope.exports.set(name, ext);
    scope.push(ext);
  }

  // -------------------------------------------------------------------------------------------
  // Aliases, imports, exports, instances, canonical functions

  private alias(scope: Scope): void {
    const r: Reader = this.r;
    const sortAt = r.offset;
    const { sort, coreSort } = r.sort();
    const target = r.byte('an alias target (00, 01 or 02)', [0x00, 0x01, 0x02]);
    if (target === 0x00) {
      if (sort === 'core' && coreSort !== 0x11)
        r.fail(sortAt + 1, 'the core module sort 0x11', `0x${hex([coreSort ?? 0])}`);
      const at = r.offset;
      const instance = this.get(scope.instances, r.u32('an instance index'), at, 'instance');
      const nameAt = r.offset;
      const name = r.string('an export name');
      const ext = instance.exports.get(name);
      if (!ext) r.invalid(nameAt, `the instance has no export named "${name}"`);
      const wanted = sort === 'core' ? 'module' : sort;
      if (ext.s !== wanted) r.invalid(nameAt, `the export "${name}" is a ${ext.s}, not a ${wanted}`);
      scope.push(ext);
      return;
    }
    if (target === 0x01) {
      if (sort !== 'core')
        r.fail(
          sortAt,
          'a core sort (00 xx) for a core instance export alias',
          `0x${hex([this.bytes[sortAt] ?? 0])}`,
        );
      r.u32('a core instance index');
      r.string('a core export name');
      return;
    }
    const countAt = r.offset;
    const count = r.u32('an outer alias count');
    const indexAt = r.offset;
    const index = r.u32('an outer alias index');
    let outer: Scope | undefined = scope;
    for (let i = 0; i < count && outer; i++) outer = outer.parent;
    if (!outer) r.invalid(countAt, `an outer alias reaches ${count} levels out of ${scope.depth}`);
    if (sort === 'type') scope.types.push(this.typeEntry(outer, index, indexAt));
    else if (sort === 'component')
      scope.components.push(this.get(outer.components, index, indexAt, 'component'));
    else if (sort !== 'core' || (coreSort !== 0x10 && coreSort !== 0x11)) {
      r.fail(sortAt, 'an outer alias of a type, component, core type or core module', sort);
    }
  }

  private import(scope: Scope): void {
    const name = this.r.externName();
    const ext = this.externDesc(scope, name, false);
    scope.imports.push([name, ext]);
    scope.push(ext);
  }

  private export(scope: Scope): void {
    const r: Reader = this.r;
    const nameAt = r.offset;
    const name = r.externName();
    const item = this.lookup(scope);
    let ext = item;
    if (r.byte('an optional export type (00 or 01)', [0x00, 0x01]) === 0x01) {
      const descAt = r.offset;
      const ascribed = this.externDesc(scope, name, true);
      if (ascribed.s !== item.s)
        r.invalid(descAt, `the export "${name}" is a ${item.s} ascribed a ${ascribed.s} type`);
      // A function or instance is seen from outside through its ascribed type (wit-component's
      // shims name their types this way); a type keeps what it is, and gets the export's name.
      if (ascribed.s === 'func' || ascribed.s === 'instance' || ascribed.s === 'component') ext = ascribed;
    }
    if (ext.s === 'type') ext = { s: 'type', t: this.named(ext.t, name) };
    this.addExport(scope, name, ext, nameAt);
  }

  /** Names a record, variant, enum, flags, resource or symbolic type; the first name sticks. */
  named<T extends TypeEntry>(t: T, name: string): T {
    if (!isVal(t)) return t;
    switch (t.k) {
      case 'resource':
        t.id.label ??= name;
        return t.name === undefined ? { ...t, name } : t;
      case 'record':
      case 'variant':
      case 'enum':
      case 'flags':
      case 'var':
        return t.name === undefined ? { ...t, name } : t;
      default:
        return t;
    }
  }

  private instance(scope: Scope): void {
    const r: Reader = this.r;
    const tag = r.byte('an instance (00 instantiate or 01 exports)', [0x00, 0x01]);
    if (tag === 0x01) {
      const exports = new Map<string, Ext>();
      this.vec('an instance export count', () => {
        const nameAt = r.offset;
        const name = r.externName();
        const item = this.lookup(scope);
        const ext: Ext = item.s === 'type' ? { s: 'type', t: this.named(item.t, name) } : item;
        if (exports.has(name)) r.invalid(nameAt, `the export name "${name}" is used twice`);
        exports.set(name, ext);
      });
      scope.instances.push({ k: 'instance', exports });
      return;
    }
    const at = r.offset;
    const component = this.get(scope.components, r.u32('a component index'), at, 'component');
    const args = new Map<string, Ext>();
    this.vec('an instantiation argument count', () => {
      const name = r.string('an instantiation argument name');
      args.set(name, this.lookup(scope));
    });
    scope.instances.push(new Substitution(this).instantiate(component, args));
  }

  private canon(scope: Scope): void {
    const r: Reader = this.r;
    const at = r.offset;
    const op = r.byte('a canonical function');
    switch (op) {
      case 0x00: {
        r.byte('canon lift (00 00)', [0x00]);
        r.u32('a core function index');
        this.canonOptions();
        const typeAt = r.offset;
        scope.funcs.push(this.funcType(scope, r.u32('a function type index'), typeAt));
        return;
      }
      case 0x01:
        r.byte('canon lower (01 00)', [0x00]);
        r.u32('a function index');
        this.canonOptions();
        return;
      // Everything else makes a core function, which nothing here needs: read past it.
      case 0x02: // resource.new
      case 0x03: // resource.drop
      case 0x04: // resource.rep
      case 0x0e: // stream.new
      case 0x13: // stream.drop-readable
      case 0x14: // stream.drop-writable
      case 0x15: // future.new
      case 0x1a: // future.drop-readable
      case 0x1b: // future.drop-writable
      case 0x40: // thread.spawn-ref
        r.u32('a type index');
        return;
      case 0x05: // task.cancel
      case 0x0d: // subtask.drop
      case 0x1e: // error-context.drop
      case 0x1f: // waitable-set.new
      case 0x22: // waitable-set.drop
      case 0x23: // waitable.join
      case 0x24: // backpressure.inc
      case 0x25: // backpressure.dec
      case 0x26: // thread.index
      case 0x28: // thread.resume-later
      case 0x42: // thread.available-parallelism
        return;
      case 0x06: // subtask.cancel
      case 0x0c: // thread.yield
      case 0x29: // thread.suspend
      case 0x2a:
      case 0x2b:
      case 0x2c:
      case 0x2d:
        r.byte('a flag (00 or 01)', [0x00, 0x01]);
        return;
      case 0x09: {
        // task.return
        if (r.byte('a result list (00 or 01)', [0x00, 0x01]) === 0x00) this.valType(scope, 'a result type');
        else r.byte('no results (00)', [0x00]);
        this.canonOptions();
        return;
      }
      case 0x0a: // context.get
      case 0x0b: // context.set
        this.skipCoreValType();
        r.u32('a context slot');
        return;
      case 0x0f: // stream.read
      case 0x10: // stream.write
      case 0x16: // future.read
      case 0x17: // future.write
        r.u32('a type index');
        this.canonOptions();
        return;
      case 0x11: // stream.cancel-read
      case 0x12: // stream.cancel-write
      case 0x18: // future.cancel-read
      case 0x19: // future.cancel-write
        r.u32('a type index');
        r.byte('a flag (00 or 01)', [0x00, 0x01]);
        return;
      case 0x1c: // error-context.new
      case 0x1d: // error-context.debug-message
        this.canonOptions();
        return;
      case 0x20: // waitable-set.wait
      case 0x21: // waitable-set.poll
        r.byte('a flag (00 or 01)', [0x00, 0x01]);
        r.u32('a memory index');
        return;
      case 0x27: // thread.new-indirect
      case 0x41: // thread.spawn-indirect
        r.u32('a type index');
        r.u32('a table index');
        return;
      default:
        r.fail(at, 'a canonical function (00 to 2d, 40 to 42)', `0x${hex([op])}`);
    }
  }

  private canonOptions(): void {
    const r: Reader = this.r;
    this.vec('a canonical option count', () => {
      const opt = r.byte(
        'a canonical option (00 to 09)',
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09],
      );
      if (opt === 0x03 || opt === 0x04 || opt === 0x05 || opt === 0x07 || opt === 0x08)
        r.u32('an option index');
    });
  }

  // -------------------------------------------------------------------------------------------
  // Core types inside component and instance type declarations (elsewhere they are skipped by size)

  private skipCoreType(): void {
    const r: Reader = this.r;
    const b = r.peek();
    if (b === 0x50) {
      r.offset++;
      this.vec('a module type declaration count', () => this.skipModuleDecl());
      return;
    }
    if (b === 0x00) {
      // A non-final GC sub type, prefixed so it does not read as a module type.
      r.offset++;
      r.byte('a non-final sub type (0x50)', [0x50]);
      this.skipSubTypeBody();
      return;
    }
    this.skipRecGroup();
  }

  private skipModuleDecl(): void {
    const r: Reader = this.r;
    const tag = r.byte('a module type declaration (00 to 03)', [0x00, 0x01, 0x02, 0x03]);
    switch (tag) {
      case 0x00:
        r.string('an import module name');
        r.string('an import name');
        this.skipCoreTypeRef();
        return;
      case 0x01:
        this.skipRecGroup();
        return;
      case 0x02:
        r.byte('the core type sort 0x10', [0x10]);
        r.byte('an outer alias (01)', [0x01]);
        r.u32('an outer alias count');
        r.u32('an outer alias index');
        return;
      default:
        r.string('an export name');
        this.skipCoreTypeRef();
    }
  }

  private skipCoreTypeRef(): void {
    const r: Reader = this.r;
    const kind = r.byte('a core import kind (00 to 04, 20)', [0x00, 0x01, 0x02, 0x03, 0x04, 0x20]);
    switch (kind) {
      case 0x00:
      case 0x20:
        r.u32('a core type index');
        return;
      case 0x01: {
        this.skipRefType();
        const flags = r.byte('table limits flags');
        if (flags & ~0b111) r.fail(r.offset - 1, 'table limits flags', `0x${hex([flags])}`);
        r.skipU64('a table minimum');
        if (flags & 1) r.skipU64('a table maximum');
        return;
      }
      case 0x02: {
        const flags = r.byte('memory limits flags');
        if (flags & ~0b1111) r.fail(r.offset - 1, 'memory limits flags', `0x${hex([flags])}`);
        r.skipU64('a memory minimum');
        if (flags & 1) r.skipU64('a memory maximum');
        if (flags & 8) r.u32('a page size');
        return;
      }
      case 0x03:
        this.skipCoreValType();
        r.byte('global flags (00 to 03)', [0x00, 0x01, 0x02, 0x03]);
        return;
      default:
        r.byte('tag attributes (00)', [0x00]);
        r.u32('a core type index');
    }
  }

  private skipRecGroup(): void {
    const r: Reader = this.r;
    if (r.peek() === 0x4e) {
      r.offset++;
      this.vec('a rec group size', () => this.skipSubType());
      return;
    }
    this.skipSubType();
  }

  private skipSubType(): void {
    const r: Reader = this.r;
    const b = r.peek();
    if (b === 0x50 || b === 0x4f) {
      r.offset++;
      this.skipSubTypeBody();
      return;
    }
    this.skipCompositeType();
  }

  /** After 0x50 / 0x4f: supertypes, then the composite type. */
  private skipSubTypeBody(): void {
    this.vec('a supertype count', () => this.r.u32('a supertype index'));
    this.skipCompositeType();
  }

  private skipCompositeType(): void {
    const r: Reader = this.r;
    const at = r.offset;
    let op = r.byte('a core type');
    if (op === 0x65) op = r.byte('a shared core type');
    if (op === 0x4c) {
      r.u32('a described type index');
      op = r.byte('a core type');
    }
    if (op === 0x4d) {
      r.u32('a descriptor type index');
      op = r.byte('a core type');
    }
    switch (op) {
      case 0x60:
        this.vec('a core parameter count', () => this.skipCoreValType());
        this.vec('a core result count', () => this.skipCoreValType());
        return;
      case 0x5f:
        this.vec('a struct field count', () => this.skipFieldType());
        return;
      case 0x5e:
        this.skipFieldType();
        return;
      case 0x5d:
        r.s33('a continuation type index');
        return;
      default:
        r.fail(at, 'a core type (func 0x60, struct 0x5f, array 0x5e or cont 0x5d)', `0x${hex([op])}`);
    }
  }

  private skipFieldType(): void {
    const r: Reader = this.r;
    const b = r.peek();
    if (b === 0x78 || b === 0x77) r.offset++;
    else this.skipCoreValType();
    r.byte('a field mutability (00 or 01)', [0x00, 0x01]);
  }

  private skipCoreValType(): void {
    const b = this.r.peek();
    if (b !== undefined && b >= 0x7b && b <= 0x7f) {
      this.r.offset++;
      return;
    }
    this.skipRefType();
  }

  private skipRefType(): void {
    const r: Reader = this.r;
    const b = r.peek();
    if (b === 0x63 || b === 0x64) {
      r.offset++;
      this.skipHeapType();
      return;
    }
    if (b === 0x65) r.offset++;
    this.skipAbstractHeapType();
  }

  private skipHeapType(): void {
    const r: Reader = this.r;
    const b = r.peek();
    if (b === 0x65) {
      r.offset++;
      this.skipAbstractHeapType();
      return;
    }
    if (b === 0x62) {
      r.offset++;
      r.u32('an exact type index');
      return;
    }
    if (b !== undefined && b >= 0x68 && b <= 0x75) {
      r.offset++;
      return;
    }
    const at = r.offset;
    if (r.s33('a heap type') < 0) r.fail(at, 'a heap type', `0x${hex([this.bytes[at] ?? 0])}`);
  }

  private skipAbstractHeapType(): void {
    const allowed = [0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75];
    this.r.byte('a core value or reference type', allowed);
  }
}

/** Replaces the symbolic imported types of a component by its instantiation arguments. */
class Substitution {
  private readonly map = new Map<number, Val>();
  private readonly memo = new Map<object, unknown>();

  constructor(private readonly owner: WorldReader) {}

  instantiate(component: CompTy, args: Map<string, Ext>): InstTy {
    for (const [name, imported] of component.imports) {
      const arg = args.get(name);
      if (arg) this.bind(imported, arg, name);
    }
    if (this.map.size === 0) return { k: 'instance', exports: component.exports };
    const exports = new Map<string, Ext>();
    for (const [name, ext] of component.exports) exports.set(name, this.ext(ext));
    return { k: 'instance', exports };
  }

  private bind(imported: Ext, arg: Ext, name: string): void {
    this.owner.spend();
    if (imported.s === 'type' && arg.s === 'type') {
      const v = imported.t;
      if (!isVal(v) || v.k !== 'var') return;
      // wasm-tools would refuse a mismatch; here it would turn a value into a handle or back.
      if (!isVal(arg.t) || isResourceLike(arg.t) !== isResourceLike(v)) {
        this.owner.invalid(
          `the instantiation argument "${name}" is ${describeEntry(arg.t)}, not ${describeEntry(v)}`,
        );
      }
      this.map.set(v.id, arg.t);
    } else if (imported.s === 'instance' && arg.s === 'instance') {
      for (const [name, inner] of imported.t.exports) {
        const given = arg.t.exports.get(name);
        if (given) this.bind(inner, given, name);
      }
    }
  }

  private ext(ext: Ext): Ext {
    switch (ext.s) {
      case 'func':
        return { s: 'func', t: this.func(ext.t) };
      case 'type':
        return { s: 'type', t: this.entry(ext.t) };
      case 'instance':
        return { s: 'instance', t: this.inst(ext.t) };
      default:
        return ext;
    }
  }

  private entry(t: TypeEntry): TypeEntry {
    switch (t.k) {
      case 'func':
        return this.func(t);
      case 'instance':
        return this.inst(t);
      case 'component':
        return t;
      default:
        return this.val(t);
    }
  }

  private func(f: FuncTy): FuncTy {
    this.owner.spend(1 + f.params.length);
    const params = f.params.map((p) => ({ name: p.name, type: this.val(p.type) }));
    const result = f.result && this.val(f.result);
    return { k: 'func', params, ...(result && { result }) };
  }

  private inst(i: InstTy): InstTy {
    const cached = this.memo.get(i);
    if (cached) return cached as InstTy;
    this.owner.spend(1 + i.exports.size);
    const exports = new Map<string, Ext>();
    const out: InstTy = { k: 'instance', exports };
    this.memo.set(i, out);
    for (const [name, ext] of i.exports) exports.set(name, this.ext(ext));
    return out;
  }

  private val(v: Val): Val {
    const cached = this.memo.get(v);
    if (cached) return cached as Val;
    const out = this.substitute(v);
    this.memo.set(v, out);
    return out;
  }

  private substitute(v: Val): Val {
    // Proportional to the node's own size, so a record of many fields costs what it is.
    this.owner.spend(1 + childCount(v));
    const o = this.owner;
    const val = (x: Val): Val => this.val(x);
    const opt = (x: Val | undefined): Val | undefined => x && this.val(x);
    switch (v.k) {
      case 'var': {
        const arg = this.map.get(v.id);
        if (arg) return v.name === undefined ? arg : o.named(arg, v.name);
        if (!v.bound) return v;
        const bound = val(v.bound);
        return bound === v.bound ? v : o.measure({ ...v, bound }, [bound]);
      }
      case 'list': {
        const element = val(v.element);
        return element === v.element ? v : o.measure({ ...v, element }, [element]);
      }
      case 'option': {
        const type = val(v.type);
        return type === v.type ? v : o.measure({ ...v, type }, [type]);
      }
      case 'tuple': {
        const types = v.types.map(val);
        return types.every((t, i) => t === v.types[i]) ? v : o.measure({ ...v, types }, types);
      }
      case 'record': {
        const fields = v.fields.map((f) => ({ name: f.name, type: val(f.type) }));
        if (fields.every((f, i) => f.type === v.fields[i]?.type)) return v;
        return o.measure(
          { ...v, fields },
          fields.map((f) => f.type),
        );
      }
      case 'variant': {
        const cases = v.cases.map((c) => {
          const type = opt(c.type);
          return type ? { name: c.name, type } : { name: c.name };
        });
        if (cases.every((c, i) => c.type === v.cases[i]?.type)) return v;
        return o.measure(
          { ...v, cases },
          cases.map((c) => c.type),
        );
      }
      case 'result': {
        const ok = opt(v.ok);
        const err = opt(v.err);
        if (ok === v.ok && err === v.err) return v;
        return o.measure({ k: 'result', d: 0, s: 0, ...(ok && { ok }), ...(err && { err }) }, [ok, err]);
      }
      case 'future':
      case 'stream': {
        const type = opt(v.type);
        return type === v.type ? v : o.measure({ ...v, ...(type && { type }) }, [type]);
      }
      case 'own':
      case 'borrow': {
        const target = val(v.target);
        return target === v.target ? v : { ...v, target };
      }
      default:
        return v;
    }
  }
}

/** Converts internal types to the WIT model, once per node, so shared types stay shared. */
class Output {
  private readonly memo = new Map<Val, WitType>();

  constructor(private readonly owner: WorldReader) {}

  func(name: string, f: FuncTy): WitFunction {
    const params: WitParam[] = f.params.map((p) => ({ name: p.name, type: this.type(p.type) }));
    return f.result ? { name, params, result: this.type(f.result) } : { name, params };
  }

  type(v: Val): WitType {
    const cached = this.memo.get(v);
    if (cached) return cached;
    this.owner.spend(1 + childCount(v));
    const out = this.convert(v);
    this.memo.set(v, out);
    return out;
  }

  private convert(v: Val): WitType {
    const named = <T extends object>(name: string | undefined, t: T): T =>
      name === undefined ? t : { ...t, name };
    switch (v.k) {
      case 'prim':
        return { kind: v.p };
      case 'error-context':
        return { kind: 'error-context' };
      case 'list':
        return { kind: 'list', element: this.type(v.element) };
      case 'tuple':
        return { kind: 'tuple', types: v.types.map((t) => this.type(t)) };
      case 'option':
        return { kind: 'option', type: this.type(v.type) };
      case 'result': {
        const out: WitType = { kind: 'result' };
        if (v.ok) out.ok = this.type(v.ok);
        if (v.err) out.err = this.type(v.err);
        return out;
      }
      case 'record':
        return named(v.name, {
          kind: 'record' as const,
          fields: v.fields.map((f) => ({ name: f.name, type: this.type(f.type) })),
        });
      case 'variant':
        return named(v.name, {
          kind: 'variant' as const,
          cases: v.cases.map((c) => (c.type ? { name: c.name, type: this.type(c.type) } : { name: c.name })),
        });
      case 'enum':
        return named(v.name, { kind: 'enum' as const, cases: [...v.cases] });
      case 'flags':
        return named(v.name, { kind: 'flags' as const, flags: [...v.flags] });
      case 'own':
      case 'borrow':
        return { kind: v.k, resource: resourceName(v.target) ?? 'resource' };
      case 'future':
      case 'stream':
        return v.type ? { kind: v.k, type: this.type(v.type) } : { kind: v.k };
      case 'var': {
        // valType() refuses resources as values, so a var here has an `eq` bound to a value type.
        if (!v.bound) return this.owner.invalid('a resource type is used as a value type');
        const inner = this.type(v.bound);
        const name = v.name ?? v.importName;
        switch (inner.kind) {
          case 'record':
          case 'variant':
          case 'enum':
          case 'flags':
            return inner.name === undefined ? { ...inner, name } : inner;
          default:
            return inner;
        }
      }
      case 'resource':
        // Resources are reached only through handles: valType() and bind() keep them out of values.
        return this.owner.invalid('a resource type is used as a value type');
    }
  }
}

function childCount(v: Val): number {
  switch (v.k) {
    case 'tuple':
      return v.types.length;
    case 'record':
      return v.fields.length;
    case 'variant':
      return v.cases.length;
    case 'enum':
      return v.cases.length;
    case 'flags':
      return v.flags.length;
    default:
      return 1;
  }
}

function resourceName(v: Val): string | undefined {
  if (v.k === 'resource') return v.name ?? v.id.label;
  if (v.k === 'var') return v.name ?? (v.bound && resourceName(v.bound)) ?? v.importName;
  return undefined;
}

function describeEntry(t: TypeEntry): string {
  switch (t.k) {
    case 'func':
      return 'a function type';
    case 'instance':
    case 'enum':
      return `an ${t.k} type`;
    case 'var':
      return t.bound ? describeEntry(t.bound) : 'a resource type';
    case 'prim':
      return `the primitive type ${t.p}`;
    default:
      return `a ${t.k} type`;
  }
}

// ---------------------------------------------------------------------------------------------
// package-docs: a version byte (0 or 1) and JSON, as wit-component's PackageMetadata writes it:
// { package?, docs?, worlds?: { <world>: { docs?, funcs?, interfaces?, func_exports?,
//   interface_exports?, types? } }, interfaces?: { <interface>: { docs?, funcs?, types? } } }
// where a function's entry is a string or null (version 0) or { docs?, stability? } (version 1).

type Json = Record<string, unknown>;

function obj(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function own(record: Json | undefined, key: string): unknown {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function functionDocs(entry: unknown): string | undefined {
  return str(entry) ?? str(own(obj(entry), 'docs'));
}

/**
 * Fills `docs` from one package-docs section. Docs are best effort: a section that is not valid
 * JSON, or of an unknown version, is ignored rather than failing the whole read.
 */
function applyPackageDocs(world: ComponentWorld, section: Uint8Array): void {
  const version = section[0];
  if (version !== 0 && version !== 1) return;
  let meta: Json | undefined;
  try {
    meta = obj(JSON.parse(new TextDecoder().decode(section.subarray(1))));
  } catch {
    return;
  }
  if (!meta) return;
  const pkg = str(own(meta, 'package'));
  const interfaces = obj(own(meta, 'interfaces'));
  const worlds = obj(own(meta, 'worlds'));

  // The component's world is not named in the binary: take the world that documents most of its exports.
  const topNames = world.functions.map((f) => f.name);
  const inlineNames = world.interfaces.filter((i) => !i.name.includes(':')).map((i) => i.name);
  let best: Json | undefined;
  let bestScore = 0;
  for (const key of Object.keys(worlds ?? {})) {
    const w = obj(own(worlds, key));
    const score =
      topNames.filter((n) => own(obj(own(w, 'func_exports')), n) ?? own(obj(own(w, 'funcs')), n)).length +
      inlineNames.filter((n) => own(obj(own(w, 'interface_exports')), n) ?? own(obj(own(w, 'interfaces')), n))
        .length;
    if (score > bestScore) {
      best = w;
      bestScore = score;
    }
  }

  for (const fn of world.functions) {
    const docs = functionDocs(
      own(obj(own(best, 'func_exports')), fn.name) ?? own(obj(own(best, 'funcs')), fn.name),
    );
    if (docs !== undefined) fn.docs = docs;
  }
  for (const iface of world.interfaces) {
    let entry: Json | undefined;
    const parsed = /^([^:/@]+:[^/@]+)\/([^@]+)(?:@(.+))?$/.exec(iface.name);
    if (parsed) {
      const [, namespaceAndName, ifaceName, ifaceVersion] = parsed;
      const ifacePackage = ifaceVersion ? `${namespaceAndName}@${ifaceVersion}` : namespaceAndName;
      if (pkg === undefined || pkg === ifacePackage) entry = obj(own(interfaces, ifaceName ?? ''));
    } else {
      entry = obj(
        own(obj(own(best, 'interface_exports')), iface.name) ?? own(obj(own(best, 'interfaces')), iface.name),
      );
    }
    if (!entry) continue;
    const docs = str(own(entry, 'docs'));
    if (docs !== undefined) iface.docs = docs;
    const funcs = obj(own(entry, 'funcs'));
    for (const fn of iface.functions) {
      const fnDocs = functionDocs(own(funcs, fn.name));
      if (fnDocs !== undefined) fn.docs = fnDocs;
    }
  }
}
