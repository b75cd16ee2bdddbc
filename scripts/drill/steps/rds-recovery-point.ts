import { resolve } from 'node:path';
import type { RdsRestoreReport } from '../../../src/rds-restore/rds-restore-report.js';
import { formatDuration } from '../../../src/util/format.js';
import { serveRestores } from '../../../harness/rds-restores.js';
import { leaks, type DrillRun } from '../drill-run.js';
import { createRdsSource, type RdsSource } from '../rds-source.js';
import {
  CHECKS_FILE,
  DATABASE,
  PAYMENTS_AFTER_BACKUP,
  RDS_INSTANCE,
  REGION,
  REPORT,
  SECONDARY_REGION,
} from '../settings.js';
import type { DrillStep } from '../step.js';

/** rds-restore-test of production's latest recovery point in the secondary region; its report. */
async function restoreLatest(drill: DrillRun) {
  const { production } = drill;
  const run = await drill.action('rds-restore-test', {
    'instance-id': RDS_INSTANCE,
    'source-region': REGION,
    region: SECONDARY_REGION,
    'recovery-point': 'latest',
    username: production.user,
    password: production.password,
    database: DATABASE,
    checks: resolve(CHECKS_FILE),
    'smoke-command': 'psql -X -A -t -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM payments"',
    'count-tables': 'payments',
    'newest-row-columns': 'payments.paid_at',
    'wait-timeout-minutes': '10',
    'endpoint-url': drill.stack.awsEndpoint,
    'report-path': drill.reportPath(REPORT.rdsRestoreTest),
  });
  const report = await drill.readReport<RdsRestoreReport>(REPORT.rdsRestoreTest);
  if (!report) throw new Error(`rds-restore-test wrote no ${REPORT.rdsRestoreTest}`);
  if (leaks(production.password, run, JSON.stringify(report)))
    throw new Error("the master password shows in the RDS restore test's output, summary or report");
  return { run, report };
}

/** What the restored instance held and what became of it, or what is wrong with it. */
function proven(
  source: RdsSource,
  report: RdsRestoreReport,
  recoveryPointTime: string | undefined,
  recoverySeconds: string | undefined,
): string {
  const restored = report.details.smoke?.output.trim();
  if (restored !== String(source.payments)) {
    throw new Error(
      `the restored instance holds ${restored} payments, not the ${source.payments} committed by the recovery point (${source.writtenAfterBackup} of them after the backup)`,
    );
  }
  if (!report.details.instance.deleted) throw new Error(`${report.details.instance.id} was not deleted`);
  const newest = report.details.proof?.newestRows[0]?.beforeRecoveryPointSeconds;
  return (
    `${report.details.instance.id} restored in ${SECONDARY_REGION} from ${REGION}'s replicated automated backups, as of ${recoveryPointTime} (the latest restorable time): ` +
    `${restored} payments, the ${source.writtenAfterBackup} taken after the backup included (newest ${newest === undefined ? 'unknown' : formatDuration(newest)} before the recovery point); ` +
    `recovery ${recoverySeconds} s; instance deleted`
  );
}

/**
 * The plan's regional outage, on RDS: production's latest recovery point, restored in the secondary
 * region from its replicated automated backups into a temporary instance, proven, deleted. Production
 * took payments after the night's backup; the recovery point must hold them.
 */
export const restoreRdsRecoveryPoint: DrillStep = {
  name: 'restore the latest RDS recovery point in the secondary region (actions/rds-restore-test)',
  async run(drill) {
    const { production, stack } = drill;
    const source = await createRdsSource({
      instanceId: RDS_INSTANCE,
      primary: production,
      database: DATABASE,
      awsEndpoint: stack.awsEndpoint,
      primaryRegion: REGION,
      secondaryRegion: SECONDARY_REGION,
      newPayments: PAYMENTS_AFTER_BACKUP,
    });
    const service = serveRestores(production, stack.awsEndpoint, {
      serves: (request) => request.sourceInstance === RDS_INSTANCE,
    });
    drill.started.restores = service;
    try {
      const { run, report } = await restoreLatest(drill);
      if (service.errors.length > 0)
        throw new Error(`the stack could not serve the restore: ${service.errors.join('; ')}`);
      return proven(source, report, run.outputs['recovery-point-time'], run.outputs['recovery-seconds']);
    } finally {
      drill.started.restoredPorts.push(...service.served.map((s) => s.server.port));
      await service.stop();
    }
  },
};
