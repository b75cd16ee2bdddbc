import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errorMessage } from '../errors.js';
import { CHILD_ACTION_VARIABLE, runActionProcess, watchCommandLine, type Terminal } from './action-process.js';
import { parseCommandLine, inputVariable, type Command } from './arguments.js';
import type { CliCatalog } from './catalog.js';
import { actionHelp, globalHelp } from './help.js';
import { markdownToText } from './markdown-text.js';
import { EXIT_USAGE, UsageError } from './usage-error.js';
import { visibleControls } from './visible-controls.js';

export const processTerminal: Terminal = {
  stdout: (text) => process.stdout.write(visibleControls(text)),
  stderr: (text) => process.stderr.write(visibleControls(text)),
};

/** What the run produced, shown after the action's own lines: the summary as text, then the outputs. */
function closingText(summary: string, outputs: Record<string, string>): string {
  const names = Object.keys(outputs);
  const width = Math.max(0, ...names.map((name) => name.length));
  const sections = [];
  if (summary.trim()) sections.push(`\n${markdownToText(summary)}\n`);
  if (names.length)
    sections.push(
      `\nOutputs:\n${names.map((name) => `  ${name.padEnd(width)}  ${outputs[name]}`.trimEnd()).join('\n')}\n`,
    );
  return sections.join('');
}

async function runCommand(
  command: Extract<Command, { kind: 'run' }>,
  env: NodeJS.ProcessEnv,
  terminal: Terminal,
): Promise<number> {
  const { action, inputs, options } = command;
  if (command.fromEnvironment.length) {
    terminal.stdout(
      `Inputs from the environment: ${command.fromEnvironment.map((name) => `${name} (${inputVariable(name)})`).join(', ')}\n`,
    );
  }
  const result = await runActionProcess(action.name, inputs, {
    env,
    debug: options.debug || env.RUNNER_DEBUG === '1',
    terminal,
  });
  const outputs = Object.fromEntries(
    Object.entries(result.outputs).map(([name, value]) => [name, result.redact(value)]),
  );
  const summary = result.redact(result.summary);
  terminal.stdout(result.redact(closingText(summary, outputs)));
  const unwritten = [
    await writeResultFile(options.outputsFile, 'outputs', `${JSON.stringify(outputs, null, 2)}\n`),
    await writeResultFile(options.summaryFile, 'summary', summary),
  ].filter((problem): problem is string => problem !== undefined);
  const verdict =
    result.exitCode === 0 ? `${action.name} succeeded.` : `${action.name} failed (exit status ${result.exitCode}).`;
  terminal[result.exitCode === 0 ? 'stdout' : 'stderr'](`\n${verdict}\n`);
  for (const problem of unwritten) terminal.stderr(`dr-actions: ${problem}\n`);
  return result.exitCode === 0 && unwritten.length ? 1 : result.exitCode;
}

/**
 * Writes --outputs or --summary, making its folder as the report's is made. The action has run by
 * now: a file that cannot be written is said in one line (and fails the exit status), never a
 * stack trace in place of the verdict.
 */
async function writeResultFile(file: string | undefined, what: string, text: string): Promise<string | undefined> {
  if (!file) return undefined;
  try {
    await mkdir(dirname(resolve(file)), { recursive: true });
    await writeFile(file, text);
    return undefined;
  } catch (error) {
    return `the ${what} were not written to ${file}: ${errorMessage(error)}`;
  }
}

/**
 * The command line: `dr-actions [options] <action> --<input> <value> ...`. Returns the exit status.
 * The bundle runs this same file again, with CHILD_ACTION_VARIABLE set, for the action itself
 * (see `runChild`).
 */
export async function main(
  catalog: CliCatalog,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  terminal: Terminal = processTerminal,
): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(catalog, argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    terminal.stderr(`dr-actions: ${error.message}\n`);
    return EXIT_USAGE;
  }
  switch (command.kind) {
    case 'version':
      terminal.stdout(`dr-actions ${catalog.version}\n`);
      return 0;
    case 'help':
      terminal[command.asked ? 'stdout' : 'stderr'](`${globalHelp(catalog)}\n`);
      return command.asked ? 0 : EXIT_USAGE;
    case 'action-help':
      terminal.stdout(`${actionHelp(command.action)}\n`);
      return 0;
    case 'run':
      return runCommand(command, env, terminal);
  }
}

/** In the child process: the action's run(), exactly as its own bundle's entry runs it. True when this process is that child. */
export async function runChild(catalog: CliCatalog, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const name = env[CHILD_ACTION_VARIABLE];
  if (!name) return false;
  const action = catalog.actions.find((candidate) => candidate.name === name);
  if (!action) throw new Error(`no action ${name} in this bundle`);
  // A hangup reaches this process too when the terminal closes: the action cancels as on SIGTERM
  // (its own handler, or SIGTERM's default end while none is set yet).
  process.on('SIGHUP', () => process.kill(process.pid, 'SIGTERM'));
  watchCommandLine();
  await action.run();
  return true;
}

/** The bundle's entry: the child runs its action; otherwise the command line runs and sets the exit status. */
export async function start(catalog: CliCatalog): Promise<void> {
  // After a hangup the terminal is gone: what is still printed is lost, but the run goes on to its report.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  if (await runChild(catalog)) return;
  process.exitCode = await main(catalog, process.argv.slice(2));
}
