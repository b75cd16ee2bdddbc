import * as core from '@actions/core';
import { ConfigurationError, errorMessage } from '../errors.js';
import type { InputReader } from '../util/inputs.js';
import type { Logger } from '../util/logger.js';

export const readInput: InputReader = (name) => core.getInput(name);

export const actionLogger: Logger = {
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  debug: (message) => core.debug(message),
};

/**
 * Masks the password of a database URL input before anything else runs, so that no later
 * log line, error or summary can show it, even when the rest of the URL is malformed.
 */
export function maskDatabaseUrl(name: string): void {
  const raw = core.getInput(name);
  if (!raw) return;
  const match = /^[a-z]+:\/\/[^:/@]*:([^@]*)@/i.exec(raw.trim());
  const encoded = match?.[1];
  if (!encoded) return;
  core.setSecret(encoded);
  try {
    const decoded = decodeURIComponent(encoded);
    if (decoded !== encoded) core.setSecret(decoded);
  } catch {
    // not percent-encoded validly; the raw form is masked
  }
}

/**
 * Runs an action's body: a ConfigurationError fails the step with its message alone; anything
 * else is a bug or an outage, and keeps its stack in the debug log.
 */
export async function runAction(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (!(error instanceof ConfigurationError) && error instanceof Error && error.stack) core.debug(error.stack);
    core.setFailed(errorMessage(error));
  } finally {
    // Benchmarks read this line: memory must stay flat whatever the database size.
    core.debug(`peak RSS ${process.resourceUsage().maxRSS} KiB`);
  }
}
