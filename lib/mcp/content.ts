/**
 * wtools:mcp/content results as MCP tool result content. A function that returns the package's
 * `tool-result` record or a `list<content>` (alone, or as the ok case of a `result`) is served with
 * its content blocks, one to one, instead of a JSON rendering of its value.
 *
 * The types are recognised by name and shape, the way they arrive in the binary: a record named
 * `tool-result` whose `content` field is a list of the variant named `content` with the package's
 * cases. A look-alike of a component's own is served the same way, which is what it asks for.
 */
import { type WitType, bytesToBase64 } from '../component/index.js';
import type { ContentBlock } from './provider.js';

export type ContentShape = 'tool-result' | 'content-list';

const CONTENT_CASES = ['text', 'image', 'audio', 'resource', 'resource-link'];

function isContentVariant(type: WitType): boolean {
  return (
    type.kind === 'variant' &&
    type.name === 'content' &&
    type.cases.length === CONTENT_CASES.length &&
    type.cases.every((c, i) => c.name === CONTENT_CASES[i])
  );
}

function isContentList(type: WitType | undefined): boolean {
  return type?.kind === 'list' && isContentVariant(type.element);
}

/** Whether a function's result (the ok case of a `result`) is wtools:mcp content, and which form. */
export function contentShapeOf(result: WitType | undefined): ContentShape | undefined {
  const returned = result?.kind === 'result' ? result.ok : result;
  if (!returned) return undefined;
  if (isContentList(returned)) return 'content-list';
  if (
    returned.kind === 'record' &&
    returned.name === 'tool-result' &&
    returned.fields.length === 2 &&
    returned.fields[0]?.name === 'content' &&
    isContentList(returned.fields[0].type) &&
    returned.fields[1]?.name === 'structured' &&
    returned.fields[1].type.kind === 'option' &&
    returned.fields[1].type.type.kind === 'string'
  ) {
    return 'tool-result';
  }
  return undefined;
}

/** A wtools:mcp/content block as jco hands it over: variants `{tag, val}`, records camelCase. */
type GuestContent =
  | { tag: 'text'; val: string }
  | { tag: 'image' | 'audio'; val: { data: Uint8Array; mimeType: string } }
  | {
      tag: 'resource';
      val: {
        uri: string;
        mimeType?: string;
        contents: { tag: 'text'; val: string } | { tag: 'blob'; val: Uint8Array };
      };
    }
  | { tag: 'resource-link'; val: { uri: string; name: string; description?: string; mimeType?: string } };

/** A guest's structured value that is not a JSON object: the call fails, naming what came back. */
export class ContentError extends Error {}

function toBlock(content: GuestContent): ContentBlock {
  switch (content.tag) {
    case 'text':
      return { type: 'text', text: content.val };
    case 'image':
    case 'audio':
      return { type: content.tag, data: bytesToBase64(content.val.data), mimeType: content.val.mimeType };
    case 'resource': {
      const { uri, mimeType, contents } = content.val;
      const common = { uri, ...(mimeType !== undefined ? { mimeType } : {}) };
      return {
        type: 'resource',
        resource:
          contents.tag === 'text'
            ? { ...common, text: contents.val }
            : { ...common, blob: bytesToBase64(contents.val) },
      };
    }
    case 'resource-link': {
      const { uri, name, description, mimeType } = content.val;
      return {
        type: 'resource_link',
        uri,
        name,
        ...(description !== undefined ? { description } : {}),
        ...(mimeType !== undefined ? { mimeType } : {}),
      };
    }
  }
}

/** The MCP content (and structuredContent) of a content-shaped guest value. */
export function toolResultContent(
  shape: ContentShape,
  value: unknown,
): { content: ContentBlock[]; structuredContent?: Record<string, unknown> } {
  if (shape === 'content-list') return { content: (value as GuestContent[]).map(toBlock) };
  const result = value as { content: GuestContent[]; structured?: string };
  const content = result.content.map(toBlock);
  if (result.structured === undefined) return { content };
  let structured: unknown;
  try {
    structured = JSON.parse(result.structured);
  } catch (err) {
    throw new ContentError(`its structured value is not JSON: ${(err as Error).message}`);
  }
  if (!structured || typeof structured !== 'object' || Array.isArray(structured)) {
    throw new ContentError(
      `its structured value must be a JSON object; it returned ${result.structured.slice(0, 80)}`,
    );
  }
  return { content, structuredContent: structured as Record<string, unknown> };
}
