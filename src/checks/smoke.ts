import type { DatabaseTarget } from '../postgres/connection.js';
import { runCommand, type CommandResult } from '../util/command.js';
import { StepFailure } from '../report/step-pipeline.js';

export type SmokeResult = CommandResult;

/** The variables an application reads to find its database, all pointing at the restored copy. */
export function databaseEnv(target: DatabaseTarget): Record<string, string> {
  const url = new URL(target.url);
  if (target.password !== undefined) url.password = encodeURIComponent(target.password);
  return {
    DATABASE_URL: url.toString(),
    PGHOST: target.host,
    PGPORT: String(target.port),
    PGDATABASE: target.database,
    ...(target.user ? { PGUSER: target.user } : {}),
    ...(target.password !== undefined ? { PGPASSWORD: target.password } : {}),
  };
}

/** Inherited variables that would point libpq somewhere else than the restored database. */
const CONNECTION_VARIABLES = ['PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD', 'PGPASSFILE', 'PGSERVICE', 'PGSERVICEFILE', 'PGOPTIONS', 'DATABASE_URL'];

/**
 * Runs the smoke command without a shell, in its own process group, with the restored
 * database in DATABASE_URL and PG*. When it times out the whole group is killed (a script's
 * children too); when it ends, whatever it left running in its group is stopped as well.
 */
export async function runSmokeCommand(
  words: readonly string[],
  target: DatabaseTarget,
  options: { timeoutSeconds: number; secrets: (string | undefined)[]; now: () => Date; env?: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<SmokeResult> {
  const inherited = { ...(options.env ?? process.env) };
  for (const name of CONNECTION_VARIABLES) delete inherited[name];
  return runCommand(words, { ...options, env: { ...inherited, ...databaseEnv(target) }, leftovers: 'stop' });
}

/** The smoke step's verdict, like judgeChecks: its detail, or a StepFailure naming the command and how it ended. */
export function judgeSmoke(smoke: SmokeResult): string {
  const detail = `${smoke.command} ${smoke.detail}`;
  if (!smoke.passed) throw new StepFailure(detail, [`smoke: ${detail}`]);
  return detail;
}
