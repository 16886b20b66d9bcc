/**
 * wasi:config/store (0.2.0-draft): the configuration and secrets a human set for this component,
 * and nothing else. The same values are in its environment; this is the interface made for them.
 */
export interface ConfigOptions {
  /** The variables set for the component (wtools secret / wtools config). */
  config: ReadonlyArray<readonly [string, string]>;
}

export function configImports(options: ConfigOptions): Record<string, Record<string, unknown>> {
  const values = new Map(options.config);
  return {
    'wasi:config/store': {
      // result<option<string>, error>: jco returns the option's value, or undefined for none.
      get: (key: string) => values.get(key),
      getAll: () => [...values].map(([k, v]) => [k, v]),
    },
  };
}
