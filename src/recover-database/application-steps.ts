import { databaseEnv } from '../checks/smoke.js';
import { proveWithChecks, proveWithSmoke } from '../checks/user-proof.js';
import { waitHealthy } from '../health/wait.js';
import { withDatabase, type DatabaseTarget } from '../postgres/connection.js';
import type { TargetClaim } from '../postgres/target-claim.js';
import type { StepRecorder } from '../report/report.js';
import { StepFailure } from '../report/step-pipeline.js';
import type { Backoff } from '../util/backoff.js';
import { applicationEnv } from '../util/child-env.js';
import { systemClock, type Clock } from '../util/clock.js';
import { runCommand as runUserCommand } from '../util/command.js';
import type { CommandRun, RecoveryBase } from './context.js';
import { STEP } from './steps.js';

export interface CutoverPacing {
  health: Backoff;
  /** How long terminated sessions get to end before the rename gives up. */
  sessionsGoneMs: number;
  /**
   * How long sessions get to end on their own before they count as still in use: a backend whose
   * client (this run's psql for the counts and the checks) has just closed ends a moment later.
   */
  sessionsSettleMs: number;
  clock: Clock;
}

export const DEFAULT_PACING: CutoverPacing = {
  health: { initialMs: 1000, maxMs: 15_000, factor: 2 },
  sessionsGoneMs: 30_000,
  sessionsSettleMs: 5_000,
  clock: systemClock,
};

/** What the application's commands and the health wait need of a recovery, whatever its source. */
export interface ApplicationSteps {
  run: RecoveryBase;
  steps: StepRecorder;
  /** This run's claim, proven before each step that cannot be undone (absent in plan mode). */
  claim?: TargetClaim;
}

/**
 * Stops the run before `before` when its claim was lost (another run may be recovering the same
 * database now), naming the steps it had done: a re-run resumes after them.
 */
export async function assertClaimed(execution: ApplicationSteps, before: string): Promise<void> {
  const done = execution.steps.steps.filter((step) => step.status === 'passed').map((step) => step.name);
  await execution.claim?.assertHeld({
    before,
    done: done.length ? done.join(', ') : 'nothing',
    next: 'Run again once no other run is recovering this database: the re-run resumes where this run stopped.',
  });
}

/**
 * Runs one of the application's commands with the production database in DATABASE_URL and PG*
 * and the variables that reach the application (SSH agent, Docker, Kubernetes, AWS); a failure
 * stops the recovery. What start-command leaves running is the application: it keeps running.
 */
async function runCommand(
  execution: ApplicationSteps,
  input: CommandRun['input'],
  words: readonly string[],
): Promise<string> {
  const { run } = execution;
  const target = withDatabase(run.settings.database, run.settings.database.database);
  const result = await runUserCommand(words, {
    env: { ...applicationEnv(run.env), ...(await databaseEnv(target)) },
    timeoutSeconds: run.settings.commands.timeoutSeconds,
    secrets: run.secrets,
    now: run.now,
    signal: run.signal,
    leftovers: input === 'start-command' ? 'keep' : 'stop',
  });
  run.details.commands.push({ input, result });
  if (result.output.trim()) run.log.info(`${input} output:\n${result.output}`);
  const detail = `${result.command} ${result.detail}`;
  if (!result.passed) throw new StepFailure(detail, [`${input}: ${detail}`]);
  return detail;
}

export async function commandStep(
  execution: ApplicationSteps,
  name: string,
  input: CommandRun['input'],
  words: readonly string[] | undefined,
): Promise<void> {
  if (!words) return execution.steps.skip(name, `no ${input}`);
  await execution.steps.run(
    name,
    async () => {
      // start-command is not guarded: starting the application is what a re-run would do too.
      if (input !== 'start-command') await assertClaimed(execution, `running ${input}`);
      return runCommand(execution, input, words);
    },
    (detail) => detail,
  );
}

/** After the cut-over: migrate, start, wait for health. */
export async function bringUpApplication(execution: ApplicationSteps, pacing: CutoverPacing): Promise<void> {
  const { steps, run } = execution;
  await commandStep(execution, STEP.migrate, 'migrate-command', run.settings.commands.migrate);
  await commandStep(execution, STEP.start, 'start-command', run.settings.commands.start);
  const health = run.settings.health;
  if (health) {
    await steps.run(
      STEP.health,
      async () => {
        const wait = await waitHealthy(health, pacing.health, pacing.clock);
        const last =
          wait.last.status !== undefined
            ? `HTTP ${wait.last.status}`
            : `no answer (${wait.last.error ?? 'unknown error'})`;
        run.details.health = { url: health.display, healthy: wait.healthy, attempts: wait.attempts, last };
        if (!wait.healthy)
          throw new StepFailure(`${health.display} answered ${last} after ${wait.attempts} attempts`, [
            `health: ${health.display} did not answer ${health.expectStatus} within ${health.timeoutSeconds} s (last: ${last})`,
          ]);
        return `${health.display} answered ${last} after ${wait.attempts} attempts`;
      },
      (detail) => detail,
    );
  } else steps.skip(STEP.health, 'no health-url');
}

/** The user's proof of a restored database, whatever its source: the checks file, then the smoke command. */
export async function userProofSteps(
  execution: ApplicationSteps,
  target: DatabaseTarget,
  psqlPath: string,
): Promise<void> {
  const { run, steps } = execution;
  const { checks, smokeCommand } = run.settings;
  if (checks)
    await steps.run(
      STEP.checks,
      () => proveWithChecks(run, checks, target, psqlPath),
      (detail) => detail,
    );
  else steps.skip(STEP.checks, 'no checks file');
  if (smokeCommand)
    await steps.run(
      STEP.smoke,
      () => proveWithSmoke(run, smokeCommand, target),
      (detail) => detail,
    );
  else steps.skip(STEP.smoke, 'no smoke-command');
}
