// The `fetch` starter component (world `fetch` in wit/starter/fetch.wit), compiled by
// componentize-js. Every request is an outgoing wasi:http request that the host checks against
// this component's grants, hop by hop.
/* global fetch, URL */

const MAX_BODY_CHARS = 1024 * 1024;
const MAX_REDIRECTS = 20; // as in the Fetch standard
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Thrown from an export returning result<T, E>: the payload becomes the err value. */
class ComponentError extends Error {
  constructor(payload) {
    super(payload);
    this.payload = payload;
  }
}

/**
 * fetch() that follows redirects itself (StarlingMonkey's returns 3xx as they are). A 303, or a
 * 301/302 after a POST, turns the next hop into a GET without a body, as browsers do.
 */
async function request(url, init) {
  let current = url;
  let options = init;
  for (let hops = 0; ; hops++) {
    const response = await fetch(current, options);
    const location = response.headers.get('location');
    if (!REDIRECT_STATUSES.has(response.status) || location === null) return response;
    if (hops === MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects from ${url}`);
    await response.arrayBuffer();
    if (response.status === 303 || (options.method === 'POST' && response.status <= 302)) {
      options = { method: 'GET', headers: options.headers };
    }
    current = new URL(location, current).href;
  }
}

async function perform(url, init) {
  try {
    new URL(url);
  } catch {
    throw new ComponentError(`expected an absolute http:// or https:// URL, found "${url}"`);
  }
  let response;
  try {
    response = await request(url, init);
  } catch (err) {
    throw new ComponentError(
      `${init.method} ${url} failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const text = await response.text();
  const headers = [];
  response.headers.forEach((value, name) => headers.push([name, value]));
  return {
    status: response.status,
    headers,
    body: text.slice(0, MAX_BODY_CHARS),
    truncated: text.length > MAX_BODY_CHARS,
  };
}

export function get(url, headers) {
  return perform(url, { method: 'GET', headers });
}

export function post(url, body, contentType, headers) {
  const all = [['content-type', contentType ?? 'text/plain; charset=utf-8'], ...headers];
  return perform(url, { method: 'POST', headers: all, body });
}
