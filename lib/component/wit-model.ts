/**
 * The structured WIT types of a component, as read from its binary: what the tool schemas, the
 * value conversion and `wtools inspect` are built from. Names are WIT's (kebab-case).
 */

export type PrimitiveKind =
  'bool' | 's8' | 'u8' | 's16' | 'u16' | 's32' | 'u32' | 's64' | 'u64' | 'f32' | 'f64' | 'char' | 'string';

export type WitType =
  | { kind: PrimitiveKind }
  | { kind: 'list'; element: WitType }
  | { kind: 'tuple'; types: WitType[] }
  /** `name` is set when the type was given one (exported from an interface or world). */
  | { kind: 'record'; name?: string; fields: { name: string; type: WitType }[] }
  | { kind: 'variant'; name?: string; cases: { name: string; type?: WitType }[] }
  | { kind: 'enum'; name?: string; cases: string[] }
  | { kind: 'flags'; name?: string; flags: string[] }
  | { kind: 'option'; type: WitType }
  | { kind: 'result'; ok?: WitType; err?: WitType }
  /** Handles to a resource; `resource` is the resource type's name. */
  | { kind: 'own' | 'borrow'; resource: string }
  /** Component-model async types: recognised so they can be refused by name, never mapped. */
  | { kind: 'future' | 'stream'; type?: WitType }
  | { kind: 'error-context' };

export interface WitParam {
  name: string;
  type: WitType;
}

export interface WitFunction {
  /**
   * As exported: `add`, `read-file`; resource functions keep their WIT mangling:
   * `[constructor]counter`, `[method]counter.get`, `[static]counter.make`.
   */
  name: string;
  params: WitParam[];
  result?: WitType;
  /** From the `package-docs` custom section, when the component has one. */
  docs?: string;
}

export interface WitInterfaceExport {
  /** `wtools:fixtures/shapes@0.1.0`, or a plain name for an interface defined inline in the world. */
  name: string;
  functions: WitFunction[];
  docs?: string;
}

export interface ComponentWorld {
  /** Functions exported at the top level of the world. */
  functions: WitFunction[];
  /** Exported interfaces (instances), with their functions. */
  interfaces: WitInterfaceExport[];
  /** Names of every import, versioned: what the component may ask the host for. */
  imports: string[];
}
