/**
 * A mistake in what the user asked for (an input, a missing tool, a guard that refused).
 * Its message says what to change; it is shown without a stack trace.
 * Every other error is a bug or an outage and keeps its stack in debug logs.
 */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
