// Guest code of the `resources` fixture (world `resources` in wit/resources.wit), compiled by
// componentize-js. Counters live in the instance; `live` counts those the host has not dropped.

let live = 0;

class Counter {
  #value;

  constructor(start) {
    this.#value = start >>> 0;
    live += 1;
  }

  get() {
    return this.#value;
  }

  add(by) {
    this.#value = (this.#value + by) >>> 0;
  }

  static merge(a, b) {
    return new Counter(a.get() + b.get());
  }
}

export const counters = {
  Counter,
  make(start) {
    return new Counter(start);
  },
  peek(c) {
    return c.get();
  },
  consume(c) {
    live -= 1;
    return c.get();
  },
  live() {
    return live;
  },
};
