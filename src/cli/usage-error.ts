/** A mistake on the command line (an unknown action or flag, a missing value): exit code 2, no action runs. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit codes: 0 the action succeeded, 1 it failed, 2 the command line was wrong and nothing ran. */
export const EXIT_USAGE = 2;
