// Guest code of the `config` fixture (world `config-demo` in wit/config.wit), compiled by
// componentize-js: it only reads wasi:config/store.
import { get as storeGet, getAll } from 'wasi:config/store@0.2.0-draft';

export function get(key) {
  return storeGet(key);
}

export function all() {
  return getAll().sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
