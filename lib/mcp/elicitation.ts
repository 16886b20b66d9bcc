/**
 * Permission questions to the user of the MCP client whose call caused them (MCP elicitation). The
 * form says that wtools asks, not the model, and offers the same answers as the terminal.
 */
import { type Answer, type Approver, formatCapability } from '../grants/index.js';
import type { ToolCallContext } from './provider.js';

const ANSWER_TITLES: Record<Answer, string> = {
  once: 'Allow once',
  session: 'Allow until wtools stops',
  always: 'Allow always',
  deny: 'Deny',
  never: 'Deny always',
};

/** An approver bound to one call's client, or none when the client cannot be asked. */
export function elicitationApprovers(context: ToolCallContext): Approver[] {
  const elicit = context.elicit;
  if (!elicit) return [];
  return [
    {
      name: 'elicitation',
      available: () => !context.signal.aborted,
      async ask(request, signal) {
        const asker = request.requestedBy === 'model' ? 'The AI model asks that' : 'A tool wants that';
        const reply = await elicit(
          {
            message:
              `wtools permission request. ${asker} ${request.component.name} (${request.component.identity}, ` +
              `signed ${request.component.signer}) may use ${formatCapability(request.capability)}. ` +
              `Reason given: ${request.reason}`,
            requestedSchema: {
              type: 'object',
              properties: {
                decision: {
                  type: 'string',
                  title: 'Decision',
                  enum: [...request.answers],
                  enumNames: request.answers.map((a) => ANSWER_TITLES[a]),
                },
              },
              required: ['decision'],
            },
          },
          signal,
        );
        if (reply.action !== 'accept') return 'deny';
        const decision = reply.content?.decision;
        return request.answers.includes(decision as Answer) ? (decision as Answer) : 'deny';
      },
    },
  ];
}
