import { quoteIdent } from '../postgres/identifiers.js';
import { StepFailure } from '../report/step-pipeline.js';
import { pollUntil } from '../util/backoff.js';
import { assertClaimed, bringUpApplication, commandStep, type CutoverPacing } from './application-steps.js';
import { setJournal, type Execution } from './restore-beside.js';
import { STEP } from './steps.js';
import { describeSessions, sessionsIn, type SessionOnServer } from './server-state.js';

/** The databases the renames need to themselves: no session may be in either. */
function renamedDatabases(execution: Execution): string[] {
  const { plan, run } = execution;
  return plan.phase.kind === 'half-renamed' ? [plan.restoredAs] : [run.settings.database.database, plan.restoredAs];
}

/** The sessions in the databases that are still there after waiting up to `ms` for them to end. */
async function sessionsEndedWithin(
  execution: Execution,
  databases: readonly string[],
  ms: number,
  pacing: CutoverPacing,
): Promise<SessionOnServer[]> {
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
  await assertClaimed(execution, `terminating the sessions in ${databases.join(' and ')}`);
  await maintenance.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid IN (${sessions.map((s) => s.pid).join(', ')})`,
  );
  const left = await sessionsEndedWithin(execution, databases, pacing.sessionsGoneMs, pacing);
  if (left.length)
    throw new StepFailure('sessions did not end', [
      `sessions: still connected after they were terminated: ${describeSessions(left)}. Nothing was renamed`,
    ]);
  return `ended ${sessions.length} sessions (terminate-connections): ${describeSessions(sessions)}`;
}

/** Both renames in one transaction: either both happened or neither (a crash between them cannot leave production without a database). */
async function rename(execution: Execution): Promise<string> {
  const { run, plan, maintenance } = execution;
  const production = run.settings.database.database;
  const statements = [
    ...(plan.phase.kind === 'half-renamed'
      ? []
      : [`ALTER DATABASE ${quoteIdent(production)} RENAME TO ${quoteIdent(plan.keptAs)}`]),
    `ALTER DATABASE ${quoteIdent(plan.restoredAs)} RENAME TO ${quoteIdent(production)}`,
  ];
  await assertClaimed(execution, `renaming the databases (${statements.join('; ')})`);
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
  await steps.run(
    STEP.sessions,
    () => clearSessions(execution, pacing),
    (detail) => detail,
  );
  await steps.run(
    STEP.rename,
    () => rename(execution),
    (detail) => detail,
  );
}

/** After the renames: migrate, start, wait for health, and mark the recovery complete on the server. */
export async function bringUp(execution: Execution, pacing: CutoverPacing): Promise<void> {
  await bringUpApplication(execution, pacing);
  await setJournal(execution, execution.run.settings.database.database, 'complete');
}
