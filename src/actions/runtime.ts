import { randomUUID } from 'node:crypto';
import * as core from '@actions/core';
import { ConfigurationError, errorMessage } from '../errors.js';
import { secretsInDatabaseUrl } from '../postgres/connection.js';
import { childProcessesNote } from '../util/child-process.js';
import type { InputReader } from '../util/inputs.js';
import type { Logger } from '../util/logger.js';

export const readInput: InputReader = (name) => core.getInput(name);

/**
 * Text the runner would obey as a workflow command. It reads a line up to \r or \n, and obeys a line
 * that starts with `::` once its leading whitespace is trimmed (.NET's, which also counts U+0085),
 * or one that holds the older `##[command]` form anywhere in it.
 */
const WORKFLOW_COMMAND_LINE = /(^|[\r\n])[\s\u0085]*::|##\[/;

/**
 * Prints text as it is, except that text with a line the runner would take for a workflow command
 * (a smoke command's output, a table or role name from the database) is printed between
 * stop-commands markers with a token nobody can guess: such text is shown, never obeyed
 * (`::add-mask::`, `::error::`, `::stop-commands::` of its own). Warnings, errors and debug lines
 * need none of this: @actions/core escapes their line breaks.
 */
export function printPlainText(message: string): void {
  if (!WORKFLOW_COMMAND_LINE.test(message)) return core.info(message);
  const token = randomUUID();
  core.info(`::stop-commands::${token}`);
  core.info(message);
  core.info(`::${token}::`);
}

export const actionLogger: Logger = {
  info: printPlainText,
  warning: (message) => core.warning(message),
  debug: (message) => core.debug(message),
};

/**
 * Masks every secret a database URL input carries (userinfo, ?password=, ?sslpassword=) before
 * anything else runs, so that no later log line, error or summary can show it, even when the
 * rest of the URL is malformed.
 */
export function maskDatabaseUrl(name: string): void {
  for (const secret of secretsInDatabaseUrl(core.getInput(name))) core.setSecret(secret);
}

/** Masks a secret the action made or read at run time (an IAM token, a password from Secrets Manager), as the inputs' secrets are masked. */
export function maskSecret(secret: string): void {
  if (secret) core.setSecret(secret);
}

/** Masks an input that is a secret as a whole (a token, a password) before anything else runs. */
export function maskInput(name: string): void {
  const value = core.getInput(name);
  if (value) core.setSecret(value);
}

/** The step's outputs: numbers and booleans as their text, null and undefined as ''. */
export function setOutputs(outputs: Record<string, string | number | boolean | null | undefined>): void {
  for (const [name, value] of Object.entries(outputs))
    core.setOutput(name, value === null || value === undefined ? '' : String(value));
}

/**
 * Aborted when the job is cancelled: the runner sends SIGINT, then SIGTERM. The run stops its
 * current step and still cleans up what it created.
 */
export function cancellation(): AbortSignal {
  const cancel = new AbortController();
  const onSignal = () => cancel.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return cancel.signal;
}

/**
 * Writes the job summary. Outside GitHub's hosted runners (a self-hosted or local run) there may
 * be no summary file: that is a warning, never a failure of work that was done.
 */
export async function writeSummary(markdown: string): Promise<void> {
  try {
    await core.summary.addRaw(markdown).write();
  } catch (error) {
    core.summary.emptyBuffer();
    core.warning(`the job summary was not written: ${errorMessage(error)}`);
  }
}

/**
 * Runs an action's body: a ConfigurationError fails the step with its message alone; anything
 * else is a bug or an outage, and keeps its stack in the debug log.
 */
export async function runAction(body: () => Promise<void>): Promise<void> {
  try {
    core.debug(childProcessesNote());
    await body();
  } catch (error) {
    if (!(error instanceof ConfigurationError) && error instanceof Error && error.stack) core.debug(error.stack);
    core.setFailed(errorMessage(error));
  } finally {
    // Benchmarks read this line: memory must stay flat whatever the database size.
    core.debug(`peak RSS ${process.resourceUsage().maxRSS} KiB`);
  }
}
