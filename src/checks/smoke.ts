import type { DatabaseTarget } from '../postgres/connection.js';
import { runCommand, type CommandResult } from '../util/command.js';
import { StepFailure } from '../report/step-pipeline.js';
import { commandEnv } from '../util/child-env.js';

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

/**
 * The smoke command's whole environment: the runner's own variables and libpq's settings (PATH,
 * HOME, temp, locale, TLS), the variables smoke-env names, and the restored database's
 * DATABASE_URL and PG*. Nothing else of the action's: not its inputs, nor the runner's tokens,
 * nor AWS credentials.
 */
export function smokeEnv(
  target: DatabaseTarget,
  passOn: readonly string[],
  env: NodeJS.ProcessEnv,
): Record<string, string> {
  const named: Record<string, string> = {};
  for (const name of passOn) if (env[name] !== undefined) named[name] = env[name];
  return { ...commandEnv(env), ...named, ...databaseEnv(target) };
}

/**
 * Runs the smoke command without a shell, in its own process group, with the restored
 * database in DATABASE_URL and PG* and no more of the action's environment than smokeEnv gives.
 * When it times out the whole group is killed (a script's children too); when it ends, whatever
 * it left running in its group is stopped as well.
 */
export async function runSmokeCommand(
  words: readonly string[],
  target: DatabaseTarget,
  options: {
    timeoutSeconds: number;
    secrets: (string | undefined)[];
    now: () => Date;
    env?: NodeJS.ProcessEnv;
    passOn?: readonly string[];
    signal?: AbortSignal;
  },
): Promise<SmokeResult> {
  const env = smokeEnv(target, options.passOn ?? [], options.env ?? process.env);
  return runCommand(words, { ...options, env, leftovers: 'stop' });
}

/** The smoke step's verdict, like judgeChecks: its detail, or a StepFailure naming the command and how it ended. */
export function judgeSmoke(smoke: SmokeResult): string {
  const detail = `${smoke.command} ${smoke.detail}`;
  if (!smoke.passed) throw new StepFailure(detail, [`smoke: ${detail}`]);
  return detail;
}
