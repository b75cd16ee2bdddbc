import type { DatabaseTarget } from '../postgres/connection.js';
import type { Logger } from '../util/logger.js';
import { judgeChecks, runChecks, type CheckResult } from './run-checks.js';
import type { ChecksFile } from './checks-file.js';
import { judgeSmoke, runSmokeCommand, type SmokeResult } from './smoke.js';

/** What the user's proof of a restored database needs of a run, whichever action restored it. */
export interface ProofRun {
  settings: { rtoSeconds: number; smokeTimeoutSeconds: number; smokeEnv?: readonly string[] };
  details: { checks: { results: CheckResult[] }; smoke?: SmokeResult };
  log: Logger;
  now: () => Date;
  secrets: (string | undefined)[];
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

/** The checks file against the restored database; each check within the run's RTO. */
export async function proveWithChecks(
  run: ProofRun,
  checks: ChecksFile,
  target: DatabaseTarget,
  psqlPath: string,
): Promise<string> {
  run.details.checks.results = await runChecks(checks.checks, target, {
    psqlPath,
    timeoutSeconds: run.settings.rtoSeconds,
    secrets: run.secrets,
    now: run.now,
    signal: run.signal,
  });
  return judgeChecks(run.details.checks.results, checks.path);
}

/** The smoke command against the restored database; what it printed goes to the log as well as the report. */
export async function proveWithSmoke(run: ProofRun, words: readonly string[], target: DatabaseTarget): Promise<string> {
  const smoke = await runSmokeCommand(words, target, {
    timeoutSeconds: run.settings.smokeTimeoutSeconds,
    passOn: run.settings.smokeEnv,
    secrets: run.secrets,
    now: run.now,
    env: run.env,
    signal: run.signal,
  });
  run.details.smoke = smoke;
  if (smoke.output.trim()) run.log.info(`smoke command output:\n${smoke.output}`);
  return judgeSmoke(smoke);
}
