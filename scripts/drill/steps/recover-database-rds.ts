import { join, resolve } from 'node:path';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import type { RecoverDatabaseReport } from '../../../src/recover-database/recover-report.js';
import { createRdsClient } from '../../../src/aws/clients.js';
import { parseDatabaseUrl } from '../../../src/postgres/connection.js';
import { PsqlSession } from '../../../src/postgres/psql-session.js';
import { formatDuration } from '../../../src/util/format.js';
import { serveRestores, setLatestRestorableTime, type RestoreService } from '../../../harness/rds-restores.js';
import { startApplication, type DrillApplication } from '../application.js';
import { leaks, type Corruption, type DrillRun } from '../drill-run.js';
import { CHECKS_FILE, DATABASE, RDS_INSTANCE, REGION, REPORT } from '../settings.js';
import type { DrillStep } from '../step.js';
import { corruptProduction } from './corrupt-production.js';
import { restoreRdsRecoveryPoint } from './rds-recovery-point.js';

const COUNTS = `SELECT count(*), count(*) FILTER (WHERE status = 'refunded'), (SELECT count(*) FROM events) FROM payments`;

/** Payments, refunded payments and events in a database. */
async function counts(url: string): Promise<{ payments: number; refunded: number; events: number }> {
  const session = await PsqlSession.open(parseDatabaseUrl(url, 'url'));
  try {
    const [payments, refunded, events] = ((await session.query(COUNTS))[0] ?? []).map(Number);
    return { payments: payments ?? 0, refunded: refunded ?? 0, events: events ?? 0 };
  } finally {
    await session.close();
  }
}

/** The production instance, or the damaged one under its dated identifier, as RDS describes it now. */
async function instance(drill: DrillRun, id: string) {
  const client = createRdsClient({ region: REGION, endpointUrl: drill.stack.awsEndpoint });
  const { DBInstances } = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  const found = DBInstances?.[0];
  if (!found) throw new Error(`RDS has no instance ${id}`);
  return found;
}

/** The inputs plan and execute share: production's instance, restored to just before the corruption. */
function inputsFor(drill: DrillRun, corruption: Corruption): Record<string, string> {
  return {
    source: 'rds-point-in-time',
    'instance-id': RDS_INSTANCE,
    'recovery-point': corruption.justBefore,
    cutover: 'rename',
    region: REGION,
    // The user, password and database the restored instance is proven with; its host is the restored instance's.
    'database-url': drill.production.url(DATABASE),
    checks: resolve(CHECKS_FILE),
    'smoke-command': `psql -X -A -t -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM payments WHERE status = 'refunded'"`,
    'wait-timeout-minutes': '10',
    'endpoint-url': drill.stack.awsEndpoint,
  };
}

/** recover-database.yml's plan job, then its execute job bound to the plan; the application stopped and started around the renames. */
async function planThenExecute(drill: DrillRun, corruption: Corruption, app: DrillApplication) {
  const inputs = inputsFor(drill, corruption);
  const plan = await drill.action(
    'recover-database',
    { ...inputs, 'report-path': join(drill.options.outDir, 'recover-database-rds-plan-report.json') },
    { summary: 'recover-database-rds-plan' },
  );
  if (
    plan.outputs.mode !== 'plan' ||
    plan.outputs['recovery-point'] !== corruption.justBefore ||
    !plan.outputs.replaces
  )
    throw new Error(`the plan's outputs: ${JSON.stringify(plan.outputs)}`);
  const run = await drill.action(
    'recover-database',
    {
      ...inputs,
      mode: 'execute',
      confirm: RDS_INSTANCE,
      'expected-recovery-point': plan.outputs['recovery-point'],
      'expected-replaces': plan.outputs.replaces,
      'stop-command': app.stopCommand,
      'start-command': app.startCommand,
      'health-url': app.url,
      'report-path': drill.reportPath(REPORT.recoverDatabaseRds),
    },
    { summary: 'recover-database-rds' },
  );
  const report = await drill.readReport<RecoverDatabaseReport>(REPORT.recoverDatabaseRds);
  if (!report) throw new Error(`recover-database wrote no ${REPORT.recoverDatabaseRds}`);
  if (leaks(drill.production.password, run, JSON.stringify(report)))
    throw new Error("the database password shows in the RDS recovery's output, summary or report");
  return { replaces: plan.outputs.replaces, run, report };
}

/** The identifiers after the renames: the restored server under production's, the damaged instance (same DbiResourceId) under its dated one. */
async function proveRenames(drill: DrillRun, service: RestoreService, replaces: string, keptAs: string) {
  if (!new RegExp(`^${RDS_INSTANCE}-damaged-\\d{14}$`).test(keptAs))
    throw new Error(`the damaged instance is kept as ${keptAs}, not ${RDS_INSTANCE}-damaged-<yyyymmddhhmmss>`);
  const kept = await instance(drill, keptAs);
  if (kept.DbiResourceId !== replaces || kept.DeletionProtection !== true)
    throw new Error(
      `${keptAs} is ${kept.DbiResourceId} (deletion protection ${kept.DeletionProtection}), not the damaged ${replaces}, protected`,
    );
  const production = await instance(drill, RDS_INSTANCE);
  const served = service.served.find((s) => s.server.port === production.Endpoint?.Port);
  if (production.DbiResourceId === replaces || !served)
    throw new Error(
      `${RDS_INSTANCE} is not the restored instance: ${production.DbiResourceId} at port ${production.Endpoint?.Port}`,
    );
  return served.server;
}

/** What the recovery must have left: production's identifier serving the deleted rows and the writes before the corruption; the loss only the gap to it. */
async function proveRecovery(
  drill: DrillRun,
  corruption: Corruption,
  service: RestoreService,
  outcome: Awaited<ReturnType<typeof planThenExecute>>,
) {
  const { run, report, replaces } = outcome;
  const keptAs = run.outputs['kept-as'] ?? '';
  if (run.outputs.recovered !== 'true') throw new Error(`recover-database's outputs: ${JSON.stringify(run.outputs)}`);
  const server = await proveRenames(drill, service, replaces, keptAs);
  const [recovered, damaged] = [await counts(server.url(DATABASE)), await counts(drill.production.url(DATABASE))];
  if (
    recovered.refunded !== corruption.deleted ||
    recovered.payments !== corruption.paymentsBefore ||
    recovered.events !== damaged.events
  ) {
    throw new Error(
      `${RDS_INSTANCE} serves ${recovered.payments} payments (${recovered.refunded} refunded) and ${recovered.events} events, not the ${corruption.paymentsBefore} (${corruption.deleted} refunded) and ${damaged.events} just before the corruption`,
    );
  }
  const gap = (Date.parse(corruption.at) - Date.parse(corruption.justBefore)) / 1000;
  const rpo = report.details.rpo.seconds ?? -1;
  const sincePoint = (Date.now() - Date.parse(corruption.justBefore)) / 1000;
  if (gap <= 0 || rpo < gap || rpo > sincePoint + 1)
    throw new Error(
      `the report's RPO is ${rpo} s; the recovery point is ${gap} s before the corruption and ${sincePoint} s ago`,
    );
  if (report.details.health?.healthy !== true)
    throw new Error("the application's health endpoint did not answer after the renames");
  return (
    `${RDS_INSTANCE} restored by RDS to ${corruption.justBefore}, ${Math.round(gap * 1000)} ms before the corruption: it serves the ${corruption.deleted} deleted payments, ` +
    `all ${corruption.paymentsBefore} payments and the ${corruption.eventsAfterBackup} events written after the backup; the damaged instance kept as ${keptAs}; ` +
    `the application answers again; RPO ${formatDuration(rpo)} (the recovery point's age when execute ran); recovery ${report.details.rto.seconds} s`
  );
}

/**
 * The plan's database failure on RDS: recover-database restores production's instance to a time just
 * before the corruption (a real point-in-time recovery of production's WAL), proves it, renames the
 * damaged instance to its dated identifier and the restored one into production's. Only RDS's
 * identifiers and a new server change: production's own database stays as the corruption left it.
 */
export const recoverDatabaseFromRds: DrillStep = {
  name: 'recover production on RDS to just before the corruption: plan, execute bound to it, rename cut-over (actions/recover-database, source rds-point-in-time)',
  needs: [restoreRdsRecoveryPoint, corruptProduction],
  async run(drill) {
    const corruption = drill.corruption as Corruption;
    const app = (drill.started.application ??= await startApplication());
    // RDS's logs reach S3 every few minutes: the corruption is inside the restorable window now.
    await setLatestRestorableTime(REGION, RDS_INSTANCE, new Date(corruption.at), drill.stack.awsEndpoint);
    const service = serveRestores(drill.production, drill.stack.awsEndpoint, {
      serves: (request) => request.sourceInstance === RDS_INSTANCE,
    });
    drill.started.restores = service;
    try {
      const outcome = await planThenExecute(drill, corruption, app);
      if (service.errors.length > 0)
        throw new Error(`the stack could not serve the restore: ${service.errors.join('; ')}`);
      return await proveRecovery(drill, corruption, service, outcome);
    } finally {
      drill.started.restoredPorts.push(...service.served.map((s) => s.server.port));
      await service.stop();
    }
  },
};
