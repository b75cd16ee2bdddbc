import { pollUntil, type Backoff } from '../util/backoff.js';
import type { Clock } from '../util/clock.js';
import { plural } from '../util/format.js';
import type { DatabaseTarget } from './connection.js';
import { runPsqlScript, type PsqlScriptOptions } from './psql-script.js';

/** libpq's answer to a wrong password, which no retry makes right (unlike RDS's PAM refusal of an IAM token while a new instance's IAM setting spreads). */
export const PASSWORD_REFUSED = /password authentication failed for user/;

/**
 * Connects until the server answers (a freshly restored instance is `available` to RDS a moment
 * before its database accepts connections) and returns its version, or throws with the last error.
 * An error that `final` matches ends the wait at once.
 */
export async function awaitConnection(
  database: DatabaseTarget,
  options: PsqlScriptOptions,
  wait: { backoff: Backoff; timeoutMs: number; clock: Clock; final?: RegExp },
): Promise<string> {
  const outcome = await pollUntil(
    () => runPsqlScript(database, 'SHOW server_version;\n', options),
    (result) => result.ok || options.signal?.aborted === true || wait.final?.test(result.error) === true,
    { deadline: wait.clock.now() + wait.timeoutMs, backoff: wait.backoff, clock: wait.clock },
  );
  if (!outcome.value.ok)
    throw new Error(
      `${database.display} did not accept a connection (${plural(outcome.attempts, 'attempt')}): ${outcome.value.error}`,
    );
  return outcome.value.rows[0]?.[0] ?? 'unknown';
}
