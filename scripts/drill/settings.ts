/** What the drill's sample production is called, where its backups go, and where each action's report is written. */
import { PRIMARY_REGION, SECONDARY_REGION } from '../../harness/aws-topology.js';

export { SECONDARY_REGION };
export const REGION = PRIMARY_REGION;
export const BUCKET = 'saas-backups';
/** The plan's regional outage: every backup also lives in the secondary region, and the drill restores from there. */
export const COPY_BUCKET = 'saas-backups-us-west-2';
export const DATABASE = 'saas_production';
export const SCRATCH_DATABASE = 'saas_restore_test';
/** The production instance as RDS knows it (rds-source.ts). */
export const RDS_INSTANCE = 'saas-production';
/** Payments production takes between the night's backup and the RDS recovery point. */
export const PAYMENTS_AFTER_BACKUP = 25;
/** Events production writes after the payments, just before the bad migration: lost to a recovery from the backup. */
export const EVENTS_BEFORE_CORRUPTION = 40;
/** The user's proof that a restored database works, as a restore test's `checks` input names it. */
export const CHECKS_FILE = 'scripts/drill-checks.sql';
/** What the application runs once logged in to the rebuilt server: its role, settings, tables and sequence. */
export const APP_LOGIN_FILE = 'scripts/drill-app-login.sql';

/**
 * Each report in a folder named for the run that made it, as drill-report finds them in dr-drill.yml
 * (one folder per downloaded artifact): the two restore-verify reports are told apart by their folder.
 * In the order the drill makes them.
 */
export const REPORT = {
  restoreFromCopy: 'restore-verify-copy/restore-verify-report.json',
  rebuild: 'restore-verify-rebuild/restore-verify-report.json',
  rdsRestoreTest: 'rds-restore-test/rds-restore-test-report.json',
  audit: 'dr-audit/dr-audit-report.json',
  failover: 'failover-execute/failover-report.json',
  recoverDatabaseRds: 'recover-database-rds-execute/recover-database-report.json',
  recoverDatabase: 'recover-database-execute/recover-database-report.json',
  recoverApplication: 'recover-application-execute/recover-application-report.json',
} as const;
