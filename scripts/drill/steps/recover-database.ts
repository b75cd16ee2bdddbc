import { join, resolve } from 'node:path';
import type { RecoverDatabaseReport } from '../../../src/recover-database/recover-report.js';
import { parseDatabaseUrl } from '../../../src/postgres/connection.js';
import { PsqlSession } from '../../../src/postgres/psql-session.js';
import { formatDuration } from '../../../src/util/format.js';
import { startApplication, type DrillApplication } from '../application.js';
import type { Corruption, DrillRun } from '../drill-run.js';
import { BUCKET, CHECKS_FILE, DATABASE, REGION, REPORT } from '../settings.js';
import type { DrillStep } from '../step.js';
import { backUp } from './backup.js';
import { corruptProduction } from './corrupt-production.js';

const COUNTS = `SELECT count(*), count(*) FILTER (WHERE status = 'refunded'), (SELECT count(*) FROM events) FROM payments`;

/** Payments, refunded payments and events in one of production's databases. */
async function counts(
  drill: DrillRun,
  database: string,
): Promise<{ payments: number; refunded: number; events: number }> {
  const session = await PsqlSession.open(parseDatabaseUrl(drill.production.url(database), 'url'));
  try {
    const [row] = await session.query(COUNTS);
    const [payments, refunded, events] = (row ?? []).map(Number);
    return { payments: payments ?? 0, refunded: refunded ?? 0, events: events ?? 0 };
  } finally {
    await session.close();
  }
}

/** The plan, through `dr-actions` as an engineer runs it from a shell when GitHub is down; the password from the environment, not argv. */
function planThroughTheCommandLine(drill: DrillRun, inputs: Record<string, string>) {
  return drill.action(
    'recover-database',
    { ...inputs, 'report-path': join(drill.options.outDir, 'recover-database-plan-report.json') },
    {
      through: 'command line',
      env: { DR_ACTIONS_DATABASE_URL: drill.production.url(DATABASE) },
      summary: 'recover-database-plan',
    },
  );
}

/** recover-database.yml's execute job, bound to the plan; the application stopped and started around the renames. */
function executeBoundTo(
  drill: DrillRun,
  inputs: Record<string, string>,
  plan: Record<string, string>,
  app: DrillApplication,
) {
  return drill.action('recover-database', {
    ...inputs,
    'database-url': drill.production.url(DATABASE),
    mode: 'execute',
    confirm: DATABASE,
    backup: plan['recovery-point'] ?? '',
    'expected-recovery-point': plan['recovery-point'] ?? '',
    'expected-replaces': plan.replaces ?? '',
    'stop-command': app.stopCommand,
    // The plan's step 6, harmless here: the sample application has no migrations to run.
    'migrate-command': 'psql -X -A -t -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM payments"',
    'start-command': app.startCommand,
    'health-url': app.url,
    'report-path': drill.reportPath(REPORT.recoverDatabase),
  });
}

/** What the recovery must have left: the application up, the damaged database kept as it was, the deleted rows back, the loss counted. */
async function proveRecovery(
  drill: DrillRun,
  corruption: Corruption,
  keptAs: string,
  app: DrillApplication,
  report: RecoverDatabaseReport,
): Promise<string> {
  const health = await fetch(app.url);
  if (health.status !== 200)
    throw new Error(`the application's health endpoint answers ${health.status} after the recovery`);
  const damaged = await counts(drill, keptAs);
  const expectedDamaged = { payments: corruption.paymentsBefore - corruption.deleted, refunded: 0 };
  if (damaged.payments !== expectedDamaged.payments || damaged.refunded !== 0) {
    throw new Error(
      `${keptAs} holds ${damaged.payments} payments (${damaged.refunded} refunded), not the damaged ${expectedDamaged.payments} (none refunded)`,
    );
  }
  const loss = new Map((report.details.loss?.tables ?? []).map((t) => [t.table, t]));
  const [payments, events] = [loss.get('public.payments'), loss.get('public.events')];
  if (events?.difference !== corruption.eventsAfterBackup) {
    throw new Error(
      `the report counts ${events?.difference} events as lost, not the ${corruption.eventsAfterBackup} written after the backup`,
    );
  }
  const restored = await counts(drill, DATABASE);
  if (
    restored.refunded !== corruption.deleted ||
    restored.payments !== payments?.backupRows ||
    restored.events !== events.backupRows
  ) {
    throw new Error(
      `${DATABASE} holds ${restored.payments} payments (${restored.refunded} refunded) and ${restored.events} events, not the backup's ${payments?.backupRows} (${corruption.deleted} refunded) and ${events.backupRows}`,
    );
  }
  const paymentsLost = corruption.paymentsBefore - restored.payments;
  return (
    `${DATABASE} restored from ${report.details.recoveryPoint}: the ${corruption.deleted} deleted payments are back; ` +
    `the damaged database kept as ${keptAs} (${damaged.payments} payments, none refunded); the application answers again; ` +
    `lost, as the report counts them: ${events.difference} events and ${paymentsLost} payments written after the backup (RPO ${formatDuration(report.details.rpo.seconds ?? 0)}); ` +
    `recovery ${report.details.rto.seconds} s`
  );
}

/**
 * The plan's Complete Database Recovery from the night's backup, after the corruption: restored
 * beside the damaged database on production's server, proven, then the renames. The plan runs
 * through the command line (the break-glass path), execute as the workflow's job does.
 */
export const recoverDatabase: DrillStep = {
  name: "recover production from the night's backup: plan through dr-actions on the command line, execute as the workflow does (actions/recover-database)",
  needs: [backUp, corruptProduction],
  async run(drill) {
    const corruption = drill.corruption as Corruption;
    const app = (drill.started.application ??= await startApplication());
    const inputs = {
      bucket: BUCKET,
      prefix: 'database/',
      backup: 'latest',
      region: REGION,
      checks: resolve(CHECKS_FILE),
      'smoke-command': 'psql -X -q -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM users"',
      'endpoint-url': drill.stack.awsEndpoint,
    };
    const plan = await planThroughTheCommandLine(drill, inputs);
    if (plan.outputs.mode !== 'plan' || !plan.outputs['recovery-point'] || !plan.outputs.replaces)
      throw new Error(`the plan's outputs: ${JSON.stringify(plan.outputs)}`);
    const run = await executeBoundTo(drill, inputs, plan.outputs, app);
    const keptAs = run.outputs['kept-as'];
    if (run.outputs.recovered !== 'true' || !keptAs)
      throw new Error(`recover-database's outputs: ${JSON.stringify(run.outputs)}`);
    const report = await drill.readReport<RecoverDatabaseReport>(REPORT.recoverDatabase);
    if (!report) throw new Error(`recover-database wrote no ${REPORT.recoverDatabase}`);
    return proveRecovery(drill, corruption, keptAs, app, report);
  },
};
