// A starting point for a wtools MCP tool in JavaScript: copy this folder, rename the world in
// wit/my-tool.wit, and build it with componentize-js (see README.md).
import { log } from 'wtools:mcp/log@0.1.0';
import { report } from 'wtools:mcp/progress@0.1.0';
import { createMessage } from 'wtools:mcp/sampling@0.1.0';

/** Thrown from an export returning result<T, E>: the payload becomes the err value. */
class ComponentError extends Error {
  constructor(payload) {
    super(payload);
    this.payload = payload;
  }
}

export function greet(name) {
  log('info', `greeting ${name}`);
  const greeting = `Hello, ${name}!`;
  return {
    content: [{ tag: 'text', val: greeting }],
    structured: JSON.stringify({ name, greeting }),
  };
}

export function summarize(text) {
  report(0, 1, 'asking the model');
  try {
    const answer = createMessage({
      messages: [{ role: 'user', text: `Summarize in one sentence:\n\n${text}` }],
      systemPrompt: undefined,
      maxTokens: 200,
      temperature: undefined,
      modelHint: undefined,
    });
    report(1, 1, 'done');
    return answer.text;
  } catch (err) {
    // not-granted, not-supported, or failed(reason): say which, so the agent can ask for a grant.
    const error = err.payload ?? err;
    throw new ComponentError(error.tag === 'failed' ? `failed: ${error.val}` : error.tag);
  }
}
