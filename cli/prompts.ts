/**
 * Questions to the human at the terminal. They go to /dev/tty, never to stdin or stdout: in
 * `wtools serve` those belong to the MCP client. Without a controlling terminal there is nobody here
 * to ask, and the broker moves on to the next channel.
 */
import { openSync } from 'node:fs';
import tty from 'node:tty';
import {
  type Answer,
  type Approver,
  type Capability,
  type LoadPrompts,
  type PermissionRequest,
  type PreGrantOffer,
  formatCapability,
} from '../lib/index.js';

export interface Terminal {
  input: tty.ReadStream;
  output: tty.WriteStream;
  close(): void;
}

/** Loaded when a question is asked: every other command would pay ~100 ms of start-up for it. */
const inquirer = () => import('@inquirer/prompts');

/** The controlling terminal, or undefined when this process has none (started by an MCP client). */
export function openTerminal(): Terminal | undefined {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    return undefined;
  }
  const input = new tty.ReadStream(fd);
  const output = new tty.WriteStream(fd);
  input.unref();
  return {
    input,
    output,
    close: () => {
      input.destroy();
      output.destroy();
    },
  };
}

export const ANSWER_CHOICES: { value: Answer; name: string }[] = [
  { value: 'once', name: 'allow once' },
  { value: 'session', name: 'allow until wtools stops' },
  { value: 'always', name: 'allow always (stored)' },
  { value: 'deny', name: 'deny' },
  { value: 'never', name: 'deny always (stored)' },
];

/** One line a human can judge: who, signed by whom, wants what, and why. */
export function describeRequest(request: PermissionRequest): string {
  const who = request.requestedBy === 'model' ? 'the AI model asks for' : 'wants';
  return (
    `${request.component.name} (${request.component.identity}, signed ${request.component.signer}) ` +
    `${who} ${formatCapability(request.capability)} — ${request.reason}`
  );
}

export function permissionPrompt(request: PermissionRequest) {
  return {
    message: describeRequest(request),
    choices: ANSWER_CHOICES.filter((c) => request.answers.includes(c.value)),
    default: 'deny' as Answer,
  };
}

/** Asks at this process's terminal; questions from several components wait their turn. */
export function terminalApprover(terminal: Terminal): Approver {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    name: 'terminal',
    available: () => !terminal.input.destroyed,
    ask(request, signal) {
      const asked = queue.then(async () => {
        if (signal.aborted) return undefined;
        terminal.output.write('\x07'); // a bell: the question may arrive while the human looks elsewhere
        try {
          const { select } = await inquirer();
          return await select<Answer>(permissionPrompt(request), {
            input: terminal.input,
            output: terminal.output,
            signal,
          });
        } catch {
          return undefined; // aborted (timed out or withdrawn), or the terminal went away
        }
      });
      queue = asked.catch(() => undefined);
      return asked;
    },
  };
}

/** Who it is, who signed it, and what it may ask for: the facts above the load-time checkbox. */
export function describeOffer(offer: PreGrantOffer): string {
  const lines = [
    '',
    `${offer.component} (${offer.identity})`,
    `  signed: ${offer.signer}`,
    `  may ask for: ${offer.asks.join('; ') || 'nothing beyond its own memory'}`,
  ];
  const declared = offer.declared;
  if (declared?.problem) lines.push(`  its publisher's policy layer is unreadable: ${declared.problem}`);
  else if (declared) {
    lines.push(
      `  its publisher's policy asks for: ${declared.asks.join(', ') || 'nothing'} (a request, not a grant)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Asks one load-time question. The terminal holds the process open while it waits (it is unref'd
 * otherwise: `pull` has nothing else to wait for). A question the human left (Ctrl-C, or the
 * terminal closed) has the answer that grants nothing; other failures are real errors.
 */
async function askAtTerminal<T>(terminal: Terminal, question: () => Promise<T>, no: T): Promise<T> {
  terminal.input.ref();
  try {
    return await question();
  } catch (err) {
    if ((err as Error).name !== 'ExitPromptError') throw err;
    if (!terminal.output.destroyed) terminal.output.write('(not answered: nothing granted)\n');
    return no;
  } finally {
    terminal.input.unref();
  }
}

/** The load-time questions of `wtools pull` and `wtools serve`, at this terminal. */
export function terminalLoadPrompts(terminal: Terminal): LoadPrompts {
  const context = { input: terminal.input, output: terminal.output };
  return {
    confirmSigner: (facts) =>
      askAtTerminal(
        terminal,
        async () =>
          (await inquirer()).confirm(
            {
              message:
                `${facts.component} (${facts.identity}) is now signed by ${facts.to}, not ${facts.from}. ` +
                'Keep its stored grants for the new signer?',
              default: false,
            },
            context,
          ),
        false,
      ),
    async preGrant(offer: PreGrantOffer) {
      terminal.output.write(describeOffer(offer));
      return askAtTerminal(
        terminal,
        async () =>
          (await inquirer()).checkbox<Capability>(
            {
              message: 'Grant before it runs? (anything else is asked for when it reaches for it)',
              choices: offer.suggestions.map((s) => ({
                value: s.capability,
                name: `${formatCapability(s.capability)}  (${s.why})`,
              })),
            },
            context,
          ),
        [],
      );
    },
  };
}
