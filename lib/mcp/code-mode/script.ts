/**
 * A model's script made ready for the sandbox: code fences removed, TypeScript types stripped, and
 * the whole wrapped as the body of an async function whose last expression (when it ends with one)
 * is returned. Syntax errors are reported here, with the line and column in the model's code.
 */
import { parse } from 'acorn';
import { transform } from 'sucrase';

export type ScriptLanguage = 'js' | 'ts';

/** The name the sandbox calls; the script's own names cannot reach it by accident. */
export const ENTRY = '__wtools_script';

export class ScriptError extends Error {}

/** ```ts … ``` (or ```js, ```typescript, bare ```) around the code, as models like to write it. */
export function stripFences(code: string): string {
  const fenced = /^\s*```[A-Za-z]*[^\n]*\n([\s\S]*?)\n?```\s*$/.exec(code);
  return fenced ? fenced[1]! : code;
}

const HEADER = `async function ${ENTRY}() {\n`;

function position(err: unknown): string {
  const loc = (err as { loc?: { line: number; column: number } }).loc;
  // Line 1 of the wrapper is the header: the model's line n is line n + 1.
  return loc ? ` at line ${loc.line - 1}, column ${loc.column + 1}` : '';
}

/** JavaScript for the sandbox: `async function __wtools_script() { … }`, the last expression returned. */
export function prepareScript(code: string, language: ScriptLanguage = 'js'): string {
  let body = `${HEADER}${stripFences(code)}\n}`;
  if (language === 'ts') {
    try {
      body = transform(body, { transforms: ['typescript'], disableESTransforms: true }).code;
    } catch (err) {
      throw new ScriptError(
        `the TypeScript does not parse${position(err)}: ${(err as Error).message.replace(/ \(\d+:\d+\)$/, '')}`,
      );
    }
  }
  let program;
  try {
    program = parse(body, { ecmaVersion: 'latest', sourceType: 'script' });
  } catch (err) {
    throw new ScriptError(
      `the script does not parse${position(err)}: ${(err as Error).message.replace(/ \(\d+:\d+\)$/, '')}`,
    );
  }
  const fn = program.body.find((node) => node.type === 'FunctionDeclaration');
  if (program.body.length !== 1 || !fn || fn.type !== 'FunctionDeclaration') {
    throw new ScriptError('the script must be statements only: it closes the function it runs in');
  }
  const last = fn.body.body.at(-1);
  if (last?.type === 'ExpressionStatement') {
    const expression = last.expression;
    body = `${body.slice(0, last.start)}return (${body.slice(expression.start, expression.end)});${body.slice(last.end)}`;
  }
  return body;
}
