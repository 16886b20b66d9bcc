/**
 * A component's wtools:mcp imports, served by the MCP client of the call: its log messages and
 * progress go to that client, and its sampling requests and questions go to that client's model and
 * user, in MCP's shapes. Grants are the runtime's business; this only translates.
 */
import type {
  ElicitField,
  ElicitOutcome,
  ElicitRequest,
  ElicitValue,
  GuestMcpClient,
  SamplingRequest,
  SamplingResponse,
} from '../runtime/index.js';
import type { ToolCallContext } from './provider.js';

const FIELD_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The flat JSON Schema of MCP elicitation for a guest's fields, or why the form is not valid. */
export function elicitSchema(fields: readonly ElicitField[]): {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required: string[];
} {
  const properties: Record<string, Record<string, unknown>> = {};
  for (const field of fields) {
    if (!FIELD_NAME.test(field.name)) {
      throw new Error(`field name ${JSON.stringify(field.name)}: expected 1 to 64 letters, digits, _ or -`);
    }
    if (properties[field.name]) throw new Error(`field ${field.name} is named twice`);
    const shown = {
      ...(field.title !== undefined ? { title: field.title } : {}),
      ...(field.description !== undefined ? { description: field.description } : {}),
    };
    const kind = field.kind;
    switch (kind.tag) {
      case 'text':
        properties[field.name] = { type: 'string', ...shown };
        break;
      case 'number':
      case 'integer':
        properties[field.name] = {
          type: kind.tag,
          ...shown,
          ...(kind.val.minimum !== undefined ? { minimum: kind.val.minimum } : {}),
          ...(kind.val.maximum !== undefined ? { maximum: kind.val.maximum } : {}),
        };
        break;
      case 'boolean':
        properties[field.name] = { type: 'boolean', ...shown };
        break;
      case 'choice':
        if (kind.val.length === 0) throw new Error(`field ${field.name}: a choice needs at least one option`);
        properties[field.name] = { type: 'string', enum: kind.val, ...shown };
        break;
    }
  }
  if (fields.length === 0) throw new Error('a form needs at least one field');
  return { type: 'object', properties, required: fields.filter((f) => f.required).map((f) => f.name) };
}

/** The answers the user gave, as the guest's `value`s; what does not fit its field is left out. */
function answersFor(
  fields: readonly ElicitField[],
  content: Record<string, unknown>,
): [string, ElicitValue][] {
  const answers: [string, ElicitValue][] = [];
  for (const field of fields) {
    const value = content[field.name];
    if (typeof value === 'string' && (field.kind.tag === 'text' || field.kind.tag === 'choice')) {
      answers.push([field.name, { tag: 'text', val: value }]);
    } else if (typeof value === 'number' && (field.kind.tag === 'number' || field.kind.tag === 'integer')) {
      answers.push([field.name, { tag: 'number', val: value }]);
    } else if (typeof value === 'boolean' && field.kind.tag === 'boolean') {
      answers.push([field.name, { tag: 'boolean', val: value }]);
    }
  }
  return answers;
}

/**
 * The wtools:mcp client of one call. `onProgress` runs before the guest's first progress report
 * reaches the client (the caller stops its own heartbeat then: two sources would not increase).
 */
export function guestMcpClient(
  context: ToolCallContext,
  component: string,
  onProgress: () => void,
): GuestMcpClient {
  const client: GuestMcpClient = {
    log: (level, message) => context.log(level, message, component),
    progress: (progress, total, message) => {
      onProgress();
      context.progress(progress, total, message);
    },
  };
  const sample = context.sample;
  if (sample) {
    client.sample = async (request: SamplingRequest, signal): Promise<SamplingResponse> => {
      const answer = await sample(
        {
          messages: request.messages.map((m) => ({ role: m.role, content: { type: 'text', text: m.text } })),
          maxTokens: request.maxTokens,
          ...(request.systemPrompt !== undefined ? { systemPrompt: request.systemPrompt } : {}),
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(request.modelHint !== undefined
            ? { modelPreferences: { hints: [{ name: request.modelHint }] } }
            : {}),
        },
        signal,
      );
      if (answer.content.type !== 'text' || typeof answer.content.text !== 'string') {
        throw new Error(
          `the model answered with ${answer.content.type} content; wtools:mcp/sampling takes text`,
        );
      }
      return {
        text: answer.content.text,
        model: answer.model,
        ...(answer.stopReason !== undefined ? { stopReason: answer.stopReason } : {}),
      };
    };
  }
  const elicit = context.elicit;
  if (elicit) {
    client.elicit = async (request: ElicitRequest, signal): Promise<ElicitOutcome> => {
      const requestedSchema = elicitSchema(request.fields);
      // The user must know who asks: the component's name leads, and the model is not the asker.
      const answer = await elicit(
        { message: `The component ${component} asks: ${request.message}`, requestedSchema },
        signal,
      );
      if (answer.action !== 'accept') return { tag: answer.action };
      return { tag: 'accept', val: answersFor(request.fields, answer.content ?? {}) };
    };
  }
  return client;
}
