import { waitHealthy } from '../checks/health.js';
import { runSmokeCommand, type SmokeResult } from '../checks/smoke.js';
import { withDatabase } from '../postgres/connection.js';
import { quoteIdent } from '../postgres/identifiers.js';
import { StepFailure } from '../report/step-pipeline.js';
import { pollUntil, type Backoff } from '../util/backoff.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { StepRecorder } from '../report/report.js';
import type { CommandRun, RecoveryRun } from './context.js';
import { setJournal, STEP, type Execution } from './restore-beside.js';
import { describeSessions, sessionsIn, type SessionOnServer } from './server-state.js';

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

export const DEFAULT_PACING: CutoverPacing = { health: { initialMs: 1000, maxMs: 15_000, factor: 2 }, sessionsGoneMs: 30_000, sessionsSettleMs: 5_000, clock: systemClock };

/** What the application's commands and the health wait need of a recovery, whatever its source. */
export interface ApplicationSteps {
  run: Omit<RecoveryRun, 'store'>;
  steps: StepRecorder;
}

/** Runs one of the application's commands with the production database in DATABASE_URL and PG*; a failure stops the recovery. */
async function runCommand(execution: ApplicationSteps, input: CommandRun['input'], words: readonly string[]): Promise<string> {
  const { run } = execution;
  const target = withDatabase(run.settings.database, run.settings.database.database);
  const result: SmokeResult = await runSmokeCommand(words, target, { timeoutSeconds: run.settings.commands.timeoutSeconds, secrets: run.secrets, now: run.now, env: run.env, signal: run.signal });
  run.details.commands.push({ input, result });
  if (result.output.trim()) run.log.info(`${input} output:\n${result.output}`);
  const detail = `${result.command} ${result.detail}`;
  if (!result.passed) throw new StepFailure(detail, [`${input}: ${detail}`]);
  return detail;
}

export async function commandStep(execution: ApplicationSteps, name: string, input: CommandRun['input'], words: readonly string[] | undefined): Promise<void> {
  if (!words) return execution.steps.skip(name, `no ${input}`);
  await execution.steps.run(name, () => runCommand(execution, input, words), (detail) => detail);
}

/** The databases the renames need to themselves: no session may be in either. */
function renamedDatabases(execution: Execution): string[] {
  const { plan, run } = execution;
  return plan.phase.kind === 'half-renamed' ? [plan.restoredAs] : [run.settings.database.database, plan.restoredAs];
}

/** The sessions in the databases that are still there after waiting up to `ms` for them to end. */
async function sessionsEndedWithin(execution: Execution, databases: readonly string[], ms: number, pacing: CutoverPacing): Promise<SessionOnServer[]> {
  const outcome = await pollUntil(
    () => sessionsIn(execution.maintenance, databases),
    (sessions) => sessions.length === 0,
    { deadline: pacing.clock.now() + ms, backoff: { initialMs: 50, maxMs: 1000, factor: 2 }, clock: pacing.clock },
  );
  return outcome.value;
}

/** Refuses while sessions use the databases to rename, naming them; with terminate-connections, ends them and waits until they are gone. */
async function clearSessions(execution: Execution, pacing: CutoverPacing): Promise<string> {
  const { run, maintenance } = execution;
  const databases = renamedDatabases(execution);
  const sessions = await sessionsEndedWithin(execution, databases, pacing.sessionsSettleMs, pacing);
  run.details.sessions = sessions;
  if (sessions.length === 0) return `no session uses ${databases.join(' or ')}`;
  if (!run.settings.terminateConnections) {
    throw new StepFailure(`${sessions.length} sessions still use ${databases.join(' or ')}`, [
      `sessions: ${sessions.length} still use ${databases.join(' or ')}: ${describeSessions(sessions)}. Nothing was renamed: stop them (stop-command), or set terminate-connections: true to end them, and run again`,
    ]);
  }
  await maintenance.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid IN (${sessions.map((s) => s.pid).join(', ')})`);
  const left = await sessionsEndedWithin(execution, databases, pacing.sessionsGoneMs, pacing);
  if (left.length) throw new StepFailure('sessions did not end', [`sessions: still connected after they were terminated: ${describeSessions(left)}. Nothing was renamed`]);
  return `ended ${sessions.length} sessions (terminate-connections): ${describeSessions(sessions)}`;
}

/** Both renames in one transaction: either both happened or neither (a crash between them cannot leave production without a database). */
async function rename(execution: Execution): Promise<string> {
  const { run, plan, maintenance } = execution;
  const production = run.settings.database.database;
  const statements = [
    ...(plan.phase.kind === 'half-renamed' ? [] : [`ALTER DATABASE ${quoteIdent(production)} RENAME TO ${quoteIdent(plan.keptAs)}`]),
    `ALTER DATABASE ${quoteIdent(plan.restoredAs)} RENAME TO ${quoteIdent(production)}`,
  ];
  await maintenance.query('BEGIN');
  try {
    for (const statement of statements) await maintenance.query(statement);
    await maintenance.query('COMMIT');
  } catch (error) {
    await maintenance.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  run.details.recovered = true;
  return statements.join('; ');
}

/** Stop the application, clear the sessions, rename the damaged database away and the restored one into its place. */
export async function cutOver(execution: Execution, pacing: CutoverPacing): Promise<void> {
  const { steps, run } = execution;
  await commandStep(execution, STEP.stop, 'stop-command', run.settings.commands.stop);
  await steps.run(STEP.sessions, () => clearSessions(execution, pacing), (detail) => detail);
  await steps.run(STEP.rename, () => rename(execution), (detail) => detail);
}

/** After the cut-over: migrate, start, wait for health. */
export async function bringUpApplication(execution: ApplicationSteps, pacing: CutoverPacing): Promise<void> {
  const { steps, run } = execution;
  await commandStep(execution, STEP.migrate, 'migrate-command', run.settings.commands.migrate);
  await commandStep(execution, STEP.start, 'start-command', run.settings.commands.start);
  const health = run.settings.health;
  if (health) {
    await steps.run(STEP.health, async () => {
      const wait = await waitHealthy(health, pacing.health, pacing.clock);
      const last = wait.last.status !== undefined ? `HTTP ${wait.last.status}` : `no answer (${wait.last.error ?? 'unknown error'})`;
      run.details.health = { url: health.display, healthy: wait.healthy, attempts: wait.attempts, last };
      if (!wait.healthy) throw new StepFailure(`${health.display} answered ${last} after ${wait.attempts} attempts`, [`health: ${health.display} did not answer ${health.expectStatus} within ${health.timeoutSeconds} s (last: ${last})`]);
      return `${health.display} answered ${last} after ${wait.attempts} attempts`;
    }, (detail) => detail);
  } else steps.skip(STEP.health, 'no health-url');
}

/** After the renames: migrate, start, wait for health, and mark the recovery complete on the server. */
export async function bringUp(execution: Execution, pacing: CutoverPacing): Promise<void> {
  await bringUpApplication(execution, pacing);
  await setJournal(execution, execution.run.settings.database.database, 'complete');
}
