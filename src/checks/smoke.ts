import { connectionPassword, type DatabaseTarget } from '../postgres/connection.js';
import { runCommand, type CommandResult } from '../util/command.js';
import { StepFailure } from '../report/step-pipeline.js';
import { commandEnv } from '../util/child-env.js';

export type SmokeResult = CommandResult;

/**
 * The variables an application reads to find its database, all pointing at the restored copy.
 * With IAM authentication the command gets a fresh token in PGPASSWORD only: DATABASE_URL is what
 * a command passes on in argv, where any process could read the token.
 */
export async function databaseEnv(target: DatabaseTarget): Promise<Record<string, string>> {
  const url = new URL(target.url);
  const password = await connectionPassword(target);
  if (password !== undefined && !target.auth) url.password = encodeURIComponent(password);
  return {
    DATABASE_URL: url.toString(),
    PGHOST: target.host,
    PGPORT: String(target.port),
    PGDATABASE: target.database,
    ...(target.user ? { PGUSER: target.user } : {}),
    ...(password !== undefined ? { PGPASSWORD: password } : {}),
  };
}

/**
 * The smoke command's whole environment: the runner's own variables and libpq's settings (PATH,
 * HOME, temp, locale, TLS), the variables smoke-env names, and the restored database's
 * DATABASE_URL and PG*. Nothing else of the action's: not its inputs, nor the runner's tokens,
 * nor AWS credentials.
 */
export async function smokeEnv(
  target: DatabaseTarget,
  passOn: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<Record<string, string>> {
  const named: Record<string, string> = {};
  for (const name of passOn) if (env[name] !== undefined) named[name] = env[name];
  return { ...commandEnv(env), ...named, ...(await databaseEnv(target)) };
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
  const env = await smokeEnv(target, options.passOn ?? [], options.env ?? process.env);
  return runCommand(words, { ...options, env, leftovers: 'stop' });
}

/** The smoke step's verdict, like judgeChecks: its detail, or a StepFailure naming the command and how it ended. */
export function judgeSmoke(smoke: SmokeResult): string {
  const detail = `${smoke.command} ${smoke.detail}`;
  if (!smoke.passed) throw new StepFailure(detail, [`smoke: ${detail}`]);
  return detail;
}
