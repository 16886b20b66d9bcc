import type { Argv } from 'yargs';
import {
  type Answer,
  type PendingApproval,
  WtoolsError,
  approvalsSocketPath,
  listenForApprovals,
} from '../../lib/index.js';
import { type GlobalFlags, colors, contextFor } from '../common.js';
import { describeRequest, permissionPrompt } from '../prompts.js';

/**
 * `wtools approvals`: answers, in this terminal, the permission questions of every `wtools serve`
 * of this user that has no terminal of its own (one started by an MCP client, say).
 */
export const approvalsCommand = {
  command: 'approvals',
  describe: 'Answer permission requests of running `wtools serve` processes, here, as they come',
  builder: (yargs: Argv<GlobalFlags>) => yargs,
  handler: async (argv: GlobalFlags): Promise<void> => {
    if (!process.stdin.isTTY) {
      throw new WtoolsError('USAGE', 'wtools approvals asks questions: run it in a terminal');
    }
    const { select } = await import('@inquirer/prompts');
    const c = colors(argv);
    const context = contextFor(argv);
    const pending: PendingApproval[] = [];
    let asking = false;
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const next = async (): Promise<void> => {
      if (asking) return;
      const item = pending.shift();
      if (!item) return;
      asking = true;
      if (pending.length > 0) process.stdout.write(c.dim(`(${pending.length} more waiting)\n`));
      const controller = new AbortController();
      item.withdrawn.addEventListener('abort', () => controller.abort(), { once: true });
      try {
        const answer = await select<Answer>(permissionPrompt(item.request), { signal: controller.signal });
        item.answer(answer);
      } catch (err) {
        // Ctrl-C inside a prompt ends the prompt, not the process: end the whole command then.
        if ((err as Error).name === 'ExitPromptError') stop();
        else process.stdout.write(c.dim(`withdrawn: ${describeRequest(item.request)}\n`));
      } finally {
        asking = false;
        void next();
      }
    };
    const server = await listenForApprovals(approvalsSocketPath(context), (item) => {
      pending.push(item);
      item.withdrawn.addEventListener('abort', () => {
        const index = pending.indexOf(item);
        if (index >= 0) pending.splice(index, 1);
      });
      process.stdout.write('\x07');
      void next();
    });
    process.stdout.write(`wtools approvals: waiting for requests (${server.path}); Ctrl-C to stop\n`);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await stopped;
    await server.close();
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  },
};
