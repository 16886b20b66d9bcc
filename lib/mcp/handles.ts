/**
 * Resource handles as an MCP session sees them: short opaque strings (`counter-1`) in a table of
 * that session and component. Each names a reference to a resource object that lives in the
 * session's own instance; another session's table cannot name it, and the table goes when the
 * session ends (with the instance, which drops the objects).
 */
import { type HandleTable, invalidValue } from '../component/index.js';
import { ComponentError } from '../core/index.js';
import { type ResourceRef, isResourceRef } from '../runtime/index.js';

export class SessionHandles implements HandleTable {
  readonly #entries = new Map<string, { resource: string; ref: string }>();
  #next = 1;

  toHandle(resource: string, value: unknown): string {
    if (!isResourceRef(value)) {
      throw new ComponentError(
        'INVALID_ARGUMENT',
        `the component returned a ${resource} that is not a resource`,
      );
    }
    const handle = `${resource}-${this.#next++}`;
    this.#entries.set(handle, { resource, ref: value.$resource });
    return handle;
  }

  fromHandle(resource: string, handle: string, path: string, owned: boolean): ResourceRef {
    const entry = this.#entries.get(handle);
    if (!entry) {
      const held = [...this.#entries.keys()].filter((h) => this.#entries.get(h)!.resource === resource);
      throw invalidValue(
        path,
        `no ${resource} handle "${handle}" in this session; it holds ${held.length ? held.join(', ') : 'none'} ` +
          '(handles are made by the tools that return them, and end with the session)',
      );
    }
    if (entry.resource !== resource) {
      throw invalidValue(path, `expected a ${resource} handle, found "${handle}", a ${entry.resource}`);
    }
    // An own<R> parameter gives the resource to the guest: the handle is used up.
    if (owned) this.#entries.delete(handle);
    return owned ? { $resource: entry.ref, own: true } : { $resource: entry.ref };
  }

  get size(): number {
    return this.#entries.size;
  }
}
